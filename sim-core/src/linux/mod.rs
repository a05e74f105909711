//! Linux's behaviour, by version: which kernel a run models ([`version`]) and, per version,
//! the drivers' attach rules, errnos and log lines. This layer sits between the platform
//! (`topology/`, `iommu/`: hardware only, no Linux) and the simulation (`sim/`, `strategy/`),
//! and knows nothing of the event loop.

pub mod invalidation;
pub mod version;

pub use version::{Era, Kernel, KernelVersion};
