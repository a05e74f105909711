//! Running items on every core of the current rayon pool, handing each finished item to the
//! caller **in item order**, so a results file can be written front to back as the sweep goes
//! (no sorted rewrite at the end: nothing serial after the last run).
//!
//! Each worker thread takes the next pending item from a shared cursor, so items start in
//! order and at most one per worker is running. A point's scenario is built once, by the first
//! worker to reach it, shared by the point's items (seeds × strategies) and dropped when its
//! last item finishes: memory follows the number of workers, not of points. Finished items
//! wait in a reorder window of `WINDOW_PER_WORKER × workers` records until every earlier item
//! has been handed over; a worker whose item is further ahead than the window waits (only
//! when one item runs far longer than the others), which bounds memory whatever the run times.
//!
//! After Ctrl-C (`budget::request_stop`) no new item starts, and a run stopped part-way is
//! not reported (its numbers are partial): it leaves a hole that a rerun fills.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use super::SweepError;
use super::grid::Grid;
use super::record::{Coord, Record};
use crate::scenario::Scenario;

/// Finished records held per worker, at most, while an earlier item still runs.
pub const WINDOW_PER_WORKER: usize = 4;

/// Runs the items numbered in `pending` (ascending) on the current rayon pool, calling `done`
/// for each finished one in the order of `pending`, one call at a time. Items interrupted by
/// Ctrl-C, or not started because of it, are skipped.
pub fn run(grid: &Grid, pending: &[u64], done: &(dyn Fn(Record) + Sync)) -> Result<(), SweepError> {
    if pending.is_empty() {
        return Ok(());
    }
    let workers = rayon::current_num_threads().max(1);
    // Consecutive pending items of one point form a group: group `g` spans
    // `starts[g]..starts[g + 1]` of `pending`.
    let mut starts: Vec<usize> = Vec::new();
    let mut group_of: Vec<u32> = Vec::with_capacity(pending.len());
    let mut last_point = None;
    for (pos, &index) in pending.iter().enumerate() {
        let point = grid.item(index).point;
        if last_point != Some(point) {
            starts.push(pos);
            last_point = Some(point);
        }
        group_of.push((starts.len() - 1) as u32);
    }
    starts.push(pending.len());
    let run = Shared {
        grid,
        pending,
        cursor: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        error: Mutex::new(None),
        points: (0..starts.len() - 1).map(|_| Mutex::new(Slot::Unbuilt)).collect(),
        left: starts.windows(2).map(|w| AtomicUsize::new(w[1] - w[0])).collect(),
        group_of,
        order: Mutex::new(Order { next: 0, ready: BTreeMap::new() }),
        room: Condvar::new(),
        window: WINDOW_PER_WORKER * workers,
        done,
    };
    rayon::broadcast(|_| run.worker());
    let error = run.error.into_inner().unwrap_or_else(|p| p.into_inner());
    error.map_or(Ok(()), |(_, e)| Err(e))
}

/// A point's scenario: built on first use, shared, dropped after its last item.
enum Slot {
    Unbuilt,
    Built(Arc<Scenario>),
    Failed,
    Dropped,
}

/// Finished items not yet handed over: `next` is the first position of `pending` not handed
/// over; `ready` holds later ones (`None`: skipped, nothing to hand over).
struct Order {
    next: usize,
    ready: BTreeMap<usize, Option<Record>>,
}

