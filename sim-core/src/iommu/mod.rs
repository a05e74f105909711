//! IOMMU instances: kinds, capabilities, translation caches, walkers, invalidation and the
//! per-kind driver models that decide attaches.

pub mod driver;
pub mod instance;
pub mod invalidate;
pub mod kind;
pub mod params;
pub mod translate;

pub use kind::{IommuKind, PageSizes};
pub use params::{Caps, Costs, Geometry, IommuParams, Replacement};
