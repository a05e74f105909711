//! Bounded work: how much a run will do, estimated before it starts, and a way to stop it.
//!
//! The estimate counts *work units*: one per event the engine processes, plus one per page a
//! DMA translates (those loop inside one event), plus [`PTE_WEIGHT`] per leaf entry a map or
//! unmap writes (a loop too, and memory: 8 bytes of page table each while mapped).
//! Above a budget ([`DEFAULT_MAX_EVENTS`], raised with `--max-events`) the CLI refuses the
//! run up front, with the estimate and the flag (docs/limits.md). The estimate is an upper
//! bound in spirit, not an exact count: generators are counted at their nominal rate over
//! their window, and maps as replicated into every group the container may hold.
//!
//! [`request_stop`] (Ctrl-C) asks running simulations to stop: the event loop checks the flag
//! every [`STOP_CHECK_EVERY`] events, so its cost is one relaxed load per 4096 events.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::ids::ContainerId;
use crate::scenario::Scenario;
use crate::spec::Action;
use crate::time::{CYCLES_PER_SECOND, Cycle};
use crate::workload::GenSpec;

/// Work units a run may do without `--max-events`: 2·10^9, about a minute of simulation on
/// one core of a 2024 laptop (the bundled scenarios need at most a few 10^7).
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;

/// The largest `--max-events`: 2^36. Together with `limits::MAX_COST` (2^24 cycles) it keeps
/// every accumulated cost below 2^63.
pub const MAX_MAX_EVENTS: u64 = 1 << 36;

/// Work units per page-table entry written: entries also cost memory, so the default budget
/// allows about 1.25·10^8 of them (≈ 1 GiB of page tables).
pub const PTE_WEIGHT: u128 = 16;

/// How often (in events) a running simulation looks at the stop flag.
pub const STOP_CHECK_EVERY: u64 = 4096;

static STOP: AtomicBool = AtomicBool::new(false);

/// Asks every running simulation to stop at its next check (Ctrl-C).
pub fn request_stop() {
    STOP.store(true, Ordering::Relaxed);
}

/// Whether a stop was requested.
#[inline]
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// The estimated work of one strategy's run of a scenario, by source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Estimate {
    /// Events the engine processes (script occurrences, generator wake-ups and actions).
    pub events: u128,
    /// Pages DMAs translate (one translation each).
    pub pages: u128,
    /// Leaf entries maps and unmaps write, over every domain they are replicated into.
    pub ptes: u128,
}

impl Estimate {
    pub fn total(&self) -> u128 {
        self.events + self.pages + PTE_WEIGHT * self.ptes
    }
}

impl std::fmt::Display for Estimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "about {} work units ({} events, {} DMA pages, {} page-table entries)", self.total(), self.events, self.pages, self.ptes)
    }
}

/// Pages touched by an access of `bytes` at an unknown offset (≤ 2 more than whole pages).
fn pages(bytes: u64) -> u128 {
    u128::from(bytes / 4096) + 2
}

/// Occurrences within `[0, duration]` of something starting at `start`, every `every` cycles,
/// `count` times.
fn occurrences(start: Cycle, every: Cycle, count: u64, duration: Cycle) -> u128 {
    if start > duration {
        return 0;
    }
    u128::from(count).min(u128::from((duration - start) / every.max(1)) + 1)
}

/// Arrivals at `per_second` over a window, plus one.
fn arrivals(per_second: u64, window: Cycle) -> u128 {
    u128::from(per_second) * u128::from(window) / u128::from(CYCLES_PER_SECOND) + 1
}

