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
pub mod iova;
pub mod load;
pub mod nic;
pub mod nvme;
pub mod schema;
pub mod vm;

use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId, IommuId};
use crate::scenario::Action;
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
}

impl Steps {
    pub fn clear(&mut self) {
        self.n = 0;
        self.m = 0;
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
}

impl GenSpec {
    pub fn id(&self) -> &str {
        match self {
            GenSpec::Nic(s) => &s.id,
            GenSpec::Nvme(s) => &s.id,
            GenSpec::Accel(s) => &s.id,
            GenSpec::Vm(s) => &s.id,
        }
    }

    /// First wake-up and stop time.
    pub fn window(&self) -> (Cycle, Option<Cycle>) {
        match self {
            GenSpec::Nic(s) => (s.start, s.stop),
            GenSpec::Nvme(s) => (s.start, s.stop),
            GenSpec::Accel(s) => (s.start, s.stop),
            GenSpec::Vm(s) => (s.start, s.stop),
        }
    }
}

/// A running generator.
#[derive(Debug)]
pub struct Gen {
    pub rng: SimRng,
    pub state: GenState,
    pub stopped: bool,
}

#[derive(Debug)]
pub enum GenState {
    Nic(nic::Nic),
    Nvme(nvme::Nvme),
    Accel(accel::Accel),
    Vm(vm::Vm),
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
        };
        Gen { rng, state, stopped: false }
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
            GenState::Nvme(g) => g.wake(now, token, stopping, &mut self.rng, out),
            GenState::Accel(g) => g.wake(now, token, stopping, &mut self.rng, out),
            GenState::Vm(g) => g.wake(now, token, self.stopped, &mut self.rng, out),
        }
    }

    /// The device whose removal silences the generator, if any.
    pub fn device(&self) -> Option<DeviceId> {
        match &self.state {
            GenState::Nic(g) => Some(g.spec.device),
            GenState::Nvme(g) => Some(g.spec.device),
            GenState::Accel(g) => Some(g.spec.device),
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
