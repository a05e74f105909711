//! One simulation run: a scenario under one strategy. The loop pops events in `(cycle,
//! insertion)` order, hands each to its handler, and folds a record of it (and of its
//! outcome) into the run digest and, if asked, a trace.

mod container_ops;
pub mod core;
mod event;
mod invalidate;
mod record;
mod results;
mod state;
pub mod transfer;
pub mod translate;

use crate::engine::{Digest, EventQueue};
use crate::ids::{ContainerId, DeviceId};
use crate::metrics::RunResult;
use crate::scenario::Scenario;
use crate::spec::{Action, ContainerKind};
use crate::strategy::{self, Strategy, StrategyName};
use crate::time::Cycle;
use crate::workload::{FaultSpec, Gen, Steps, TOKEN_START, TOKEN_STOP};

use self::core::{Core, DeferredInvalidation};
use self::event::{Event, Packed};
use self::transfer::Bypass;
pub use record::{EventKind, EventRecord, Observer};

/// A DMA record's operand `a`: the device, and bit 32 for a write.
#[inline(always)]
fn dma_operand(device: DeviceId, write: bool) -> u64 {
    device.0 as u64 | (write as u64) << 32
}

/// Runs `scenario` under `name` with `seed`, optionally streaming every event to `observer`.
pub fn run(scenario: &Scenario, name: StrategyName, seed: u64, observer: Option<&mut dyn Observer>) -> RunResult {
    run_with(scenario, name, seed, Bypass::None, observer)
}

/// Runs `scenario` under `name`, with DMA translated or bypassing the IOMMU (the identity
/// and IOMMU-off baselines; their results are named after the baseline, not the strategy).
pub fn run_with(
    scenario: &Scenario,
    name: StrategyName,
    seed: u64,
    bypass: crate::sim::transfer::Bypass,
    observer: Option<&mut dyn Observer>,
) -> RunResult {
    let setup = strategy::setup(name);
    let mut core = Core::new(scenario, seed, setup.all_hard, setup.sharing);
    core.bypass = bypass;
    let lanes =
        std::mem::take(&mut core.ports).into_iter().zip(&core.paths).map(|(port, &path)| Lane { port, path, removed: false }).collect();
    let mut sim = Simulation {
        lanes,
        core,
        step_done: 0,
        strategy: setup.strategy,
        queue: EventQueue::new(),
        digest: Digest::default(),
        observer,
        gens: scenario.generators.iter().map(|g| Gen::new(g, seed)).collect(),
        steps: Steps::default(),
        script: scenario.script.iter().map(Repeat::new).collect(),
        deferred: Vec::new(),
        unmapped: Vec::new(),
        interrupted: false,
        after_duration: 0,
    };
    sim.run();
    sim.core.ports = std::mem::take(&mut sim.lanes).into_iter().map(|l| l.port).collect();
    for p in &mut sim.core.ports {
        p.settle();
    }
    let mut r = sim.finish(name);
    if bypass != Bypass::None {
        r.strategy = bypass.as_str().to_string();
    }
    r
}

struct Simulation<'s, 'o> {
    core: Core<'s>,
    /// Per device, what its DMA path needs beside `&mut core` (see [`Lane`]).
    lanes: Vec<Lane>,
    /// Latest completion of the DMAs performed in the current generator wake-up.
    step_done: Cycle,
    strategy: Box<dyn Strategy>,
    queue: EventQueue<Packed>,
    digest: Digest,
    observer: Option<&'o mut dyn Observer>,
    gens: Vec<Gen>,
    steps: Steps,
    /// Per script line, its pending occurrence (a line has at most one event queued).
    script: Vec<Repeat>,
    /// Delayed invalidations in flight, by slot.
    deferred: Vec<Option<DeferredInvalidation>>,
    /// Scratch for the mappings an unmap removes (reused: unmaps do not allocate).
    unmapped: Vec<(u64, crate::container::Mapping)>,
    /// Stopped early by `budget::request_stop` (Ctrl-C): the results are partial.
    interrupted: bool,
    /// Scenario operations still due when the run reached `duration` (not run).
    after_duration: u64,
}

