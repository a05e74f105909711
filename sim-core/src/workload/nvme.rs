//! An NVMe drive: block requests arriving at `iops` (fixed or Poisson), at most `queue_depth`
//! outstanding (later arrivals wait for a completion, as a full submission queue makes the
//! host wait), each DMAing `block_bytes` into (read) or out of (write) a buffer picked from a
//! working set by a [`Pattern`], completing `service` cycles later.
//!
//! Closed loop, host CPU included. A request goes through four steps, each a wake-up:
//! 1. *submit*: the buffer is mapped (`dma_map_sg`, with `map_per_request`) and the driver
//!    prepares the command — `submit_cpu` cycles plus the map's CPU cost, on the earliest free
//!    of the generator's `cpus`;
//! 2. *doorbell* (when that CPU work is done): the drive reads the 64-byte submission entry
//!    from the SQ, moves the data and writes the 16-byte completion entry to the CQ (NVMe Base
//!    Spec §4.2, §4.6; the queues are mapped once at start, `nvme_alloc_queue` uses
//!    `dma_alloc_coherent`);
//! 3. *done* (DMAs done + the media time `service`): the completion interrupt runs
//!    `complete_cpu` cycles plus the unmap and its invalidation (strict: at once) on the
//!    earliest free CPU;
//! 4. *release* (when that CPU work is done): the slot is free and the request counts as
//!    completed; a waiting arrival is submitted.
//!
//! So at QD1 a request's latency includes both CPU shares, and at a high queue depth IOPS are
//! bounded by `cpus / (CPU per request)`: with strict invalidation the unmap's invalidation
//! and sync cost IOPS once the CPUs are the bottleneck. In the no-translation baselines the
//! DMA API is dma-direct (no map/unmap CPU), the driver's own CPU remains. All integer.
//!
//! With `map_per_request` (the kernel driver: `dma_map_sg` per request) the buffer is mapped at
//! submission and unmapped at completion; without it (a user-space driver such as SPDK over
//! VFIO) the whole working set is mapped once at start and stays mapped.

use super::address::{Pattern, Picker};
use super::arrival::{ArrivalClock, Arrivals};
use super::cpus::Cpus;
use super::{Steps, TOKEN_START, TOKEN_STOP};
use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId};
use crate::spec::{Action, PROT_READ, PROT_WRITE};
use crate::time::Cycle;

#[derive(Clone, Debug)]
pub struct NvmeSpec {
    pub id: String,
    pub device: DeviceId,
    pub container: ContainerId,
    pub start: Cycle,
    pub stop: Option<Cycle>,
    pub iops: u64,
    pub queue_depth: u32,
    pub block_bytes: u64,
    pub pattern: Pattern,
    pub working_set: u64,
    pub reads_per_mille: u32,
    pub map_per_request: bool,
    pub service: Cycle,
    pub arrivals: Arrivals,
    pub iova_base: u64,
    /// CPUs submitting requests and handling completions.
    pub cpus: u32,
    /// Driver CPU cycles per submission and per completion, besides the DMA API's.
    pub submit_cpu: Cycle,
    pub complete_cpu: Cycle,
}

/// Submission-queue entry and completion-queue entry sizes (NVMe Base Spec: 64 and 16 bytes).
const SQE: u64 = 64;
const CQE: u64 = 16;

impl NvmeSpec {
    /// Where the SQ and CQ are mapped: after the working set, 2 MiB aligned.
    pub fn queue_iova(&self) -> u64 {
        (self.iova_base + self.working_set).next_multiple_of(1 << 21)
    }

    /// Size of the queue mapping: one SQE and one CQE per queue slot.
    pub fn queue_bytes(&self) -> u64 {
        super::page_up((SQE + CQE) * u64::from(self.queue_depth))
    }
}

