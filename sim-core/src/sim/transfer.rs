//! One DMA request over the PCIe path, closed-loop: its TLPs wait for a tag (reads) or a
//! posted credit (writes) and for the link, each TLP is looked up in the IOMMU when it reaches
//! the root complex, reads then pay memory latency and return as completions on the other
//! direction of the link. The request completes when its last completion reaches the device
//! (reads) or its last write has been translated and accepted (writes are posted: the device
//! does not wait for memory, only for the root complex to take the TLP).
//!
//! Computed analytically at the request's cycle like translation itself (link, tags and
//! walkers are reserved into the future), so a request is one event however many TLPs it
//! has. TLPs never cross a 4 KiB boundary (MPS and MRRS are powers of two ≤ 4096 and split
//! aligned), so each TLP is exactly one translation request.

use crate::ids::DeviceId;
use crate::pcie::Port;
use crate::sim::core::Core;
use crate::sim::translate::DmaOutcome;
use crate::spec::{PROT_READ, PROT_WRITE, ProtBits};
use crate::time::Cycle;

/// How DMA is translated in a run: through the IOMMU (the strategies), or one of the two
/// no-translation baselines every throughput figure is shown beside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bypass {
    /// Translated by the IOMMU.
    #[default]
    None,
    /// An identity (passthrough) default domain, `iommu.passthrough=1` / `iommu=pt`: the DMA
    /// API is dma-direct (no map cost) and the IOMMU passes requests untranslated after a
    /// context lookup, charged as one IOTLB hit per TLP (assumed: a context-cache hit).
    Identity,
    /// No IOMMU at all (`intel_iommu=off`, `iommu.passthrough` without an IOMMU): nothing.
    Off,
}

impl Bypass {
    /// The name of the baseline run in results.
    pub const fn as_str(self) -> &'static str {
        match self {
            Bypass::None => "translated",
            Bypass::Identity => "identity",
            Bypass::Off => "iommu-off",
        }
    }
}

/// The result of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Transfer {
    /// Cycle the request completes (from the device's point of view).
    pub done: Cycle,
    pub out: DmaOutcome,
}

/// [`Bypass`] as a const generic parameter of the transfer loop.
pub(crate) const TRANSLATED: u8 = 0;
pub(crate) const IDENTITY: u8 = 1;
pub(crate) const OFF: u8 = 2;

/// Picoseconds to cycles, rounded up: `ps.div_ceil(1000)`, as one add and one multiply-shift
/// instead of a quotient, a remainder and a compare (three per TLP); the exact `div_ceil` for
/// the (unreachable) last 999 values of `u64`.
#[inline(always)]
fn ceil_cycles(ps: u64) -> Cycle {
    match ps.checked_add(999) {
        Some(x) => x / 1000,
        None => ps.div_ceil(1000),
    }
}

/// [`ceil_cycles`] of a time known to be at least 1 ps (a TLP's arrival: every wire time is
/// at least 1 ps): `(ps - 1) / 1000 + 1`, which cannot overflow — no branch for the last
/// 999 values of `u64` (issue 15).
#[inline(always)]
fn ceil_cycles_pos(ps: u64) -> Cycle {
    debug_assert!(ps > 0);
    (ps - 1) / 1000 + 1
}

/// Per-device constants of the DMA path, computed once per run ([`DevicePath::new`]) so that
/// a TLP reads one small record instead of chasing the platform tables (device → link,
/// memory, instance → costs) on every request (issue 15).
#[derive(Clone, Copy, Debug)]
pub struct DevicePath {
    /// Index of the device's IOMMU instance.
    pub iommu: usize,
    /// ATS-capable: it has a device TLB.
    pub ats: bool,
    /// Latency of a translation served by the first cache on the path (device TLB with ATS,
    /// else IOTLB): beyond it a TLP counts as stalled.
    pub hit: Cycle,
    pub iotlb_hit: Cycle,
    pub devtlb_hit: Cycle,
    pub ats_round_trip: Cycle,
    /// Walk service time without its PTE reads: walk-cache lookup + walker overhead.
    pub walk_base: Cycle,
    pub pte_read: Cycle,
    /// Memory read latency from the device's socket, picoseconds.
    pub mem_ps: u64,
    /// One-way link latency, picoseconds.
    pub lat_ps: u64,
    /// Max payload size and max read request size, bytes (powers of two).
    pub mps: u64,
    pub mrrs: u64,
    /// `mps - 1`, `mrrs - 1` and `log2(mps)`: a TLP's split point is a mask and its
    /// completion count a shift (`LinkParams::check` makes both powers of two).
    pub mps_mask: u64,
    pub mrrs_mask: u64,
    pub mps_shift: u32,
}

