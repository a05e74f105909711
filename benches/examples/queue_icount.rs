//! The `event_queue` bench loop once, for instruction counts (valgrind; independent of load):
//! `queue_icount KIND PENDING EVENTS [periodic]` with KIND `engine` (the engine's queue: a sorted
//! ring up to 16 pending, a 4-ary heap beyond), `dary` (the 4-ary heap alone, the engine's queue
//! before the ring), `binary` (the `std` binary heap before that) or `radix`; EVENTS = PENDING
//! gives the setup cost to subtract. `periodic`: every source reschedules itself a fixed period
//! later (the SimPy-shaped scripted repeats) instead of at a random delay.
//! `valgrind --tool=callgrind --toggle-collect='queue_icount::run*' target/release/examples/queue_icount dary 1000 1000000`

use std::hint::black_box;

use iommu_sim_benches::queues::{BinaryEventQueue, DaryEventQueue, RadixEventQueue};
use sim_core::engine::{EventQueue, SimRng};

macro_rules! steady {
    ($q:expr, $pending:expr, $n:expr, $delays:expr) => {{
        let (q, pending, n_max, delays) = ($q, $pending, $n, $delays);
        for i in 0..pending {
            q.push(delays[(i & 4095) as usize], i);
        }
        let mut n = 0u64;
        while let Some((at, _, e)) = q.pop() {
            n += 1;
            if n + pending <= n_max {
                q.push(at + delays[(n & 4095) as usize], e);
            }
            black_box(e);
        }
        n
    }};
}

#[inline(never)]
fn run_engine(pending: u64, n: u64, delays: &[u64]) -> u64 {
    steady!(&mut EventQueue::<u64>::new(), pending, n, delays)
}
#[inline(never)]
fn run_dary(pending: u64, n: u64, delays: &[u64]) -> u64 {
    steady!(&mut DaryEventQueue::<u64>::default(), pending, n, delays)
}
#[inline(never)]
fn run_binary(pending: u64, n: u64, delays: &[u64]) -> u64 {
    steady!(&mut BinaryEventQueue::<u64>::default(), pending, n, delays)
}
#[inline(never)]
fn run_radix(pending: u64, n: u64, delays: &[u64]) -> u64 {
    steady!(&mut RadixEventQueue::<u64>::default(), pending, n, delays)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map_or("dary", String::as_str);
    let pending: u64 = args.get(2).map_or(1000, |s| s.parse().expect("pending"));
    let n: u64 = args.get(3).map_or(1_000_000, |s| s.parse().expect("events"));
    let mut rng = SimRng::for_source(1, "bench");
    let periodic = args.get(4).is_some_and(|a| a == "periodic");
    let delays: Vec<u64> = (0..4096).map(|_| if periodic { 100 } else { rng.below(pending * 10).max(1) }).collect();
    let popped = match kind {
        "engine" => run_engine(pending, n.max(pending), &delays),
        "dary" => run_dary(pending, n.max(pending), &delays),
        "binary" => run_binary(pending, n.max(pending), &delays),
        "radix" => run_radix(pending, n.max(pending), &delays),
        k => panic!("unknown queue {k}"),
    };
    println!("{kind} {pending} pending: {popped} events");
}