struct Shared<'a> {
    grid: &'a Grid,
    pending: &'a [u64],
    cursor: AtomicUsize,
    /// A point failed to build: no new item starts.
    failed: AtomicBool,
    /// The failure of the earliest point (position, error), so the message does not depend
    /// on scheduling.
    error: Mutex<Option<(usize, SweepError)>>,
    points: Vec<Mutex<Slot>>,
    /// Items of each group not yet finished.
    left: Vec<AtomicUsize>,
    group_of: Vec<u32>,
    order: Mutex<Order>,
    room: Condvar,
    window: usize,
    done: &'a (dyn Fn(Record) + Sync),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared<'_> {
    fn worker(&self) {
        loop {
            if crate::budget::stop_requested() || self.failed.load(Ordering::Relaxed) {
                return;
            }
            let pos = self.cursor.fetch_add(1, Ordering::Relaxed);
            if pos >= self.pending.len() {
                return;
            }
            // Hands the position over even if the run below panics, so no worker waits
            // forever for it.
            let mut slot = Finish { shared: self, pos, record: None };
            slot.record = self.run_item(pos);
        }
    }

    fn run_item(&self, pos: usize) -> Option<Record> {
        let index = self.pending[pos];
        let grid = self.grid;
        let item = grid.item(index);
        let group = self.group_of[pos] as usize;
        let scenario = self.scenario(group, pos, item.point);
        let run = scenario.as_ref().map(|s| crate::sim::run(s, item.strategy, item.seed, None));
        drop(scenario);
        if self.left[group].fetch_sub(1, Ordering::AcqRel) == 1 {
            *lock(&self.points[group]) = Slot::Dropped;
        }
        let run = run?;
        if run.interrupted {
            return None;
        }
        Some(Record {
            key: grid.key(&item),
            sweep: grid.name.clone(),
            grid: grid.id.clone(),
            index,
            of: grid.items(),
            point: item.point,
            coords: grid.point_label(item.point).into_iter().map(|(axis, value)| Coord { axis, value }).collect(),
            seed: item.seed,
            strategy: item.strategy.to_string(),
            digest: run.digest,
            metrics: run.metrics,
        })
    }

    /// The scenario of `group`, built by the first worker that needs it.
    fn scenario(&self, group: usize, pos: usize, point: u64) -> Option<Arc<Scenario>> {
        let mut slot = lock(&self.points[group]);
        match &*slot {
            Slot::Built(s) => return Some(Arc::clone(s)),
            Slot::Failed | Slot::Dropped => return None,
            Slot::Unbuilt => {}
        }
        match self.grid.build(point) {
            Ok(s) => {
                let s = Arc::new(s);
                *slot = Slot::Built(Arc::clone(&s));
                Some(s)
            }
            Err(e) => {
                *slot = Slot::Failed;
                self.failed.store(true, Ordering::Relaxed);
                let mut first = lock(&self.error);
                if first.as_ref().is_none_or(|(p, _)| pos < *p) {
                    *first = Some((pos, e));
                }
                None
            }
        }
    }

    /// Hands position `pos` over: waits while it is beyond the reorder window, then passes
    /// every record that is now in order to `done`.
    fn finish(&self, pos: usize, record: Option<Record>) {
        let mut order = lock(&self.order);
        // `failed` also covers a panic in `done` (see `Wake`): nobody waits for what will
        // never be handed over.
        while pos >= order.next + self.window && !self.failed.load(Ordering::Relaxed) {
            order = self.room.wait(order).unwrap_or_else(|p| p.into_inner());
        }
        order.ready.insert(pos, record);
        let wake = Wake(self);
        loop {
            let next = order.next;
            let Some(record) = order.ready.remove(&next) else { break };
            order.next += 1;
            if let Some(r) = record {
                (self.done)(r);
            }
        }
        drop(order);
        drop(wake);
    }
}

/// Wakes the workers waiting for room when dropped; if dropped by a panic (in `done`), also
/// stops the run so that they do not wait for records that will never be handed over.
struct Wake<'a, 'b>(&'a Shared<'b>);

impl Drop for Wake<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.failed.store(true, Ordering::Relaxed);
        }
        self.0.room.notify_all();
    }
}

/// One taken position; handed over when dropped (also while unwinding from a panic).
struct Finish<'a, 'b> {
    shared: &'a Shared<'b>,
    pos: usize,
    record: Option<Record>,
}

impl Drop for Finish<'_, '_> {
    fn drop(&mut self) {
        self.shared.finish(self.pos, self.record.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/sweep/small.ron");
        Grid::load(&path).expect("grid")
    }

    #[test]
    fn a_panic_while_handing_over_ends_the_run_instead_of_hanging() {
        let grid = grid();
        let pending: Vec<u64> = (0..grid.items()).collect();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().expect("pool");
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                run(&grid, &pending, &|r| {
                    if r.index == 1 {
                        panic!("done failed");
                    }
                })
            })
        }));
        assert!(result.is_err(), "the panic reaches the caller");
    }

    #[test]
    fn hands_items_over_in_order_whatever_the_workers() {
        let grid = grid();
        let pending: Vec<u64> = (0..grid.items()).filter(|i| i % 3 != 1).collect();
        let mut outputs = Vec::new();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
            let seen = Mutex::new(Vec::new());
            pool.install(|| run(&grid, &pending, &|r| lock(&seen).push(r))).expect("run");
            let seen = seen.into_inner().expect("lock");
            assert_eq!(seen.iter().map(|r| r.index).collect::<Vec<_>>(), pending, "{threads} worker(s): in order, each once");
            outputs.push(seen);
        }
        assert!(outputs.windows(2).all(|w| w[0] == w[1]), "same records for any number of workers");
    }
}