impl DevicePath {
    pub fn new(platform: &crate::topology::Platform, dev: usize) -> DevicePath {
        let info = &platform.devices[dev];
        let costs = &platform.iommus[info.iommu.index()].params.costs;
        DevicePath {
            iommu: info.iommu.index(),
            ats: info.ats,
            hit: if info.ats { costs.devtlb_hit } else { costs.iotlb_hit },
            iotlb_hit: costs.iotlb_hit,
            devtlb_hit: costs.devtlb_hit,
            ats_round_trip: costs.ats_round_trip,
            walk_base: costs.walk_cache_lookup + costs.walk_overhead,
            pte_read: costs.pte_read,
            mem_ps: platform.memory.latency_from(info.socket) * 1000,
            lat_ps: info.link.latency * 1000,
            mps: u64::from(info.link.mps),
            mrrs: u64::from(info.link.mrrs),
            mps_mask: u64::from(info.link.mps) - 1,
            mrrs_mask: u64::from(info.link.mrrs) - 1,
            mps_shift: info.link.mps.trailing_zeros(),
        }
    }
}

/// The previous TLP's translation within the request: a TLP to the same 4 KiB page as the
/// previous one, looked up a few nanoseconds later with nothing in between, hits the entry
/// the previous lookup just used or filled (already most recent, so no replacement state
/// changes); it is counted as a hit without searching the cache again. If the previous one
/// was still walking, it waits for that walk (hit under miss): its translation is ready no
/// earlier than `ready` (picoseconds).
#[derive(Clone, Copy)]
struct Last {
    page: u64,
    clean: bool,
    stale: bool,
    ready: u64,
}

impl Core<'_> {
    /// Device `dev` moves `bytes` bytes at `iova` (`write`: into memory), starting now.
    /// Inlined into the event loop (measured: the call and the returned struct cost more than
    /// the loop's own work in a no-translation baseline).
    /// (The event loop holds the ports apart from the core during a run and calls
    /// [`transfer_as`] directly.)
    pub fn transfer(&mut self, dev: DeviceId, iova: u64, bytes: u64, write: bool) -> Transfer {
        let mut ports = std::mem::take(&mut self.ports);
        let port = &mut ports[dev.index()];
        let path = self.paths[dev.index()];
        // One copy of the loop per mode: a baseline's TLP latency is a constant, and its loop
        // then keeps its state in registers instead of sharing the translated loop's spills.
        let t = match self.bypass {
            Bypass::None => transfer_as::<TRANSLATED>(self, port, &path, dev, iova, bytes, write),
            Bypass::Identity => transfer_as::<IDENTITY>(self, port, &path, dev, iova, bytes, write),
            Bypass::Off => transfer_as::<OFF>(self, port, &path, dev, iova, bytes, write),
        };
        self.ports = ports;
        t
    }

    /// The translation of one TLP arriving at the root complex at `at_ps` (translated runs);
    /// returns its latency in cycles. `FIRST`: the request's first TLP (nothing to repeat).
    #[inline(always)]
    fn lookup<const FIRST: bool>(
        &mut self,
        dev: DeviceId,
        addr: u64,
        need: ProtBits,
        at_ps: u64,
        last: &mut Last,
        out: &mut DmaOutcome,
    ) -> Cycle {
        let page = addr >> 12;
        out.translations += 1;
        if !FIRST && page == last.page && last.clean {
            let wait = ceil_cycles(last.ready.saturating_sub(at_ps));
            let lat = self.repeat_hit(dev, last.stale, wait);
            out.latency_sum += lat;
            out.stale += u64::from(last.stale);
            return lat;
        }
        let r = self.translate(dev, addr, need, ceil_cycles_pos(at_ps));
        out.latency_sum += r.latency;
        out.faults += u64::from(r.fault());
        out.stale += u64::from(r.stale());
        *last = Last { page, clean: !r.fault(), stale: r.stale(), ready: at_ps + r.latency * 1000 };
        r.latency
    }

    /// A TLP served by the entry the previous TLP of the request used (see [`Last`]).
    #[inline]
    fn repeat_hit(&mut self, dev: DeviceId, stale: bool, wait: Cycle) -> Cycle {
        let path = &self.paths[dev.index()];
        let ds = &mut self.devices[dev.index()];
        ds.translations += 1;
        let lat = if path.ats {
            ds.devtlb_hits += 1;
            path.devtlb_hit
        } else {
            ds.iotlb_hits += 1;
            path.iotlb_hit
        }
        .max(wait);
        ds.stale += u64::from(stale);
        ds.latency.record(lat);
        lat
    }
}

