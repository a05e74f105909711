//! The event queue: push/pop throughput with realistic interleaving (events scheduled a
//! little ahead of the current time, many ties).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::engine::{EventQueue, SimRng};

fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    const N: u64 = 100_000;
    g.throughput(Throughput::Elements(N));
    g.bench_function("push_pop_steady_1k_pending", |b| {
        let mut rng = SimRng::for_source(1, "bench");
        let delays: Vec<u64> = (0..4096).map(|_| rng.below(1000)).collect();
        b.iter(|| {
            let mut q: EventQueue<u64> = EventQueue::new();
            for i in 0..1000u64 {
                q.push(delays[i as usize], i);
            }
            let mut n = 0u64;
            while let Some((at, _, e)) = q.pop() {
                n += 1;
                if n < N {
                    q.push(at + delays[(n & 4095) as usize], e);
                }
                black_box(e);
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, queue);
criterion_main!(benches);