/// One device's DMA path during a run, held apart from the core (issue 15): `core.ports[d]`
/// (moved here for the run and back for the results), a copy of `core.paths[d]`, and whether
/// the device was surprise-removed (a copy of `core.devices[d].removed`). A DMA indexes one
/// record, once, and keeps it across its `translate` calls, which borrow the whole core.
struct Lane {
    port: crate::pcie::Port,
    path: transfer::DevicePath,
    removed: bool,
}

/// The pending occurrence of a script line: how many more follow it, and its address offset
/// (`n × stride mod wrap`, advanced one occurrence at a time: [`crate::spec::advance_offset`]).
/// A DMA line's operands are copied in (one 64-byte record per line), so that a scripted DMA
/// repeat — the hot path of a throughput run — reads this record alone, not the script's
/// `Line` and its `Action` (issue 15).
#[derive(Clone, Copy, Debug)]
struct Repeat {
    left: u64,
    off: u64,
    /// `stride mod wrap` and `wrap - step`: the operands of [`crate::spec::advance_offset`].
    step: u64,
    back: u64,
    every: Cycle,
    /// A DMA line's base address and size (the action's `iova` and `bytes`).
    iova: u64,
    bytes: u64,
    /// A DMA line's device and direction as its records' operand `a` ([`dma_operand`]: the
    /// device, bit 32 for a write); [`NOT_DMA`] for every other action.
    a: u64,
}

/// [`Repeat::a`] of a line whose action is not a DMA.
const NOT_DMA: u64 = u64::MAX;

impl Repeat {
    fn new(l: &crate::spec::Line) -> Repeat {
        let (step, back) = l.offset_step();
        let (a, iova, bytes) = match l.action {
            Action::Dma { device, iova, bytes, write } => (dma_operand(device, write), iova, bytes),
            _ => (NOT_DMA, 0, 0),
        };
        Repeat { left: l.count - 1, off: 0, step, back, every: l.every, iova, bytes, a }
    }
}

impl Simulation<'_, '_> {
    fn run(&mut self) {
        for (i, line) in self.core.scenario.script.iter().enumerate() {
            self.queue.push(line.at, Event::Script { line: i as u32 }.pack());
        }
        for (i, g) in self.core.scenario.generators.iter().enumerate() {
            let (start, stop) = g.window();
            self.queue.push(start, Event::Gen { generator: i as u16, token: TOKEN_START }.pack());
            if let Some(stop) = stop {
                self.queue.push(stop, Event::Gen { generator: i as u16, token: TOKEN_STOP }.pack());
            }
        }
        for (i, f) in self.core.scenario.faults.iter().enumerate() {
            self.queue.push(f.at(), Event::Fault { index: i as u16 }.pack());
        }
        // The digest identifies the run: it starts from the seed, then folds every event.
        self.digest.fold(self.core.seed);
        // One copy of the loop per mode (a baseline's has no translation call to keep
        // registers across).
        match self.core.bypass {
            Bypass::None => self.event_loop::<{ transfer::TRANSLATED }>(),
            Bypass::Identity => self.event_loop::<{ transfer::IDENTITY }>(),
            Bypass::Off => self.event_loop::<{ transfer::OFF }>(),
        }
    }