/// [`Core::transfer`] in mode `MODE` (the run's [`Bypass`] as a constant), over `port` and
/// `path`, the device's port and path constants held apart from `core` (issue 15: as
/// `core.ports[d]` the port was indexed and bounds-checked again after every lookup, since
/// `translate` borrows the whole core, and once more for the request's counters; the path
/// constants, copied out of `core.paths`, were spilled around the lookups).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn transfer_as<const MODE: u8>(
    core: &mut Core<'_>,
    port: &mut Port,
    path: &DevicePath,
    dev: DeviceId,
    iova: u64,
    bytes: u64,
    write: bool,
) -> Transfer {
    let now = core.now;
    match MODE {
        TRANSLATED => {
            let need = if write { PROT_WRITE } else { PROT_READ };
            let last = Last { page: u64::MAX, clean: false, stale: false, ready: 0 };
            let mut l = Translating { core, port, dev, need, last, out: DmaOutcome::default() };
            let done = request(path, now, iova, bytes, write, &mut l);
            Transfer { done, out: l.out }
        }
        // Identity: a context-cache hit per TLP (see `Bypass::Identity`).
        IDENTITY => {
            let done = request(path, now, iova, bytes, write, &mut Constant(port, path.iotlb_hit));
            Transfer { done, out: DmaOutcome::default() }
        }
        _ => {
            let done = request(path, now, iova, bytes, write, &mut Constant(port, 0));
            Transfer { done, out: DmaOutcome::default() }
        }
    }
}

/// What a request's TLP loop needs besides the path constants: the device's port, and the
/// translation latency (cycles) of a TLP to `addr` reaching the root complex at `arrive_ps`,
/// looked up ([`Translating`]) or a baseline's constant ([`Constant`]).
trait TlpLatency {
    fn port(&mut self) -> &mut Port;
    /// `FIRST`: the request's first TLP.
    fn latency<const FIRST: bool>(&mut self, addr: u64, arrive_ps: u64) -> Cycle;
}

/// A translated request's lookups (see [`Core::lookup`]).
struct Translating<'a, 's> {
    core: &'a mut Core<'s>,
    port: &'a mut Port,
    dev: DeviceId,
    need: ProtBits,
    last: Last,
    out: DmaOutcome,
}

impl TlpLatency for Translating<'_, '_> {
    #[inline(always)]
    fn port(&mut self) -> &mut Port {
        self.port
    }

    #[inline(always)]
    fn latency<const FIRST: bool>(&mut self, addr: u64, arrive_ps: u64) -> Cycle {
        self.core.lookup::<FIRST>(self.dev, addr, self.need, arrive_ps, &mut self.last, &mut self.out)
    }
}

/// A baseline's port (held for the whole request) and TLP latency (the same for every TLP).
struct Constant<'a>(&'a mut Port, Cycle);

impl TlpLatency for Constant<'_> {
    #[inline(always)]
    fn port(&mut self) -> &mut Port {
        self.0
    }

    #[inline(always)]
    fn latency<const FIRST: bool>(&mut self, _: u64, _: u64) -> Cycle {
        self.1
    }
}

/// The constants of one request's TLPs (see [`request`]).
/// (The wire times of partial TLPs are the port's, out of line: `Port::write_wire`.)
struct Tlps {
    write: bool,
    now_ps: u64,
    lat_ps: u64,
    mem_ps: u64,
    split: u64,
}

