//! Memory per device (issue 15, item 4): the peak heap of one run of a scenario with `n`
//! devices each driven by a NIC generator, counted by a wrapping global allocator (exact and
//! independent of machine load, unlike RSS). Linear in `n` with a small constant is the goal;
//! every device used to carry a 16 KiB latency histogram whether it recorded anything or not.
//!
//! Not a criterion bench (criterion times; this counts): `cargo bench -p iommu-sim-benches
//! --bench memory` prints one line per size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use iommu_sim_benches::flat_topology;
use sim_core::scenario::Scenario;
use sim_core::sim::run;
use sim_core::strategy::StrategyName;
use sim_core::topology::Platform;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let now = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static A: Counting = Counting;

/// `n` devices, each attached to its own container (one domain each), a quarter of them
/// running a NIC generator for a short while; the others are idle, as on a large platform.
fn scenario(n: usize) -> Scenario {
    let platform = Platform::parse(Path::new("flat.ron"), &flat_topology(n)).expect("topology");
    let mut s = String::from(
        "Scenario(name: \"mem\", topology: \"flat.ron\", seed: 1, duration: 200000, strategies: [\"per-group\"], containers: [",
    );
    for i in 0..n {
        s.push_str(&format!("Container(id: \"c{i}\"),"));
    }
    s.push_str("], events: [");
    for i in 0..n {
        s.push_str(&format!("(at: 0, op: Attach(device: \"{}\", container: \"c{i}\")),", iommu_sim_benches::flat_device(i)));
    }
    s.push_str("], generators: [");
    for i in (0..n).step_by(4) {
        s.push_str(&format!(
            "Nic(id: \"nic{i}\", device: \"{}\", container: \"c{i}\", start: 1000, stop: 100000, rate: Gbps(1)),",
            iommu_sim_benches::flat_device(i)
        ));
    }
    s.push_str("])");
    Scenario::from_parts(Path::new("mem.ron"), &s, platform).expect("scenario")
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument, if any, is ignored.
    println!("{:>8} {:>14} {:>14}", "devices", "peak run heap", "bytes/device");
    for n in [1000usize, 2000, 4000, 8000] {
        let sc = scenario(n);
        let base = LIVE.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        let r = run(&sc, StrategyName::PerGroup, 1, None);
        let peak = PEAK.load(Ordering::Relaxed) - base;
        drop(r);
        println!("{n:>8} {peak:>14} {:>14}", peak / n);
    }
}