    /// Pops and runs the events until the queue is empty, `duration` is passed or a stop is
    /// requested. `MODE`: the run's [`Bypass`] as a constant. (Inlined into `run`: measured
    /// 1–3 instructions per event cheaper than three separate functions.)
    #[inline(always)]
    fn event_loop<const MODE: u8>(&mut self) {
        let duration = self.core.scenario.duration;
        // The earliest event is looked at in place, then removed, or replaced by its line's
        // next occurrence (`EventQueue::replace_first`: issue 15).
        while let Some((at, event)) = self.queue.first() {
            if at > duration {
                let mut total = 0u64;
                while let Some((_, _, e)) = self.queue.pop() {
                    total = total.saturating_add(self.user_events(e.unpack()));
                }
                self.after_duration = total;
                break;
            }
            if self.core.m.events.is_multiple_of(crate::budget::STOP_CHECK_EVERY) && crate::budget::stop_requested() {
                self.queue.remove_first();
                self.interrupted = true;
                break;
            }
            self.core.now = at;
            self.core.m.events += 1;
            let Some(line) = event.script_line() else {
                self.queue.remove_first();
                self.event(at, event.unpack());
                continue;
            };
            let r = &mut self.script[line as usize];
            // The offset of this occurrence (0 for a line without stride: `advanced(0)` is the
            // action itself).
            let off = r.off;
            if r.left > 0 {
                // The queue first, while nothing was stored since `first` (its head and
                // length are still in registers).
                self.queue.replace_first(at + r.every, event);
                r.left -= 1;
                r.off = crate::spec::advance_offset(off, r.step, r.back);
            } else {
                self.queue.remove_first();
            }
            if r.a == NOT_DMA {
                self.script_action(line, off);
                continue;
            }
            // The hot path (a scripted DMA repeat): a DMA charges no CPU cycles.
            let (a, iova, bytes) = (r.a, r.iova.wrapping_add(off), r.bytes);
            let (device, write) = (DeviceId(a as u32), a >> 32 != 0);
            let cpu_before = self.core.cpu_cycles();
            let (outcome, _) = self.dma_as::<MODE>(device, iova, bytes, write);
            debug_assert_eq!(self.core.cpu_cycles(), cpu_before, "a DMA charged CPU cycles");
            self.record_dma(a, iova, bytes, outcome);
            self.drain_deferred();
        }
    }

    /// A script line's occurrence other than a DMA (at offset `off`). Out of the loop: the hot
    /// path (scripted DMA repeats) keeps its registers (issue 15).
    #[inline(never)]
    fn script_action(&mut self, line: u32, off: u64) {
        let action = self.core.scenario.script[line as usize].action.advanced(off);
        let cpu_before = self.core.cpu_cycles();
        let mut rec = self.action(action);
        rec.cpu = self.core.cpu_cycles() - cpu_before;
        self.record(&rec);
        self.drain_deferred();
    }

    /// Every event but a script line's occurrence, at cycle `at` (out of the loop like
    /// [`Simulation::script_action`]).
    #[inline(never)]
    fn event(&mut self, at: Cycle, event: Event) {
        let rec = match event {
            Event::Script { .. } => unreachable!("script events run in the loop"),
            Event::Gen { generator, token } => {
                self.generator(generator, token);
                self.drain_deferred();
                return;
            }
            Event::Fault { index } => {
                let cpu_before = self.core.cpu_cycles();
                let mut rec = self.fault(index);
                rec.cpu = self.core.cpu_cycles() - cpu_before;
                rec
            }
            Event::Deferred { slot } => {
                let inv = self.deferred[slot as usize].take().expect("pending invalidation");
                let cpu_before = self.core.cpu_cycles();
                self.core.complete_deferred(inv);
                EventRecord {
                    cycle: at,
                    kind: EventKind::InvalidationDone,
                    a: inv.iommu.0 as u64,
                    b: inv.tag as u64,
                    c: inv.range.map_or(u64::MAX, |r| r.0),
                    outcome: 0,
                    cpu: self.core.cpu_cycles() - cpu_before,
                }
            }
            Event::FlushTimer { container, generation } => {
                // `fq_flush_timeout`: the timer disarms and flushes whatever is queued —
                // unconditionally, even if a full ring flushed in the meantime.
                let cpu_before = self.core.cpu_cycles();
                let cont = &mut self.core.containers[container.index()];
                let live = cont.fq_generation == generation && !cont.domains.is_empty();
                if live {
                    cont.fq_timer_on = false;
                    self.flush(container);
                }
                EventRecord {
                    cycle: at,
                    kind: EventKind::Flush,
                    a: container.0 as u64,
                    b: generation as u64,
                    c: 0,
                    outcome: live as u64,
                    cpu: self.core.cpu_cycles() - cpu_before,
                }
            }
        };
        self.record(&rec);
        self.drain_deferred();
    }

