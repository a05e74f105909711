//! A DMA engine in the style of PCIe microbenchmarks (pcie-bench's DMA engine, `dmaperf`):
//! reads or writes of `request_bytes` each, sequential or random over a window of
//! `window_bytes`, `outstanding` requests in flight; the next request is issued the moment
//! one completes (closed loop), until `stop` or until `total_bytes` have been moved.
//!
//! The window is mapped once at start (with the backing page size asked for, so 4 KiB vs
//! 2 MiB IOMMU pages can be compared) unless `premapped`.

use serde::{Deserialize, Serialize};

use super::{Steps, TOKEN_START, TOKEN_STOP};
use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId};
use crate::spec::{Action, PROT_READ, PROT_WRITE};
use crate::time::Cycle;

/// What the engine does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DmaDir {
    /// The device reads memory (non-posted: tags bound it).
    #[default]
    Read,
    /// The device writes memory (posted).
    Write,
}

/// Where each request goes in the window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DmaPattern {
    /// Each request follows the last, wrapping at the end of the window.
    #[default]
    Sequential,
    /// A uniformly random `request_bytes`-aligned offset.
    Random,
}

/// Most requests one engine keeps in flight (one slot each).
pub const MAX_OUTSTANDING: u32 = 4096;

#[derive(Clone, Debug)]
pub struct DmaEngineSpec {
    pub id: String,
    pub device: DeviceId,
    pub container: ContainerId,
    pub start: Cycle,
    pub stop: Option<Cycle>,
    pub dir: DmaDir,
    pub pattern: DmaPattern,
    pub request_bytes: u64,
    pub window_bytes: u64,
    pub outstanding: u32,
    /// Stop issuing after this many bytes (0: no limit).
    pub total_bytes: u64,
    pub iova_base: u64,
    /// log2 of the backing page size of the window's mapping (0: contiguous).
    pub backing_shift: u8,
    pub premapped: bool,
}

#[derive(Debug)]
pub struct DmaEngine {
    pub spec: DmaEngineSpec,
    next: u64,
    issued_bytes: u64,
    mapped: bool,
}

/// Completion of slot `s` is token `s` (`0..outstanding`).
impl DmaEngine {
    pub fn new(spec: DmaEngineSpec) -> DmaEngine {
        DmaEngine { spec, next: 0, issued_bytes: 0, mapped: false }
    }

    pub fn wake(&mut self, now: Cycle, token: u32, stopping: bool, rng: &mut SimRng, out: &mut Steps) {
        let _ = now;
        let s = &self.spec;
        if token == TOKEN_STOP {
            if self.mapped {
                out.act(Action::Unmap { container: s.container, iova: s.iova_base, size: s.window_bytes });
                self.mapped = false;
            }
            return;
        }
        if token == TOKEN_START {
            if stopping {
                return;
            }
            if !s.premapped {
                out.act(Action::Map {
                    container: s.container,
                    iova: s.iova_base,
                    size: s.window_bytes,
                    prot: PROT_READ | PROT_WRITE,
                    backing_shift: s.backing_shift,
                });
                self.mapped = true;
            }
            // The other slots start one by one, each from its own wake-up at this cycle, so
            // every request has its own completion.
            let n = s.outstanding;
            self.issue(0, rng, out);
            if n > 1 {
                out.wake(now, TOKEN_FIRST_SLOTS + 1);
            }
            return;
        }
        if token > TOKEN_FIRST_SLOTS {
            // Starting slot `token - TOKEN_FIRST_SLOTS`.
            let slot = token - TOKEN_FIRST_SLOTS;
            if stopping {
                return;
            }
            let n = s.outstanding;
            self.issue(slot, rng, out);
            if slot + 1 < n {
                out.wake(now, token + 1);
            }
            return;
        }
        // A completion of slot `token`.
        out.complete(s.request_bytes);
        if !stopping {
            self.issue(token, rng, out);
        }
    }

    /// Issues the next request into `slot`, unless the byte budget is spent.
    fn issue(&mut self, slot: u32, rng: &mut SimRng, out: &mut Steps) {
        let s = &self.spec;
        if s.total_bytes > 0 && self.issued_bytes >= s.total_bytes {
            return;
        }
        let slots = (s.window_bytes / s.request_bytes).max(1);
        let off = match s.pattern {
            DmaPattern::Sequential => {
                let o = self.next;
                self.next = (self.next + 1) % slots;
                o
            }
            DmaPattern::Random => rng.below(slots),
        } * s.request_bytes;
        self.issued_bytes += s.request_bytes;
        out.act(Action::Dma { device: s.device, iova: s.iova_base + off, bytes: s.request_bytes, write: s.dir == DmaDir::Write });
        out.wake_when_done(slot);
    }
}

/// Tokens above this start the initial slots (slot = token − this).
const TOKEN_FIRST_SLOTS: u32 = 1 << 20;
