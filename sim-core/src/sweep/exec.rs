//! Running items on every core (rayon): items are grouped by point so each point's scenario is
//! built once and dropped when its items finish, so memory follows the number of workers, not
//! of points. Each finished item is handed to `done` at once (in completion order); callers
//! order results by item number, so the output does not depend on scheduling.

use rayon::prelude::*;

use super::SweepError;
use super::grid::Grid;
use super::record::{Coord, Record};

/// Runs the items numbered in `pending` (ascending), calling `done` for each as it finishes.
pub fn run(grid: &Grid, pending: &[u64], done: &(dyn Fn(Record) + Sync)) -> Result<(), SweepError> {
    let groups: Vec<&[u64]> = pending.chunk_by(|a, b| grid.item(*a).point == grid.item(*b).point).collect();
    groups.par_iter().try_for_each(|group| {
        let point = grid.item(group[0]).point;
        let scenario = grid.build(point)?;
        let coords: Vec<Coord> = grid.point_label(point).into_iter().map(|(axis, value)| Coord { axis, value }).collect();
        group.par_iter().for_each(|&index| {
            let item = grid.item(index);
            let run = crate::sim::run(&scenario, item.strategy, item.seed, None);
            done(Record {
                key: grid.key(&item),
                sweep: grid.name.clone(),
                grid: grid.id.clone(),
                index,
                of: grid.items(),
                point,
                coords: coords.clone(),
                seed: item.seed,
                strategy: item.strategy.to_string(),
                digest: run.digest,
                metrics: run.metrics,
            });
        });
        Ok(())
    })
}