    /// How many scenario-requested operations a queued event stands for: a script line's
    /// remaining repeats, a generator's start or stop (its set-up or tear-down: a generator
    /// without `stop` runs until `duration` by design, so its next packet is not counted),
    /// a fault; 0 for the simulator's own timers.
    fn user_events(&self, e: Event) -> u64 {
        match e {
            Event::Script { line } => self.script[line as usize].left.saturating_add(1),
            Event::Gen { token, .. } => u64::from(token == TOKEN_START || token == TOKEN_STOP),
            Event::Fault { .. } => 1,
            Event::Deferred { .. } | Event::FlushTimer { .. } => 0,
        }
    }

    /// Folds a processed event into the digest and hands it to the observer.
    #[inline]
    fn record(&mut self, rec: &EventRecord) {
        self.digest.fold_all(&[rec.cycle, rec.kind as u64, rec.a, rec.b, rec.c, rec.outcome, rec.cpu]);
        if let Some(o) = self.observer.as_mut() {
            o.event(rec);
            for line in &self.core.log {
                o.log(line);
            }
        }
        self.core.log.clear();
    }

    /// [`Simulation::record`] of a DMA (`a` its operand word, `cpu` 0): the same seven words folded, the record
    /// built only for an observer (issue 15: building and copying it per event was measurable).
    #[inline(always)]
    fn record_dma(&mut self, a: u64, iova: u64, bytes: u64, outcome: u64) {
        let cycle = self.core.now;
        self.digest.fold_all(&[cycle, EventKind::Dma as u64, a, iova, bytes, outcome, 0]);
        if let Some(o) = self.observer.as_mut() {
            o.event(&EventRecord { cycle, kind: EventKind::Dma, a, b: iova, c: bytes, outcome, cpu: 0 });
            for line in &self.core.log {
                o.log(line);
            }
        }
        self.core.log.clear();
    }

    /// Schedules the invalidations an injected fault delayed during the last event.
    #[inline(always)]
    fn drain_deferred(&mut self) {
        if !self.core.injected.deferred.is_empty() {
            self.drain_deferred_slow();
        }
    }

    #[inline(never)]
    fn drain_deferred_slow(&mut self) {
        while let Some(inv) = self.core.injected.deferred.pop() {
            let slot = match self.deferred.iter().position(Option::is_none) {
                Some(s) => s,
                None => {
                    self.deferred.push(None);
                    self.deferred.len() - 1
                }
            };
            self.deferred[slot] = Some(inv);
            self.queue.push(inv.at, Event::Deferred { slot: slot as u32 }.pack());
        }
    }

    /// One wake-up of a generator: its actions run now, each recorded like a script event.
    fn generator(&mut self, generator: u16, token: u32) {
        let now = self.core.now;
        let g = &mut self.gens[generator as usize];
        let gone = g.device().is_some_and(|d| self.core.devices[d.index()].removed);
        g.wake(now, token, gone, &mut self.steps);
        for i in 0..self.steps.wakes().len() {
            let (at, token) = self.steps.wakes()[i];
            self.queue.push(at, Event::Gen { generator, token }.pack());
        }
        let n = self.steps.actions().count();
        let cpu_start = self.core.cpu_cycles();
        self.step_done = now;
        for i in 0..n {
            let action = self.steps.actions().nth(i).expect("counted");
            let cpu_before = self.core.cpu_cycles();
            let mut rec = self.action(action);
            rec.cpu = self.core.cpu_cycles() - cpu_before;
            self.record(&rec);
        }
        if let Some(token) = self.steps.done_token() {
            // Closed loop: the generator hears back when its DMAs are done. In a baseline the
            // DMA API is dma-direct: no IOMMU CPU work.
            let cpu = if self.core.bypass == Bypass::None { self.core.cpu_cycles() - cpu_start } else { 0 };
            let at = self.gens[generator as usize].completed(now, token, self.step_done, cpu);
            self.queue.push(at, Event::Gen { generator, token }.pack());
        }
    }

