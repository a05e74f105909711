//! Workload generators: seeded processes that run beside the timed script and produce
//! attach / map / DMA / unmap actions lazily, one wake-up at a time, so a run of billions of
//! cycles holds nothing per event. Each generator draws from its own stream (`gen:<id>`), so
//! adding one never changes another's sequence. Also the resolved fault-injection plan.
//!
//! - `nic.rs`: per-packet map → DMA → unmap through the DMA API (or page-pool recycling);
//! - `nvme.rs`: queued block requests over a working set;
//! - `accel.rs`: a GPU-like device streaming over large long-lived buffers;
//! - `vm.rs`: a VM's lifecycle with optional hot-plug churn.

pub mod accel;
pub mod address;
pub mod arrival;
pub mod cpus;
pub mod dma_engine;
pub mod iova;
pub mod load;
pub mod nic;
pub mod nvme;
pub mod schema;
pub mod vm;

use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId, IommuId};
use crate::spec::Action;
use crate::time::Cycle;

/// What one wake-up of a generator asks for: actions to perform now, and when to wake next.
/// Fixed capacity: no allocation per event.
#[derive(Debug, Default)]
pub struct Steps {
    actions: [Option<Action>; 8],
    n: usize,
    /// Next wake-ups: (cycle, token). The token tells the generator why it woke.
    wakes: [(Cycle, u32); 2],
    m: usize,
    /// Wake with this token when this wake-up's DMAs complete (closed loop).
    done_token: Option<u32>,
    /// Requests that completed at this wake-up and their payload bytes.
    completed: (u64, u64),
    /// Requests dropped at this wake-up (no free buffer).
    dropped: u64,
}

impl Steps {
    pub fn clear(&mut self) {
        self.n = 0;
        self.m = 0;
        self.done_token = None;
        self.completed = (0, 0);
        self.dropped = 0;
    }

    /// Reports a request dropped now (a NIC with no free buffer for an arriving packet).
    pub fn drop_one(&mut self) {
        self.dropped += 1;
    }

    /// Asks to be woken with `token` once the DMAs queued at this wake-up complete: the
    /// engine computes that cycle (`crate::sim::transfer`) and asks [`Gen::completed`].
    pub fn wake_when_done(&mut self, token: u32) {
        self.done_token = Some(token);
    }

    pub fn done_token(&self) -> Option<u32> {
        self.done_token
    }

    /// Reports one request of `bytes` payload bytes completed now.
    pub fn complete(&mut self, bytes: u64) {
        self.completed.0 += 1;
        self.completed.1 += bytes;
    }

    pub fn completed(&self) -> (u64, u64) {
        self.completed
    }

    /// Queues an action (at most 8 per wake-up).
    pub fn act(&mut self, a: Action) {
        debug_assert!(self.n < self.actions.len());
        if self.n < self.actions.len() {
            self.actions[self.n] = Some(a);
            self.n += 1;
        }
    }

    /// Asks to be woken at `at` with `token` (at most 2 per wake-up).
    pub fn wake(&mut self, at: Cycle, token: u32) {
        debug_assert!(self.m < self.wakes.len());
        if self.m < self.wakes.len() {
            self.wakes[self.m] = (at, token);
            self.m += 1;
        }
    }

    pub fn actions(&self) -> impl Iterator<Item = Action> + '_ {
        self.actions[..self.n].iter().flatten().copied()
    }

    pub fn wakes(&self) -> &[(Cycle, u32)] {
        &self.wakes[..self.m]
    }
}

/// The token of a generator's first wake-up.
pub const TOKEN_START: u32 = u32::MAX;
/// The token of a generator's stop.
pub const TOKEN_STOP: u32 = u32::MAX - 1;

/// A generator after loading, with names resolved.
#[derive(Clone, Debug)]
pub enum GenSpec {
    Nic(nic::NicSpec),
    Nvme(nvme::NvmeSpec),
    Accel(accel::AccelSpec),
    Vm(vm::VmSpec),
    DmaEngine(dma_engine::DmaEngineSpec),
}

