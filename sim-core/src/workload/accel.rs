//! A GPU-like accelerator: a few large buffers mapped once for the whole run (so 2M/1G pages
//! are used where the IOMMU allows: each buffer starts 1 GiB aligned) and many translations per
//! mapping, streaming, strided or random.
//!
//! Closed loop: at most `outstanding` accesses are in flight; an access arriving when all are
//! busy waits (counted as backpressure) and is issued when one completes, so a device offered
//! more than its link carries streams at the link's rate.

use super::arrival::{ArrivalClock, Arrivals};
use super::schema::Access;
use super::{Steps, TOKEN_START, TOKEN_STOP};
use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId};
use crate::spec::{Action, PROT_READ, PROT_WRITE};
use crate::time::Cycle;

/// Most buffers one accelerator maps (each start wake-up maps them all at once).
pub const MAX_BUFFERS: u32 = 6;

#[derive(Clone, Debug)]
pub struct AccelSpec {
    pub id: String,
    pub device: DeviceId,
    pub container: ContainerId,
    pub start: Cycle,
    pub stop: Option<Cycle>,
    pub buffers: u32,
    pub buffer_bytes: u64,
    pub access: Access,
    pub access_bytes: u64,
    pub rate: u64,
    pub arrivals: Arrivals,
    pub iova_base: u64,
    /// Maps nothing: the buffers are inside memory mapped by someone else.
    pub premapped: bool,
    /// Accesses in flight at most.
    pub outstanding: u32,
}

impl AccelSpec {
    /// Distance between buffer starts: the buffer size rounded up to 1 GiB.
    pub fn pitch(&self) -> u64 {
        self.buffer_bytes.div_ceil(1 << 30) << 30
    }
}

#[derive(Debug)]
pub struct Accel {
    pub spec: AccelSpec,
    clock: ArrivalClock,
    offset: u64,
    mapped: bool,
    in_flight: u32,
    waiting: u64,
}

const ACCESS: u32 = 0;
/// An access completed.
const DONE: u32 = 1;

impl Accel {
    pub fn new(spec: AccelSpec) -> Accel {
        Accel { clock: ArrivalClock::new(spec.arrivals, spec.rate), offset: 0, mapped: false, in_flight: 0, waiting: 0, spec }
    }

    pub fn wake(&mut self, now: Cycle, token: u32, stopping: bool, rng: &mut SimRng, out: &mut Steps) {
        let s = &self.spec;
        if token == TOKEN_STOP {
            if self.mapped {
                for i in 0..u64::from(s.buffers) {
                    out.act(Action::Unmap { container: s.container, iova: s.iova_base + i * s.pitch(), size: s.buffer_bytes });
                }
                self.mapped = false;
            }
            return;
        }
        if token == TOKEN_START {
            // A premapped accelerator maps nothing (and so unmaps nothing at stop).
            let to_map = if s.premapped { 0 } else { u64::from(s.buffers) };
            for i in 0..to_map {
                out.act(Action::Map {
                    container: s.container,
                    iova: s.iova_base + i * s.pitch(),
                    size: s.buffer_bytes,
                    prot: PROT_READ | PROT_WRITE,
                    backing_shift: 0,
                });
            }
            self.mapped = !s.premapped;
        } else if token == DONE {
            self.in_flight -= 1;
            out.complete(s.access_bytes.min(s.buffer_bytes));
            if self.waiting > 0 && !stopping {
                self.waiting -= 1;
                self.issue(rng, out);
            }
            return;
        } else if token != ACCESS || stopping {
            return;
        }
        if stopping {
            return;
        }
        out.wake(now + self.clock.next_gap(rng), ACCESS);
        if self.in_flight >= s.outstanding {
            self.waiting += 1;
            return;
        }
        self.issue(rng, out);
    }

    /// Issues one access.
    fn issue(&mut self, rng: &mut SimRng, out: &mut Steps) {
        let s = &self.spec;
        self.in_flight += 1;
        let total = s.buffer_bytes * u64::from(s.buffers);
        let span = s.access_bytes.min(s.buffer_bytes);
        let off = match s.access {
            Access::Streaming => {
                let o = self.offset;
                self.offset = (self.offset + span) % total;
                o
            }
            Access::Strided(stride) => {
                let o = self.offset;
                self.offset = (self.offset + stride) % total;
                o
            }
            Access::Random => rng.below((total / span).max(1)) * span,
        };
        // Keep the access inside one buffer.
        let buffer = off / s.buffer_bytes;
        let within = (off % s.buffer_bytes).min(s.buffer_bytes - span);
        let iova = s.iova_base + buffer * s.pitch() + within;
        out.act(Action::Dma { device: s.device, iova, bytes: span, write: rng.below(2) == 0 });
        out.wake_when_done(DONE);
    }
}
