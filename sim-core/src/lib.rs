//! # sim-core
//!
//! The library behind `iommu-sim`: a deterministic discrete-event simulator of platforms
//! with several IOMMU instances, replaying attach / detach / map / unmap / DMA under each
//! domain-reuse strategy so that they can be compared.
//!
//! Data flows one way: files ([`topology`], `scenario`) → an immutable platform → one
//! simulation per strategy (`sim`) → `metrics::Results` → presentation (CLI, reports).

pub mod engine;
pub mod error;
pub mod ids;
pub mod iommu;
pub mod pagetable;
pub mod schema;
pub mod time;
pub mod topology;
