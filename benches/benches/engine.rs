//! Per-event engine costs (issue 15, item 4): the event queue at several pending sizes, random
//! draws, the Poisson gap, address picking and histogram recording.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::engine::{EventQueue, SimRng};
use sim_core::metrics::Histogram;
use sim_core::workload::address::{Pattern, Picker};
use sim_core::workload::arrival::{ArrivalClock, Arrivals};

fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    const N: u64 = 100_000;
    g.throughput(Throughput::Elements(N));
    // 8 pending: a few devices; 1k and 10k: one generator per device on large platforms.
    for pending in [8u64, 1000, 10_000] {
        let name = match pending {
            1000 => "push_pop_steady_1k_pending".to_string(),
            p => format!("push_pop_steady_{p}_pending"),
        };
        g.bench_function(name, |b| {
            let mut rng = SimRng::for_source(1, "bench");
            let delays: Vec<u64> = (0..4096).map(|_| rng.below(pending * 10).max(1)).collect();
            let mut q: EventQueue<u64> = EventQueue::new();
            b.iter(|| {
                for i in 0..pending {
                    q.push(delays[i as usize], i);
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
