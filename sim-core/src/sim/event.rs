//! What the engine schedules, and the one-word form the event queue holds it in.

use crate::ids::ContainerId;

/// What the engine schedules. Small and `Copy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Event {
    /// The next occurrence of script line `line` (its state: `Simulation::script`).
    Script { line: u32 },
    /// Lazy-mode flush timer of a container, valid only for the flush generation it was armed in.
    FlushTimer { container: ContainerId, generation: u32 },
    /// Wake-up of generator `gen` (`token` says why: start, stop, a packet, a completion...).
    Gen { generator: u16, token: u32 },
    /// Injected fault `index` of the scenario starts.
    Fault { index: u16 },
    /// A delayed invalidation completes (slot in the pending list).
    Deferred { slot: u32 },
}

/// An [`Event`] packed in one `u64` (tag in bits 0..8, a 16-bit operand in bits 8..24, a
/// 32-bit one in bits 32..64), as the event queue stores it. Why (issue 15): the enum went
/// through the queue's `Option` in pieces, written to the stack 2 bytes at a time and read
/// back 8 at a time — a failed store-to-load forwarding stall on every event (perf: ~16 % of
/// the loop's samples on one instruction). A word travels in a register. Container ids fit
/// 16 bits because a scenario has at most `u16::MAX` containers (`scenario/load.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Packed(u64);

const SCRIPT: u64 = 0;
const FLUSH: u64 = 1;
const GEN: u64 = 2;
const FAULT: u64 = 3;
const DEFERRED: u64 = 4;

impl Event {
    #[inline(always)]
    pub(super) fn pack(self) -> Packed {
        let (tag, small, word): (u64, u16, u32) = match self {
            Event::Script { line } => (SCRIPT, 0, line),
            Event::FlushTimer { container, generation } => {
                debug_assert!(container.0 <= u32::from(u16::MAX), "containers are limited to u16::MAX");
                (FLUSH, container.0 as u16, generation)
            }
            Event::Gen { generator, token } => (GEN, generator, token),
            Event::Fault { index } => (FAULT, index, 0),
            Event::Deferred { slot } => (DEFERRED, 0, slot),
        };
        Packed(tag | u64::from(small) << 8 | u64::from(word) << 32)
    }
}

impl Packed {
    /// The script line, if this is a script line's occurrence (the hot path: no decoding).
    #[inline(always)]
    pub(super) fn script_line(self) -> Option<u32> {
        (self.0 & 0xff == SCRIPT).then_some((self.0 >> 32) as u32)
    }

    #[inline]
    pub(super) fn unpack(self) -> Event {
        let (small, word) = ((self.0 >> 8) as u16, (self.0 >> 32) as u32);
        match self.0 & 0xff {
            FLUSH => Event::FlushTimer { container: ContainerId(u32::from(small)), generation: word },
            GEN => Event::Gen { generator: small, token: word },
            FAULT => Event::Fault { index: small },
            DEFERRED => Event::Deferred { slot: word },
            _ => Event::Script { line: word },
        }
    }
}

/// Fills the event queue's unused ring slots (never popped, never processed).
impl Default for Packed {
    fn default() -> Self {
        Event::Script { line: u32::MAX }.pack()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_survives_packing() {
        let edge = [0u32, 1, 0xffff, 0x1_0000, u32::MAX];
        for &w in &edge {
            for &s in &[0u16, 1, 0xff, 0x100, u16::MAX] {
                for e in [
                    Event::Script { line: w },
                    Event::FlushTimer { container: ContainerId(u32::from(s)), generation: w },
                    Event::Gen { generator: s, token: w },
                    Event::Fault { index: s },
                    Event::Deferred { slot: w },
                ] {
                    assert_eq!(e.pack().unpack(), e);
                    assert_eq!(e.pack().script_line(), if let Event::Script { line } = e { Some(line) } else { None });
                }
            }
        }
    }
}
