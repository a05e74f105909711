//! A device's end of the PCIe path during a run: when each link direction is next free, the
//! release times of its tags and posted credits, and the throughput counters. Sized once at
//! start (one slot per tag and per credit); nothing grows during the run.

use crate::time::Cycle;

/// Release times of a bounded set of credits (tags or posted-header credits), in the order
/// they were taken. Completions return in issue order on the link model (reads complete in
/// order on the serialised downstream link; posted writes retire in order, PCIe ordering
/// rule: posted must not pass posted), so release times are nondecreasing and a ring is an
/// exact model: the next credit free is the oldest one taken.
#[derive(Clone, Debug)]
pub struct CreditRing {
    /// Release time (picoseconds) of each credit, oldest at `head`.
    slots: Vec<u64>,
    head: usize,
}

impl CreditRing {
    pub fn new(n: u32) -> CreditRing {
        CreditRing { slots: vec![0; n.max(1) as usize], head: 0 }
    }

    /// When the next credit is free (picoseconds).
    #[inline]
    pub fn next_free(&self) -> u64 {
        self.slots[self.head]
    }

    /// Takes the next credit; it is released at `at` (picoseconds).
    #[inline]
    pub fn take(&mut self, at: u64) {
        self.slots[self.head] = at;
        self.head += 1;
        if self.head == self.slots.len() {
            self.head = 0;
        }
    }
}

/// Streamed throughput counters of one device (become `DeviceResult` fields).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortCounters {
    /// DMA requests (one `Dma` action each).
    pub requests: u64,
    /// Bytes the device read from memory.
    pub bytes_read: u64,
    /// Bytes the device wrote to memory.
    pub bytes_written: u64,
    /// TLPs sent (read requests and writes).
    pub tlps: u64,
    /// Requests with at least one TLP that waited on a translation beyond a cache hit.
    pub stalled_requests: u64,
    /// Cycles TLPs waited on translation beyond a cache hit (walks, walker queueing, ATS
    /// round trips).
    pub stall_cycles: u64,
    /// Picoseconds the device→host direction of the link was busy.
    pub busy_up_ps: u64,
    /// Picoseconds the host→device direction was busy.
    pub busy_down_ps: u64,
    /// First request's issue cycle.
    pub first: Option<Cycle>,
    /// Latest completion cycle (formed from [`Port::last_ps`] by [`Port::settle`]).
    pub last: Cycle,
}

impl PortCounters {
    /// Cycles from the first request to the last completion.
    pub fn active_cycles(&self) -> u64 {
        self.first.map_or(0, |f| self.last.saturating_sub(f))
    }
}

/// One device's PCIe state.
#[derive(Clone, Debug)]
pub struct Port {
    /// Next free time of the device→host direction (picoseconds).
    pub up_free: u64,
    /// Next free time of the host→device direction at the root complex (picoseconds).
    pub down_free: u64,
    /// Non-posted requests in flight.
    pub tags: CreditRing,
    /// Posted writes not yet accepted (translated) by the root complex.
    pub posted: CreditRing,
    /// Retire time of the last posted write (they retire in order).
    pub last_posted: u64,
    /// Latest completion (picoseconds) of a request without TLPs (0 bytes: it completes when
    /// issued). The latest completion of the others is not tracked per request (issue 15):
    /// a read completes when its last completion reaches the device, `down_free + lat_ps`,
    /// and `down_free` never decreases, so the latest read completion is the final
    /// `down_free + lat_ps`; a write retires at `last_posted`, which never decreases either.
    /// [`Port::settle`] forms [`PortCounters::last`] from the three, rounded up to cycles
    /// once (the maximum of the rounded-up values is the rounded-up maximum).
    pub last_ps: u64,
    /// One-way link latency, picoseconds (as `DevicePath::lat_ps`).
    pub lat_ps: u64,
    /// TLPs sent, reads and writes: [`PortCounters::tlps`] and the link's busy times are
    /// formed from them by [`Port::settle`] (issue 15: no busy-time update per TLP). A read
    /// TLP keeps the upstream direction busy for `wire.read_request` and, if full-size, the
    /// downstream one for `wire.full_read_completions`; a full-size write the upstream one
    /// for `wire.full_write`; the other sizes are counted apart, by the (cold) functions
    /// that compute their wire times.
    pub tlps_by_dir: [u64; 2],
    partial_reads: u64,
    partial_writes: u64,
    partial_up_ps: u64,
    partial_down_ps: u64,
    pub c: PortCounters,
    /// Wire times (picoseconds) of the link's common TLPs, computed once (each is a division):
    /// a read request, a full-size write (`mps` bytes) and a full-size read's completions
    /// (`mrrs` bytes). Other sizes are computed per TLP (`LinkParams::wire_ps`).
    pub wire: WireTimes,
    /// The link, for the wire times of other sizes ([`Port::write_wire`],
    /// [`Port::read_completions_wire`]).
    pub link: super::LinkParams,
}

