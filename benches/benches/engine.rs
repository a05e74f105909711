//! Per-event engine costs (issue 15, item 4): the event queue at several pending sizes, random
//! draws, the Poisson gap, address picking and histogram recording.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iommu_sim_benches::queues::{BinaryEventQueue, DaryEventQueue, RadixEventQueue};
use sim_core::engine::{EventQueue, SimRng};
use sim_core::metrics::Histogram;
use sim_core::workload::address::{Pattern, Picker};
use sim_core::workload::arrival::{ArrivalClock, Arrivals};

/// Steady state with `pending` events in the queue: every pop schedules a successor at a
/// random delay (uniform in 1..10·pending cycles) until `N` events were popped.
macro_rules! steady {
    ($q:expr, $pending:expr, $delays:expr) => {{
        let (q, pending, delays) = ($q, $pending, $delays);
        for i in 0..pending {
            q.push(delays[(i & 4095) as usize], i);
        }
        let mut n = 0u64;
        while let Some((at, _, e)) = q.pop() {
            n += 1;
            if n + pending <= N {
                q.push(at + delays[(n & 4095) as usize], e);
            }
            black_box(e);
        }
        n
    }};
}

const N: u64 = 100_000;

/// The engine's queue (sorted ring up to 16 pending, 4-ary heap beyond) against the 4-ary heap
/// alone (its previous form), the one before (`std` binary heap) and a radix heap, at 8 pending
/// events (a few devices), 1 000 and 10 000 (one generator per device on
/// large platforms). Instruction counts of the same loops: `examples/queue_icount.rs`.
fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    g.throughput(Throughput::Elements(N));
    for pending in [8u64, 1000, 10_000] {
        let mut rng = SimRng::for_source(1, "bench");
        let delays: Vec<u64> = (0..4096).map(|_| rng.below(pending * 10).max(1)).collect();
        let size = if pending == 1000 { "1k".to_string() } else { pending.to_string() };
        g.bench_function(format!("push_pop_steady_{size}_pending"), |b| {
            let mut q: EventQueue<u64> = EventQueue::new();
            b.iter(|| steady!(&mut q, pending, &delays))
        });
        g.bench_function(format!("old_4ary_heap_{size}_pending"), |b| {
            let mut q: DaryEventQueue<u64> = DaryEventQueue::default();
            b.iter(|| steady!(&mut q, pending, &delays))
        });
        g.bench_function(format!("old_binary_heap_{size}_pending"), |b| {
            let mut q: BinaryEventQueue<u64> = BinaryEventQueue::default();
            b.iter(|| steady!(&mut q, pending, &delays))
        });
        g.bench_function(format!("radix_heap_{size}_pending"), |b| {
            b.iter(|| {
                let mut q: RadixEventQueue<u64> = RadixEventQueue::default();
                steady!(&mut q, pending, &delays)
            })
        });
    }
    g.finish();
}

fn sampling(c: &mut Criterion) {
    let mut g = c.benchmark_group("sampling");
    const N: u64 = 1000;
    g.throughput(Throughput::Elements(N));
    let mut rng = SimRng::for_source(1, "bench-rng");
    g.bench_function("rng_next_u64", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..N {
                acc ^= rng.next_u64();
            }
            black_box(acc)
        })
    });
    let mut clock = ArrivalClock::new(Arrivals::Poisson, 1_000_000);
    g.bench_function("poisson_gap", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for _ in 0..N {
                acc += clock.next_gap(&mut rng);
            }
            black_box(acc)
        })
    });
    for (name, pattern) in [("pick_uniform", Pattern::Uniform), ("pick_zipf", Pattern::Zipf)] {
        let mut p = Picker::new(pattern, 1 << 16);
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for _ in 0..N {
                    acc += p.pick(&mut rng);
                }
                black_box(acc)
            })
        });
    }
    let mut h = Histogram::default();
    let vals: Vec<u64> = (0..N).map(|_| rng.below(100_000)).collect();
    g.bench_function("histogram_record", |b| {
        b.iter(|| {
            for &v in &vals {
                h.record(black_box(v));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, queue, sampling);
criterion_main!(benches);