impl GenSpec {
    pub fn id(&self) -> &str {
        match self {
            GenSpec::Nic(s) => &s.id,
            GenSpec::Nvme(s) => &s.id,
            GenSpec::Accel(s) => &s.id,
            GenSpec::Vm(s) => &s.id,
            GenSpec::DmaEngine(s) => &s.id,
        }
    }

    /// The generator's kind, as results name it.
    pub fn kind(&self) -> &'static str {
        match self {
            GenSpec::Nic(_) => "nic",
            GenSpec::Nvme(_) => "nvme",
            GenSpec::Accel(_) => "accelerator",
            GenSpec::Vm(_) => "vm",
            GenSpec::DmaEngine(_) => "dma-engine",
        }
    }

    /// Offered payload throughput in Mb/s (0: as fast as the device can, or not a DMA source).
    pub fn offered_mbps(&self) -> u64 {
        let mbps = |per_sec: u64, bytes: u64| (u128::from(per_sec) * u128::from(bytes) * 8 / 1_000_000) as u64;
        match self {
            GenSpec::Nic(s) => mbps(s.packets_per_sec, s.packet_bytes),
            GenSpec::Nvme(s) => mbps(s.iops, s.block_bytes),
            GenSpec::Accel(s) => mbps(s.rate, s.access_bytes.min(s.buffer_bytes)),
            GenSpec::Vm(_) | GenSpec::DmaEngine(_) => 0,
        }
    }

    /// The device this generator drives and the class of device that makes it.
    pub fn device_class(&self) -> Option<(DeviceId, crate::pcie::DeviceClass)> {
        use crate::pcie::DeviceClass;
        match self {
            GenSpec::Nic(s) => Some((s.device, DeviceClass::Nic)),
            GenSpec::Nvme(s) => Some((s.device, DeviceClass::Nvme)),
            GenSpec::Accel(s) => Some((s.device, DeviceClass::Accelerator)),
            GenSpec::DmaEngine(s) => Some((s.device, DeviceClass::DmaEngine)),
            GenSpec::Vm(_) => None,
        }
    }

    /// First wake-up and stop time.
    pub fn window(&self) -> (Cycle, Option<Cycle>) {
        match self {
            GenSpec::Nic(s) => (s.start, s.stop),
            GenSpec::Nvme(s) => (s.start, s.stop),
            GenSpec::Accel(s) => (s.start, s.stop),
            GenSpec::Vm(s) => (s.start, s.stop),
            GenSpec::DmaEngine(s) => (s.start, s.stop),
        }
    }
}

/// Streamed throughput figures of one generator (become `GeneratorResult`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GenStats {
    /// Requests completed (packets, block requests, accesses) and their payload bytes.
    pub requests: u64,
    pub bytes: u64,
    /// Cycle of the first issued request, and of the last completion.
    pub first: Option<Cycle>,
    pub last: Cycle,
    /// Requests issued, and the sum of their DMA completion latencies (issue → DMA done;
    /// NVMe: submission → completion handled, host CPU included).
    pub issued: u64,
    pub latency_sum: u64,
    /// Packets dropped because the device had no free buffer (NIC).
    pub dropped: u64,
    /// Cycles requests waited for the host (a busy CPU, a full queue) before issuing.
    pub backpressure_cycles: u64,
}

/// A running generator.
#[derive(Debug)]
pub struct Gen {
    pub rng: SimRng,
    pub state: GenState,
    pub stopped: bool,
    pub stats: GenStats,
}

#[derive(Debug)]
pub enum GenState {
    Nic(nic::Nic),
    Nvme(nvme::Nvme),
    Accel(accel::Accel),
    Vm(vm::Vm),
    DmaEngine(dma_engine::DmaEngine),
}

impl Gen {
    /// A generator for `spec` under `seed`: its stream is `gen:<id>`.
    pub fn new(spec: &GenSpec, seed: u64) -> Gen {
        let rng = SimRng::for_source(seed, &format!("gen:{}", spec.id()));
        let state = match spec {
            GenSpec::Nic(s) => GenState::Nic(nic::Nic::new(s.clone())),
            GenSpec::Nvme(s) => GenState::Nvme(nvme::Nvme::new(s.clone())),
            GenSpec::Accel(s) => GenState::Accel(accel::Accel::new(s.clone())),
            GenSpec::Vm(s) => GenState::Vm(vm::Vm::new(s.clone())),
            GenSpec::DmaEngine(s) => GenState::DmaEngine(dma_engine::DmaEngine::new(s.clone())),
        };
        Gen { rng, state, stopped: false, stats: GenStats::default() }
    }

