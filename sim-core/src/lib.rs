//! # sim-core
//!
//! The library behind `iommu-sim`: a deterministic discrete-event simulator of platforms
//! with several IOMMU instances, replaying attach / detach / map / unmap / DMA under each
//! domain-reuse strategy so that they can be compared.
//!
//! Data flows one way: files ([`topology`], [`scenario`]) → an immutable platform → one
//! simulation per strategy ([`sim`]) → [`metrics::Results`] → presentation (CLI, reports).
//!
//! Where things are decided: an attach in `linux/` (the driver's verdict, by kernel version)
//! and `strategy/` (what to try); a translation's cost in `sim/translate.rs`; an invalidation's
//! fan-out in `sim/invalidate.rs`.

pub mod atomic;
pub mod budget;
pub mod container;
pub mod domain;
pub mod engine;
pub mod error;
pub mod fuzzing;
pub mod golden;
pub mod ids;
pub mod import;
pub mod iommu;
pub mod limits;
pub mod linux;
pub mod metrics;
pub mod pagetable;
pub mod pcie;
pub mod runner;
pub mod scenario;
pub mod schema;
pub mod sim;
pub mod spans;
pub mod spec;
pub mod strategy;
pub mod sweep;
pub mod time;
pub mod topology;
pub mod trace;
pub mod workload;