    /// An injected fault starts.
    fn fault(&mut self, index: u16) -> EventRecord {
        let f = self.core.scenario.faults[index as usize];
        let now = self.core.now;
        let (a, outcome) = match f {
            FaultSpec::AllocFail { until, every, .. } => {
                self.core.injected.alloc_fail_until = Some(until);
                self.core.injected.alloc_fail_every = every;
                self.core.injected.alloc_attempts = 0;
                (0, 0)
            }
            FaultSpec::ExhaustIds { iommu, leave, .. } => {
                let pool = self.core.id_pools.pool(iommu);
                let taken = self.core.id_pools.exhaust(pool, leave);
                self.core.m.injected_faults += 1;
                (iommu.0 as u64, taken as u64)
            }
            FaultSpec::Unplug { device, .. } => {
                self.core.m.injected_faults += 1;
                let was = self.detach(device);
                self.core.devices[device.index()].removed = true;
                self.lanes[device.index()].removed = true;
                (device.0 as u64, was)
            }
            FaultSpec::LateInvalidation { until, iommu, delay, .. } => {
                self.core.injected.late[iommu.index()] = Some((until, delay));
                (iommu.0 as u64, delay)
            }
        };
        EventRecord { cycle: now, kind: EventKind::Fault, a, b: index as u64, c: 0, outcome, cpu: 0 }
    }

    #[inline(always)]
    fn action(&mut self, action: Action) -> EventRecord {
        let now = self.core.now;
        let rec = |kind, a: u64, b: u64, c: u64, outcome: u64| EventRecord { cycle: now, kind, a, b, c, outcome, cpu: 0 };
        match action {
            Action::Attach { device, container } => {
                let outcome = self.attach(device, container);
                rec(EventKind::Attach, device.0 as u64, container.0 as u64, 0, outcome)
            }
            Action::Detach { device } => {
                let outcome = self.detach(device);
                rec(EventKind::Detach, device.0 as u64, 0, 0, outcome)
            }
            Action::Map { container, iova, size, prot, backing_shift } => {
                let ok = self.map(container, iova, size, prot, backing_shift);
                rec(EventKind::Map, container.0 as u64, iova, size, ok as u64)
            }
            Action::Unmap { container, iova, size } => {
                let ok = self.unmap(container, iova, size);
                rec(EventKind::Unmap, container.0 as u64, iova, size, ok as u64)
            }
            Action::Dma { device, iova, bytes, write } => {
                // A generator's closed loop waits for the latest completion of its wake-up.
                let (outcome, done) = self.dma(device, iova, bytes, write);
                self.step_done = self.step_done.max(done);
                rec(EventKind::Dma, dma_operand(device, write), iova, bytes, outcome)
            }
        }
    }

    /// A DMA request (a removed device's is dropped); returns its outcome word and its
    /// completion cycle (`now` if dropped).
    #[inline(always)]
    fn dma(&mut self, device: DeviceId, iova: u64, bytes: u64, write: bool) -> (u64, Cycle) {
        match self.core.bypass {
            Bypass::None => self.dma_as::<{ transfer::TRANSLATED }>(device, iova, bytes, write),
            Bypass::Identity => self.dma_as::<{ transfer::IDENTITY }>(device, iova, bytes, write),
            Bypass::Off => self.dma_as::<{ transfer::OFF }>(device, iova, bytes, write),
        }
    }

