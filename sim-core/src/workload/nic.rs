//! A NIC driven through the kernel DMA API: every packet buffer is mapped, the device DMAs the
//! packet into (RX) or out of (TX) it, and the buffer is unmapped — `dma_map_single` /
//! `dma_unmap_single` per packet, strict or lazy as the container says. With `page_pool` the
//! ring's buffers are mapped once and recycled (the page_pool API keeps them mapped), so only
//! the DMA remains per packet.
//!
//! IOVAs cycle through `ring` buffer slots; in lazy mode Linux does not reuse an IOVA until the
//! flush queue releases it, which the slot window models by cycling through `ring + 256` slots.

use super::arrival::ArrivalClock;
use super::schema::Rate;
use super::{Steps, TOKEN_START, TOKEN_STOP, page_up};
use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId};
use crate::scenario::{Action, PROT_READ, PROT_WRITE};
use crate::time::Cycle;

#[derive(Clone, Debug)]
pub struct NicSpec {
    pub id: String,
    pub device: DeviceId,
    pub container: ContainerId,
    pub start: Cycle,
    pub stop: Option<Cycle>,
    pub packets_per_sec: u64,
    pub packet_bytes: u64,
    pub ring: u32,
    pub arrivals: super::arrival::Arrivals,
    pub page_pool: bool,
    pub iova_base: u64,
    /// Slots IOVAs cycle through (ring, plus the flush queue in lazy mode).
    pub window: u32,
}

impl NicSpec {
    /// Packets per second for a rate and packet size.
    pub fn packets_per_sec(rate: Rate, packet_bytes: u64) -> u64 {
        match rate {
            Rate::PacketsPerSec(p) => p,
            Rate::Gbps(g) => g.saturating_mul(1_000_000_000) / (8 * packet_bytes.max(1)),
        }
    }
}

#[derive(Debug)]
pub struct Nic {
    pub spec: NicSpec,
    clock: ArrivalClock,
    packets: u64,
    buf: u64,
    pool_mapped: bool,
}

/// Token of a packet arrival.
const PACKET: u32 = 0;

impl Nic {
    pub fn new(spec: NicSpec) -> Nic {
        let clock = ArrivalClock::new(spec.arrivals, spec.packets_per_sec);
        let buf = page_up(spec.packet_bytes);
        Nic { spec, clock, packets: 0, buf, pool_mapped: false }
    }

    pub fn wake(&mut self, now: Cycle, token: u32, stopping: bool, rng: &mut SimRng, out: &mut Steps) {
        let s = &self.spec;
        let c = s.container;
        if stopping {
            if self.pool_mapped && token == TOKEN_STOP {
                out.act(Action::Unmap { container: c, iova: s.iova_base, size: self.buf * u64::from(s.ring) });
                self.pool_mapped = false;
            }
            return;
        }
        if token == TOKEN_START && s.page_pool {
            out.act(Action::Map {
                container: c,
                iova: s.iova_base,
                size: self.buf * u64::from(s.ring),
                prot: PROT_READ | PROT_WRITE,
                backing_shift: 0,
            });
            self.pool_mapped = true;
        }
        if token == TOKEN_START || token == PACKET {
            let n = self.packets;
            self.packets += 1;
            // Alternate RX (device writes) and TX (device reads), as a forwarding NIC does.
            let write = n.is_multiple_of(2);
            if s.page_pool {
                let iova = s.iova_base + (n % u64::from(s.ring)) * self.buf;
                out.act(Action::Dma { device: s.device, iova, bytes: s.packet_bytes, write });
            } else {
                let iova = s.iova_base + (n % u64::from(s.window)) * self.buf;
                let prot = if write { PROT_WRITE } else { PROT_READ };
                out.act(Action::Map { container: c, iova, size: self.buf, prot, backing_shift: 0 });
                out.act(Action::Dma { device: s.device, iova, bytes: s.packet_bytes, write });
                out.act(Action::Unmap { container: c, iova, size: self.buf });
            }
            out.wake(now + self.clock.next_gap(rng), PACKET);
        }
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }
}
