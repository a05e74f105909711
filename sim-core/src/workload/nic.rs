//! A NIC driven through the kernel DMA API: every packet buffer is mapped, the device DMAs the
//! packet into (RX) or out of (TX) it, and the buffer is unmapped — `dma_map_single` /
//! `dma_unmap_single` per packet, strict or lazy as the container says. With `page_pool` the
//! ring's buffers are mapped once and recycled (the page_pool API keeps them mapped), so only
//! the DMA remains per packet.
//!
//! IOVAs cycle through `ring` buffer slots; in lazy mode Linux does not reuse an IOVA until the
//! flush queue releases it, which the slot window models by cycling through `ring + 256` slots.
//!
//! Closed loop: a packet holds one of the `ring` buffers from its arrival until both its DMA
//! (descriptor read, packet, completion write — descriptors and completions live in a ring
//! mapped once at start, so they hit the IOTLB) and the driver's CPU work for it (map, unmap,
//! invalidation, on the earliest free of `cpus` CPUs, one NAPI context per queue) are done.
//! A packet arriving with every buffer held is dropped (`dropped`); the time packets waited
//! for a CPU is the backpressure. Descriptor sizes: 16-byte RX descriptors and 64-byte TX
//! WQEs / CQEs, as mlx5 (include/linux/mlx5/qp.h `struct mlx5_wqe_data_seg` 16 B, `MLX5_SEND_WQE_BB`
//! 64 B; include/linux/mlx5/device.h `struct mlx5_cqe64`).

use super::arrival::ArrivalClock;
use super::cpus::Cpus;
use super::schema::Rate;
use super::{Steps, TOKEN_START, TOKEN_STOP, page_up};
use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId};
use crate::spec::{Action, PROT_READ, PROT_WRITE};
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
    /// CPUs running the driver's per-packet work.
    pub cpus: u32,
}

/// Bytes of one descriptor ring slot (a 64-byte WQE/descriptor and a 64-byte CQE).
const SLOT_BYTES: u64 = 128;

impl NicSpec {
    /// Where the descriptor and completion rings are mapped: after the packet buffers,
    /// 2 MiB aligned.
    pub fn ring_iova(&self) -> u64 {
        let bufs = page_up(self.packet_bytes) * u64::from(self.window.max(self.ring));
        (self.iova_base + bufs).next_multiple_of(1 << 21)
    }

    /// Size of the ring mapping.
    pub fn ring_bytes(&self) -> u64 {
        page_up(SLOT_BYTES * u64::from(self.ring))
    }
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
    rings_mapped: bool,
    /// Buffers held by packets in flight.
    pending: u32,
    /// The CPUs its driver work runs on.
    cpus: Cpus,
}

/// Token of a packet arrival.
const PACKET: u32 = 0;
/// Token of a packet's buffer coming back (DMA and CPU work done).
const RELEASE: u32 = 1;

impl Nic {
    pub fn new(spec: NicSpec) -> Nic {
        let clock = ArrivalClock::new(spec.arrivals, spec.packets_per_sec);
        let buf = page_up(spec.packet_bytes);
        let cpus = Cpus::new(spec.cpus);
        Nic { spec, clock, packets: 0, buf, pool_mapped: false, rings_mapped: false, pending: 0, cpus }
    }

    /// A packet's DMA is done at `done` and its driver work takes `cpu` cycles: it runs on the
    /// earliest free CPU; the buffer comes back when both are over.
    pub fn completed(&mut self, now: Cycle, done: Cycle, cpu: Cycle, stats: &mut super::GenStats) -> Cycle {
        done.max(self.cpus.run(now, cpu, stats))
    }

    pub fn wake(&mut self, now: Cycle, token: u32, stopping: bool, rng: &mut SimRng, out: &mut Steps) {
        let s = &self.spec;
        let c = s.container;
        if token == RELEASE {
            self.pending -= 1;
            out.complete(s.packet_bytes);
            return;
        }
        if stopping {
            if self.pool_mapped && token == TOKEN_STOP {
                out.act(Action::Unmap { container: c, iova: s.iova_base, size: self.buf * u64::from(s.ring) });
                self.pool_mapped = false;
            }
            if self.rings_mapped && token == TOKEN_STOP {
                out.act(Action::Unmap { container: c, iova: s.ring_iova(), size: s.ring_bytes() });
                self.rings_mapped = false;
            }
            return;
        }
        if token == TOKEN_START {
            out.act(Action::Map {
                container: c,
                iova: s.ring_iova(),
                size: s.ring_bytes(),
                prot: PROT_READ | PROT_WRITE,
                backing_shift: 0,
            });
            self.rings_mapped = true;
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
            out.wake(now + self.clock.next_gap(rng), PACKET);
            if self.pending >= s.ring {
                // Every buffer is held: the NIC drops the packet (rx_out_of_buffer).
                out.drop_one();
                return;
            }
            self.pending += 1;
            let n = self.packets;
            self.packets += 1;
            // Alternate RX (device writes) and TX (device reads), as a forwarding NIC does.
            let write = n.is_multiple_of(2);
            let slot = s.ring_iova() + (n % u64::from(s.ring)) * SLOT_BYTES;
            // The descriptor (RX: 16 B; TX: a 64 B WQE), read from the long-lived ring.
            out.act(Action::Dma { device: s.device, iova: slot, bytes: if write { 16 } else { 64 }, write: false });
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
            // The 64-byte completion, written into the ring.
            out.act(Action::Dma { device: s.device, iova: slot + 64, bytes: 64, write: true });
            out.wake_when_done(RELEASE);
        }
    }

    pub fn packets(&self) -> u64 {
        self.packets
    }
}
