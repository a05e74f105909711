//! What the event loop records of every processed event: its kind and operands
//! ([`EventRecord`], folded into the run digest and written by `--trace`), and the observer
//! that receives them (split out of `sim/mod.rs`, one concept per file).

use crate::time::Cycle;

/// The kind of a processed event, as recorded in digests and traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum EventKind {
    Attach = 1,
    Detach = 2,
    Map = 3,
    Unmap = 4,
    Dma = 5,
    Flush = 6,
    /// An injected fault started.
    Fault = 7,
    /// A delayed invalidation completed.
    InvalidationDone = 8,
}

impl EventKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Attach => "attach",
            EventKind::Detach => "detach",
            EventKind::Map => "map",
            EventKind::Unmap => "unmap",
            EventKind::Dma => "dma",
            EventKind::Flush => "flush",
            EventKind::Fault => "fault",
            EventKind::InvalidationDone => "invalidation-done",
        }
    }

    pub fn from_u8(v: u8) -> Option<EventKind> {
        Some(match v {
            1 => EventKind::Attach,
            2 => EventKind::Detach,
            3 => EventKind::Map,
            4 => EventKind::Unmap,
            5 => EventKind::Dma,
            6 => EventKind::Flush,
            7 => EventKind::Fault,
            8 => EventKind::InvalidationDone,
            _ => return None,
        })
    }
}

/// One processed event: what it was and how it came out. This is what the digest folds and
/// what `--trace` writes; `a`, `b`, `c` are the event's operands (ids, addresses, sizes) and
/// `outcome` a compact result (errno, domain, latency sum...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventRecord {
    pub cycle: Cycle,
    pub kind: EventKind,
    pub a: u64,
    pub b: u64,
    pub c: u64,
    pub outcome: u64,
    /// CPU cycles the event charged (attach, map, unmap and invalidation costs together), so a
    /// changed cost constant shows in the digest and at the first event it affects.
    pub cpu: u64,
}

/// Receives every processed event (the trace writer).
pub trait Observer {
    fn event(&mut self, rec: &EventRecord);
    /// A kernel log line a driver printed while the last event was processed (`run --log`).
    fn log(&mut self, _line: &crate::linux::klog::LogRecord) {}
}
