//! Sweeps: a base scenario, axes (paths into the scenario or its topology, each with values),
//! seeds and strategies; every combination is run and recorded as one JSON line per
//! (point, seed, strategy), keyed by a stable hash (docs/sweep-format.md).
//!
//! - `tree.rs`/`path.rs`: a lossless RON tree edited by path, so sweeps stay schema-agnostic;
//! - `schema.rs`: the sweep file; `grid.rs`: points, items, keys, building a point's scenario;
//! - `shard.rs`: deterministic slices (`--shard I/N`, Slurm arrays);
//! - `record.rs`: one results line; `exec.rs`: running items on every core.

pub mod exec;
pub mod grid;
pub mod path;
pub mod record;
pub mod schema;
pub mod shard;
pub mod tree;

pub use grid::{Grid, Item};
pub use record::Record;
pub use shard::Shard;

/// Why a sweep cannot run (the CLI exits 2).
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The sweep file (or a file it names) is unreadable or invalid.
    #[error(transparent)]
    Input(#[from] crate::error::InputError),
    /// An axis is wrong: its path, or one of its values.
    #[error("axis `{axis}`: {message}")]
    Axis { axis: String, message: String },
    /// A combination of values is refused.
    #[error("point ({point}): {message}")]
    Point { point: String, message: String },
    #[error("{0}")]
    Other(String),
}
