//! Scenario files: a topology, a seed, containers and a timed script (`schema.rs`), resolved
//! against the platform into ids (`load.rs`).

pub mod load;
pub mod schema;

pub use load::{Action, ContainerKind, ContainerSpec, Line, PROT_READ, PROT_WRITE, ProtBits, Scenario};
pub use schema::{Invalidation, Scope, SoftErrno};
