//! Scenario files: a topology, a seed, containers and a timed script (`schema.rs`), resolved
//! against the platform into ids (`load.rs`).

pub mod limits;
pub mod load;
pub mod schema;

/// The resolved types live in `spec.rs` (below the loader, the workloads and the simulation);
/// re-exported here for the CLI and the tests.
pub use crate::spec::{Action, ContainerKind, ContainerSpec, Invalidation, Line, PROT_READ, PROT_WRITE, ProtBits, Scope};
pub use load::Scenario;
pub use schema::SoftErrno;