impl Tlps {
    /// Sends one TLP of `chunk` bytes at `addr`: returns when it is done (picoseconds: its
    /// last completion reaches the device, or a write is accepted) and its translation
    /// latency (cycles).
    #[inline(always)]
    fn send<const FIRST: bool>(&self, lookup: &mut impl TlpLatency, addr: u64, chunk: u64) -> (u64, Cycle) {
        let (now_ps, lat_ps, split) = (self.now_ps, self.lat_ps, self.split);
        let p = lookup.port();
        if self.write {
            let start = now_ps.max(p.up_free).max(p.posted.next_free());
            let wire = if chunk == split { p.wire.full_write } else { p.write_wire(chunk) };
            p.up_free = start + wire;
            let arrive = p.up_free + lat_ps;
            let lat = lookup.latency::<FIRST>(addr, arrive);
            let p = lookup.port();
            let retire = (arrive + lat * 1000).max(p.last_posted);
            p.last_posted = retire;
            p.posted.take(retire);
            (retire, lat)
        } else {
            let start = now_ps.max(p.up_free).max(p.tags.next_free());
            let wire = p.wire.read_request;
            p.up_free = start + wire;
            let arrive = p.up_free + lat_ps;
            let lat = lookup.latency::<FIRST>(addr, arrive);
            let p = lookup.port();
            let ready = arrive + lat * 1000 + self.mem_ps;
            let wire = if chunk == split { p.wire.full_read_completions } else { p.read_completions_wire(chunk) };
            p.down_free = ready.max(p.down_free) + wire;
            let release = p.down_free + lat_ps;
            p.tags.take(release);
            (release, lat)
        }
    }
}

/// One request's TLPs over the device's port, starting at cycle `now`: returns its
/// completion cycle.
#[inline(always)]
fn request(path: &DevicePath, now: Cycle, iova: u64, bytes: u64, write: bool, lookup: &mut impl TlpLatency) -> Cycle {
    let hit = path.hit;
    // Both are powers of two (`LinkParams::check`): `%` and `div_ceil` become a mask and
    // a shift (a division per TLP was ~10 % of a SimPy-shaped run's instructions).
    let split_mask = if write { path.mps_mask } else { path.mrrs_mask };
    let split = split_mask + 1;
    debug_assert!(split.is_power_of_two() && path.mps.is_power_of_two() && path.mps == 1 << path.mps_shift);
    let tlp = Tlps { write, now_ps: now * 1000, lat_ps: path.lat_ps, mem_ps: path.mem_ps, split };
    let (mut done_ps, mut stall_cycles, mut tlps) = (tlp.now_ps, 0, 0);
    let (addr, end) = (iova, iova.saturating_add(bytes));
    if addr < end {
        // The first TLP peeled off the loop: a one-TLP request (a small write, a read within
        // MRRS) runs no loop, and the first lookup of a request never repeats a previous one
        // (issue 15).
        let chunk = (split - (addr & split_mask)).min(end - addr);
        let (at, lat) = tlp.send::<true>(lookup, addr, chunk);
        // A TLP stalls when its translation took longer than a hit: then `lat - hit > 0`.
        (done_ps, stall_cycles, tlps) = (at, lat.saturating_sub(hit), 1);
        let mut addr = addr + chunk;
        while addr < end {
            let chunk = (split - (addr & split_mask)).min(end - addr);
            let (at, lat) = tlp.send::<false>(lookup, addr, chunk);
            done_ps = at;
            stall_cycles += lat.saturating_sub(hit);
            tlps += 1;
            addr += chunk;
        }
    }
    let done = ceil_cycles(done_ps);
    let p = lookup.port();
    // The link's busy times and the TLP total are formed at the end (`Port::settle`).
    p.tlps_by_dir[usize::from(write)] += tlps;
    p.c.requests += 1;
    if write {
        p.c.bytes_written += bytes;
    } else {
        p.c.bytes_read += bytes;
    }
    p.c.stall_cycles += stall_cycles;
    p.c.stalled_requests += u64::from(stall_cycles > 0);
    p.c.first.get_or_insert(now);
    if tlps == 0 {
        // The latest completion of the TLPs is formed at the end of the run
        // (`Port::settle`); a request without TLPs completes when it is issued.
        p.last_ps = p.last_ps.max(done_ps);
    }
    done
}

#[cfg(test)]
mod tests {
    #[test]
    fn ceil_cycles_is_div_ceil() {
        let edge = [0, 1, 999, 1000, 1001, 1999, 2000, u64::MAX - 1000, u64::MAX - 999, u64::MAX - 998, u64::MAX - 1, u64::MAX];
        for ps in edge.into_iter().chain((0..100_000).map(|i| i * 7919)) {
            assert_eq!(super::ceil_cycles(ps), ps.div_ceil(1000), "{ps}");
            if ps > 0 {
                assert_eq!(super::ceil_cycles_pos(ps), ps.div_ceil(1000), "{ps}");
            }
        }
    }
}