    /// Handles a wake-up at `now` with `token`. `device_gone` tells whether the generator's
    /// device was unplugged (it then issues no new work but still completes what is in flight).
    pub fn wake(&mut self, now: Cycle, token: u32, device_gone: bool, out: &mut Steps) {
        out.clear();
        if token == TOKEN_STOP {
            self.stopped = true;
        }
        let stopping = self.stopped || device_gone;
        match &mut self.state {
            GenState::Nic(g) => g.wake(now, token, stopping, &mut self.rng, out),
            GenState::Nvme(g) => g.wake(now, token, stopping, device_gone, &mut self.rng, out),
            GenState::Accel(g) => g.wake(now, token, stopping, &mut self.rng, out),
            GenState::Vm(g) => g.wake(now, token, self.stopped, &mut self.rng, out),
            GenState::DmaEngine(g) => g.wake(now, token, stopping, &mut self.rng, out),
        }
        if out.n > 0 && self.stats.first.is_none() && out.actions().any(|a| matches!(a, Action::Dma { .. })) {
            self.stats.first = Some(now);
        }
        self.stats.dropped += out.dropped;
        let (n, bytes) = out.completed;
        if n > 0 {
            self.stats.requests += n;
            self.stats.bytes += bytes;
            self.stats.last = now;
        }
    }

    /// The DMAs asked for at `now` with [`Steps::wake_when_done`]`(token)` complete at `done`,
    /// and the wake-up charged `cpu` CPU cycles: when should the generator wake? Devices that
    /// finish with their DMA wake then; an NVMe drive adds its media time; a NIC's packet is
    /// done when its DMA is and a CPU has run the driver's share (`nic.rs`); an NVMe request
    /// passes through CPU submission, DMA + media time and CPU completion (`nvme.rs`).
    pub fn completed(&mut self, now: Cycle, token: u32, done: Cycle, cpu: Cycle) -> Cycle {
        if let GenState::Nvme(g) = &mut self.state {
            // A request is several steps (CPU, DMA + media, CPU); its latency is counted
            // from submission to release (`nvme.rs`).
            return g.completed(now, token, done, cpu, &mut self.stats);
        }
        self.stats.issued += 1;
        self.stats.latency_sum += done - now;
        match &mut self.state {
            GenState::Nic(g) => g.completed(now, done, cpu, &mut self.stats),
            _ => done,
        }
    }

    /// The device whose removal silences the generator, if any.
    pub fn device(&self) -> Option<DeviceId> {
        match &self.state {
            GenState::Nic(g) => Some(g.spec.device),
            GenState::Nvme(g) => Some(g.spec.device),
            GenState::Accel(g) => Some(g.spec.device),
            GenState::DmaEngine(g) => Some(g.spec.device),
            GenState::Vm(_) => None,
        }
    }
}

/// A fault after loading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultSpec {
    AllocFail { at: Cycle, until: Cycle, every: u32 },
    ExhaustIds { at: Cycle, iommu: IommuId, leave: u32 },
    Unplug { at: Cycle, device: DeviceId },
    LateInvalidation { at: Cycle, until: Cycle, iommu: IommuId, delay: Cycle },
}

impl FaultSpec {
    /// When the fault starts.
    pub fn at(&self) -> Cycle {
        match *self {
            FaultSpec::AllocFail { at, .. }
            | FaultSpec::ExhaustIds { at, .. }
            | FaultSpec::Unplug { at, .. }
            | FaultSpec::LateInvalidation { at, .. } => at,
        }
    }
}

/// Rounds `x` up to a multiple of 4 KiB.
pub(crate) fn page_up(x: u64) -> u64 {
    x.div_ceil(4096) * 4096
}

/// Names a container and device pair for generator specs.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    pub device: DeviceId,
    pub container: ContainerId,
}