#[derive(Debug)]
pub struct Nvme {
    pub spec: NvmeSpec,
    clock: ArrivalClock,
    picker: Picker,
    /// In-flight request per queue slot: the buffer IOVA and the cycle it was submitted.
    slots: Vec<Option<(u64, Cycle)>>,
    /// The CPUs the driver's submission and completion work runs on.
    cpus: Cpus,
    /// Per slot: the request reads from the drive (its data DMA writes memory); it was
    /// cancelled because the drive was removed before its doorbell.
    reads: Vec<bool>,
    aborted: Vec<bool>,
    /// The generator stopped: unmap the queues once the last request in flight is released.
    unmap_when_idle: bool,
    waiting: u64,
    premapped: bool,
    queues_mapped: bool,
    requests: u64,
}

const ARRIVAL: u32 = 0;
/// A slot's token is `1 + slot · 3 + step`: the request's CPU submission work is done (ring
/// the doorbell), its DMAs and media time are done, its completion CPU work is done.
const DOORBELL: u32 = 0;
const DONE: u32 = 1;
const RELEASE: u32 = 2;

fn slot_token(slot: usize, step: u32) -> u32 {
    1 + slot as u32 * 3 + step
}

impl Nvme {
    pub fn new(spec: NvmeSpec) -> Nvme {
        let blocks = (spec.working_set / spec.block_bytes).max(1);
        Nvme {
            clock: ArrivalClock::new(spec.arrivals, spec.iops),
            picker: Picker::new(spec.pattern, blocks),
            slots: vec![None; spec.queue_depth as usize],
            cpus: Cpus::new(spec.cpus),
            reads: vec![false; spec.queue_depth as usize],
            aborted: vec![false; spec.queue_depth as usize],
            unmap_when_idle: false,
            waiting: 0,
            premapped: false,
            queues_mapped: false,
            requests: 0,
            spec,
        }
    }

    /// `gone`: the drive was surprise-removed (`stopping` is then also set).
    pub fn wake(&mut self, now: Cycle, token: u32, stopping: bool, gone: bool, rng: &mut SimRng, out: &mut Steps) {
        let c = self.spec.container;
        if token == TOKEN_STOP {
            // The queues and a premapped working set stay mapped until the requests in flight
            // (whose doorbell may still be ahead) are released.
            self.unmap_when_idle = true;
            if self.slots.iter().all(Option::is_none) {
                self.unmap_all(out);
            }
            return;
        }
        if token == TOKEN_START {
            // A drive already removed (unplugged before `start`) never starts: no mapping, no
            // request, no arrivals.
            if stopping {
                return;
            }
            out.act(Action::Map {
                container: c,
                iova: self.spec.queue_iova(),
                size: self.spec.queue_bytes(),
                prot: PROT_READ | PROT_WRITE,
                backing_shift: 0,
            });
            self.queues_mapped = true;
            if !self.spec.map_per_request {
                out.act(Action::Map {
                    container: c,
                    iova: self.spec.iova_base,
                    size: self.spec.working_set,
                    prot: PROT_READ | PROT_WRITE,
                    backing_shift: 0,
                });
                self.premapped = true;
            }
            // The first request arrives now, in a wake-up of its own: the queues' mapping
            // (driver probe) is not CPU work of any request.
            out.wake(now, ARRIVAL);
            return;
        }
        if token == ARRIVAL {
            if stopping {
                return;
            }
            if self.slots.iter().all(Option::is_some) {
                self.waiting += 1;
            } else {
                self.submit(now, rng, out);
            }
            out.wake(now + self.clock.next_gap(rng), ARRIVAL);
            return;
        }
        let (slot, step) = (((token - 1) / 3) as usize, (token - 1) % 3);
        let Some((iova, _)) = self.slots.get(slot).copied().flatten() else { return };
        let s = &self.spec;
        match step {
            DOORBELL if gone => {
                // A removed drive fetches nothing: the request goes straight to its completion
                // handling (the driver cancels it when the controller goes away), moving no data.
                self.aborted[slot] = true;
                out.wake_when_done(slot_token(slot, DONE));
            }
            DOORBELL => {
                // The drive fetches the command, moves the data (a read makes it write
                // memory), and posts the completion. The direction was drawn at submission.
                let q = s.queue_iova();
                let sqe = q + slot as u64 * SQE;
                let cqe = q + u64::from(s.queue_depth) * SQE + slot as u64 * CQE;
                let read = self.reads[slot];
                out.act(Action::Dma { device: s.device, iova: sqe, bytes: SQE, write: false });
                out.act(Action::Dma { device: s.device, iova, bytes: s.block_bytes, write: read });
                out.act(Action::Dma { device: s.device, iova: cqe, bytes: CQE, write: true });
                out.wake_when_done(slot_token(slot, DONE));
            }
            DONE => {
                // The completion interrupt: unmap (and, strict, invalidate), then hand the
                // request back once a CPU has done it.
                if s.map_per_request {
                    out.act(Action::Unmap { container: c, iova, size: s.block_bytes });
                }
                out.wake_when_done(slot_token(slot, RELEASE));
            }
            _ => {
                self.slots[slot] = None;
                if !std::mem::take(&mut self.aborted[slot]) {
                    out.complete(s.block_bytes);
                }
                if self.waiting > 0 && !stopping {
                    self.waiting -= 1;
                    self.submit(now, rng, out);
                } else if self.unmap_when_idle && self.slots.iter().all(Option::is_none) {
                    self.unmap_all(out);
                }
            }
        }
    }