/// See [`Port::wire`].
#[derive(Clone, Copy, Debug)]
pub struct WireTimes {
    pub read_request: u64,
    pub full_write: u64,
    pub full_read_completions: u64,
}

impl Port {
    pub fn new(link: &super::LinkParams) -> Port {
        Port {
            up_free: 0,
            down_free: 0,
            tags: CreditRing::new(link.tags),
            posted: CreditRing::new(link.posted_credits),
            last_posted: 0,
            last_ps: 0,
            lat_ps: link.latency * 1000,
            tlps_by_dir: [0; 2],
            partial_reads: 0,
            partial_writes: 0,
            partial_up_ps: 0,
            partial_down_ps: 0,
            c: PortCounters::default(),
            link: *link,
            wire: WireTimes {
                read_request: link.wire_ps(super::link::REQUEST_OVERHEAD),
                full_write: link.wire_ps(u64::from(link.mps) + super::link::REQUEST_OVERHEAD),
                full_read_completions: link
                    .wire_ps(u64::from(link.mrrs) + u64::from(link.mrrs).div_ceil(u64::from(link.mps)) * super::link::COMPLETION_OVERHEAD),
            },
        }
    }
}

impl Port {
    /// Wire time (picoseconds) of a write TLP of `chunk` bytes other than a full-size one.
    /// Out of line (issue 15): the TLP path then keeps no link parameters across its
    /// lookups.
    #[cold]
    #[inline(never)]
    pub fn write_wire(&mut self, chunk: u64) -> u64 {
        let w = self.link.wire_ps(chunk + super::link::REQUEST_OVERHEAD);
        self.partial_writes += 1;
        self.partial_up_ps += w;
        w
    }

    /// Wire time (picoseconds) of the completions of a read TLP of `chunk` bytes other than
    /// a full-size one (split at the max payload size, a power of two). Out of line like
    /// [`Port::write_wire`].
    #[cold]
    #[inline(never)]
    pub fn read_completions_wire(&mut self, chunk: u64) -> u64 {
        let mps = u64::from(self.link.mps);
        debug_assert!(mps.is_power_of_two());
        let completions = (chunk + mps - 1) >> mps.trailing_zeros();
        let w = self.link.wire_ps(chunk + completions * super::link::COMPLETION_OVERHEAD);
        self.partial_reads += 1;
        self.partial_down_ps += w;
        w
    }

    /// Forms the counters kept in another form during the run (see [`Port::last_ps`]); the
    /// run calls it once, at its end. Idempotent.
    pub fn settle(&mut self) {
        // `down_free` is 0 until the first read TLP (every wire time is at least 1 ps).
        let reads_done = if self.down_free > 0 { self.down_free + self.lat_ps } else { 0 };
        self.c.last = self.last_ps.max(reads_done).max(self.last_posted).div_ceil(1000);
        // The same sums as adding each TLP's wire time (modulo 2^64 like them).
        let [reads, writes] = self.tlps_by_dir;
        let full_writes = writes.wrapping_sub(self.partial_writes);
        let full_reads = reads.wrapping_sub(self.partial_reads);
        self.c.tlps = reads.wrapping_add(writes);
        self.c.busy_up_ps = reads
            .wrapping_mul(self.wire.read_request)
            .wrapping_add(full_writes.wrapping_mul(self.wire.full_write))
            .wrapping_add(self.partial_up_ps);
        self.c.busy_down_ps = full_reads.wrapping_mul(self.wire.full_read_completions).wrapping_add(self.partial_down_ps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_hands_out_the_oldest_credit() {
        let mut r = CreditRing::new(2);
        assert_eq!(r.next_free(), 0);
        r.take(10);
        assert_eq!(r.next_free(), 0);
        r.take(20);
        assert_eq!(r.next_free(), 10);
        r.take(30);
        assert_eq!(r.next_free(), 20);
    }
}