/// Estimates the work of one run of `s` (one strategy).
pub fn estimate(s: &Scenario) -> Estimate {
    let duration = s.duration;
    // The largest leaf a map can use on every instance: with the smallest of them, a
    // contiguous map needs at most size >> shift leaves (plus the edges).
    let leaf_shift = s.platform.iommus.iter().map(|m| 63 - m.params.caps.page_sizes.0.leading_zeros().min(63)).min().unwrap_or(12).max(12);
    // Domains a container's maps may be replicated into: the groups attached to it.
    let mut groups: Vec<Vec<u32>> = vec![Vec::new(); s.containers.len()];
    let mut join = |c: ContainerId, d: crate::ids::DeviceId| {
        let g = s.platform.devices[d.index()].group.0;
        let list = &mut groups[c.index()];
        if !list.contains(&g) {
            list.push(g);
        }
    };
    for l in &s.script {
        if let Action::Attach { device, container } = l.action {
            join(container, device);
        }
    }
    for g in &s.generators {
        match g {
            GenSpec::Nic(n) => join(n.container, n.device),
            GenSpec::Nvme(n) => join(n.container, n.device),
            GenSpec::Accel(a) => join(a.container, a.device),
            GenSpec::DmaEngine(a) => join(a.container, a.device),
            GenSpec::Vm(v) => v.devices.iter().for_each(|&d| join(v.container, d)),
        }
    }
    let fanout = |c: ContainerId| groups[c.index()].len().max(1) as u128;
    let ptes = |size: u64, backing_shift: u8| -> u128 {
        let shift = if backing_shift == 0 { leaf_shift } else { u32::from(backing_shift).min(leaf_shift) };
        u128::from(size >> shift) + 2
    };

    let mut e = Estimate::default();
    for l in &s.script {
        let n = occurrences(l.at, l.every, l.count, duration);
        e.events += n;
        match l.action {
            Action::Dma { bytes, .. } => e.pages += n * pages(bytes),
            Action::Map { container, size, backing_shift, .. } => e.ptes += n * ptes(size, backing_shift) * fanout(container),
            Action::Unmap { container, size, .. } => e.ptes += n * ptes(size, 0) * fanout(container),
            _ => {}
        }
    }
    for g in &s.generators {
        let (start, stop) = g.window();
        let end = stop.unwrap_or(Cycle::MAX).min(duration);
        let window = end.saturating_sub(start);
        if start > duration {
            continue;
        }
        match g {
            GenSpec::Nic(n) => {
                let packets = arrivals(n.packets_per_sec, window);
                let buf = n.packet_bytes.div_ceil(4096) * 4096;
                e.events += packets * if n.page_pool { 2 } else { 4 };
                e.pages += packets * pages(n.packet_bytes);
                let per = if n.page_pool { 0 } else { 2 * ptes(buf, 0) * fanout(n.container) };
                e.ptes += packets * per + 2 * ptes(buf * u64::from(n.ring), 0) * fanout(n.container);
            }
            GenSpec::Nvme(n) => {
                let requests = arrivals(n.iops, window);
                // Arrival, submission CPU, DMAs + media, completion CPU, and the actions.
                e.events += requests * 6;
                e.pages += requests * pages(n.block_bytes);
                if n.map_per_request {
                    e.ptes += requests * 2 * ptes(n.block_bytes, 0) * fanout(n.container);
                } else {
                    e.ptes += 2 * ptes(n.working_set, 0) * fanout(n.container);
                }
            }
            GenSpec::Accel(a) => {
                let accesses = arrivals(a.rate, window);
                e.events += accesses * 2;
                e.pages += accesses * pages(a.access_bytes.min(a.buffer_bytes));
                if !a.premapped {
                    e.ptes += 2 * u128::from(a.buffers) * ptes(a.buffer_bytes, 0) * fanout(a.container);
                }
            }
            GenSpec::DmaEngine(a) => {
                // Closed loop: the rate is not known before running. Bound it as if every
                // request took 100 cycles (a default-link request takes over 400), capped by
                // the byte budget.
                let mut requests = u128::from(window) * u128::from(a.outstanding) / 100;
                if a.total_bytes > 0 {
                    requests = requests.min(u128::from(a.total_bytes.div_ceil(a.request_bytes)));
                }
                e.events += requests;
                e.pages += requests * pages(a.request_bytes);
                if !a.premapped {
                    e.ptes += 2 * ptes(a.window_bytes, a.backing_shift) * fanout(a.container);
                }
            }
            GenSpec::Vm(v) => {
                let churns = v.churn.map_or(0, |c| occurrences(start, c.every, u64::MAX, end) * 2);
                e.events += 4 + 2 * v.devices.len() as u128 + churns;
                e.ptes += 2 * ptes(v.ram_bytes, v.ram_page_shift) * fanout(v.container);
            }
        }
    }
    e.events += s.faults.len() as u128;
    e
}

/// Refuses a run whose estimate is above `max` work units (per strategy).
pub fn check(s: &Scenario, max: u64) -> Result<Estimate, String> {
    let e = estimate(s);
    if e.total() > u128::from(max) {
        return Err(format!(
            "{}: scenario \"{}\" would do {e} per strategy, above the budget of {max}; \
             shorten it, or raise the budget with `--max-events N` (at most {MAX_MAX_EVENTS}; docs/limits.md)",
            s.path.display(),
            s.name.trim()
        ));
    }
    Ok(e)
}