    /// The wake-up of `token` asked to hear when its DMAs are done (`done`) and charged
    /// `cpu` DMA-API cycles: when does the request's next step happen? Submission and
    /// completion work run on the earliest free CPU; the media time follows the DMAs.
    pub fn completed(&mut self, _now: Cycle, token: u32, done: Cycle, cpu: Cycle, stats: &mut super::GenStats) -> Cycle {
        let (slot, step) = (((token - 1) / 3) as usize, (token - 1) % 3);
        match step {
            DONE => done + self.spec.service,
            _ => {
                let work = cpu + if step == DOORBELL { self.spec.submit_cpu } else { self.spec.complete_cpu };
                let at = self.cpus.run(done, work, stats);
                if step == RELEASE
                    && let Some((_, submitted)) = self.slots.get(slot).copied().flatten()
                {
                    stats.issued += 1;
                    stats.latency_sum += at - submitted;
                }
                at
            }
        }
    }

    /// Unmaps the queues and a premapped working set (at stop, once nothing is in flight).
    fn unmap_all(&mut self, out: &mut Steps) {
        let c = self.spec.container;
        if self.premapped {
            out.act(Action::Unmap { container: c, iova: self.spec.iova_base, size: self.spec.working_set });
            self.premapped = false;
        }
        if self.queues_mapped {
            out.act(Action::Unmap { container: c, iova: self.spec.queue_iova(), size: self.spec.queue_bytes() });
            self.queues_mapped = false;
        }
    }

    /// Issues one request into a free slot: maps its buffer and asks for the CPU (the DMAs
    /// follow at the doorbell).
    fn submit(&mut self, now: Cycle, rng: &mut SimRng, out: &mut Steps) {
        let Some(slot) = self.slots.iter().position(Option::is_none) else { return };
        let s = &self.spec;
        // A buffer not already in flight (at most queue_depth probes).
        let mut block = self.picker.pick(rng);
        let blocks = (s.working_set / s.block_bytes).max(1);
        while self.slots.iter().flatten().any(|&(i, _)| i == s.iova_base + block * s.block_bytes) {
            block = (block + 1) % blocks;
        }
        let iova = s.iova_base + block * s.block_bytes;
        let read = rng.below(1000) < u64::from(s.reads_per_mille);
        if s.map_per_request {
            out.act(Action::Map {
                container: s.container,
                iova,
                size: s.block_bytes,
                prot: if read { PROT_WRITE } else { PROT_READ },
                backing_shift: 0,
            });
        }
        out.wake_when_done(slot_token(slot, DOORBELL));
        self.slots[slot] = Some((iova, now));
        self.reads[slot] = read;
        self.requests += 1;
    }

    pub fn requests(&self) -> u64 {
        self.requests
    }
}