    /// [`Simulation::dma`] in mode `MODE` (the run's [`Bypass`]).
    #[inline(always)]
    fn dma_as<const MODE: u8>(&mut self, device: DeviceId, iova: u64, bytes: u64, write: bool) -> (u64, Cycle) {
        let lane = &mut self.lanes[device.index()];
        debug_assert_eq!(lane.removed, self.core.devices[device.index()].removed);
        if lane.removed {
            self.core.m.dma_dropped += 1;
            (u64::MAX, self.core.now)
        } else {
            let t = transfer::transfer_as::<MODE>(&mut self.core, &mut lane.port, &lane.path, device, iova, bytes, write);
            let o = t.out;
            // The completion cycle is not folded here (it would hide the documented outcome
            // bits); it shows in the digest through the cycles of the closed loop's next
            // actions.
            (o.latency_sum ^ (o.faults << 48) ^ (o.stale << 56), t.done)
        }
    }

    /// Attaches a device's group (VFIO attaches whole groups; a sibling's later attach is a
    /// no-op). Outcome: `1 + domain` on success, `errno << 32` on failure.
    fn attach(&mut self, dev: DeviceId, c: ContainerId) -> u64 {
        let core = &mut self.core;
        let g = core.platform.devices[dev.index()].group;
        if core.devices[dev.index()].removed {
            // Surprise-removed (an injected Unplug): the device is gone; VFIO has nothing to bind.
            core.m.attaches_failed += 1;
            return crate::linux::Errno::ENODEV.code() << 32;
        }
        if core.devices[dev.index()].attached {
            // Already attached: nothing to do.
            core.m.attaches_ok += 1;
            return 1 + core.groups[g.index()].domain.map_or(0, |d| d.0 as u64);
        }
        let gs = core.groups[g.index()];
        if let Some(d) = gs.domain {
            if gs.container == Some(c) {
                core.groups[g.index()].users += 1;
                core.devices[dev.index()].attached = true;
                core.m.attaches_ok += 1;
                return 1 + d.0 as u64;
            }
            // The group is in another container: `vfio_iommu_type1_attach_group` / iommufd
            // refuse with -EBUSY.
            core.m.attaches_failed += 1;
            return crate::linux::Errno::EBUSY.code() << 32;
        }
        // A DMA-API domain is the group's own default domain: no reuse strategy applies.
        let attached = match core.containers[c.index()].spec.kind {
            ContainerKind::DmaApi => strategy::allocate_and_join(core, g, c),
            ContainerKind::Vfio => self.strategy.attach(core, g, c),
        };
        match attached {
            Ok(d) => {
                let gs = &mut core.groups[g.index()];
                gs.container = Some(c);
                gs.users = 1;
                core.devices[dev.index()].attached = true;
                core.m.attaches_ok += 1;
                1 + d.0 as u64
            }
            Err(e) => {
                core.m.attaches_failed += 1;
                e.code() << 32
            }
        }
    }

    /// Detaches a device; its group leaves the container with its last attached device, and a
    /// domain with no group left is freed. Outcome: 1 if the group left, 2 if a domain was
    /// freed, 0 if only the device's reference went (or it was not attached).
    fn detach(&mut self, dev: DeviceId) -> u64 {
        let core = &mut self.core;
        if !core.devices[dev.index()].attached {
            return 0;
        }
        core.devices[dev.index()].attached = false;
        let g = core.platform.devices[dev.index()].group;
        core.groups[g.index()].users -= 1;
        if core.groups[g.index()].users > 0 {
            return 0;
        }
        let d = core.groups[g.index()].domain.expect("attached group has a domain");
        let c = core.groups[g.index()].container.take();
        core.detach(d, g);
        core.m.detaches += 1;
        if core.domain(d).groups.is_empty() {
            core.free_domain(d);
            self.strategy.domain_freed(d);
            if let Some(c) = c {
                let cont = &mut core.containers[c.index()];
                if cont.domains.is_empty() {
                    // The flush queue goes with its domain (`iommu_dma_free_fq`: del_timer_sync).
                    cont.fq_pending = 0;
                    cont.fq_timer_on = false;
                    cont.fq_generation = cont.fq_generation.wrapping_add(1);
                }
            }
            return 2;
        }
        1
    }
}

#[cfg(test)]
mod id_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod transfer_tests;
