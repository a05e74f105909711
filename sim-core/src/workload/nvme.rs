//! An NVMe drive: block requests arriving at `iops` (fixed or Poisson), at most `queue_depth`
//! outstanding (later arrivals wait for a completion, as a full submission queue makes the
//! host wait), each DMAing `block_bytes` into (read) or out of (write) a buffer picked from a
//! working set by a [`Pattern`], completing `service` cycles later.
//!
//! Closed loop: a request completes when its DMAs are done — the 64-byte submission entry
//! read from the SQ, the data, the 16-byte completion entry written to the CQ (NVMe Base
//! Spec §4.2, §4.6; the queues are mapped once at start, `nvme_alloc_queue` uses
//! `dma_alloc_coherent`) — plus the media time `service`.
//!
//! With `map_per_request` (the kernel driver: `dma_map_sg` per request) the buffer is mapped at
//! submission and unmapped at completion; without it (a user-space driver such as SPDK over
//! VFIO) the whole working set is mapped once at start and stays mapped.

use super::address::{Pattern, Picker};
use super::arrival::{ArrivalClock, Arrivals};
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
    /// In-flight request per queue slot: the buffer IOVA.
    slots: Vec<Option<u64>>,
    waiting: u64,
    premapped: bool,
    queues_mapped: bool,
    requests: u64,
}

const ARRIVAL: u32 = 0;

impl Nvme {
    pub fn new(spec: NvmeSpec) -> Nvme {
        let blocks = (spec.working_set / spec.block_bytes).max(1);
        Nvme {
            clock: ArrivalClock::new(spec.arrivals, spec.iops),
            picker: Picker::new(spec.pattern, blocks),
            slots: vec![None; spec.queue_depth as usize],
            waiting: 0,
            premapped: false,
            queues_mapped: false,
            requests: 0,
            spec,
        }
    }

    pub fn wake(&mut self, now: Cycle, token: u32, stopping: bool, rng: &mut SimRng, out: &mut Steps) {
        let c = self.spec.container;
        if token == TOKEN_STOP {
            if self.premapped {
                out.act(Action::Unmap { container: c, iova: self.spec.iova_base, size: self.spec.working_set });
                self.premapped = false;
            }
            if self.queues_mapped {
                out.act(Action::Unmap { container: c, iova: self.spec.queue_iova(), size: self.spec.queue_bytes() });
                self.queues_mapped = false;
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
            self.submit(now, rng, out);
            out.wake(now + self.clock.next_gap(rng), ARRIVAL);
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
        // A completion: token = 1 + slot.
        let slot = (token - 1) as usize;
        out.complete(self.spec.block_bytes);
        if let Some(iova) = self.slots.get_mut(slot).and_then(Option::take)
            && self.spec.map_per_request
        {
            out.act(Action::Unmap { container: c, iova, size: self.spec.block_bytes });
        }
        if self.waiting > 0 && !stopping {
            self.waiting -= 1;
            self.submit(now, rng, out);
        }
    }

    /// Issues one request into a free slot.
    fn submit(&mut self, now: Cycle, rng: &mut SimRng, out: &mut Steps) {
        let Some(slot) = self.slots.iter().position(Option::is_none) else { return };
        let s = &self.spec;
        // A buffer not already in flight (at most queue_depth probes).
        let mut block = self.picker.pick(rng);
        let blocks = (s.working_set / s.block_bytes).max(1);
        while self.slots.iter().flatten().any(|&i| i == s.iova_base + block * s.block_bytes) {
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
        // The drive fetches the command, moves the data (a read makes it write memory), and
        // posts the completion.
        let q = s.queue_iova();
        let sqe = q + slot as u64 * SQE;
        let cqe = q + u64::from(s.queue_depth) * SQE + slot as u64 * CQE;
        out.act(Action::Dma { device: s.device, iova: sqe, bytes: SQE, write: false });
        out.act(Action::Dma { device: s.device, iova, bytes: s.block_bytes, write: read });
        out.act(Action::Dma { device: s.device, iova: cqe, bytes: CQE, write: true });
        let _ = now;
        out.wake_when_done(1 + slot as u32);
        self.slots[slot] = Some(iova);
        self.requests += 1;
    }

    pub fn requests(&self) -> u64 {
        self.requests
    }
}
