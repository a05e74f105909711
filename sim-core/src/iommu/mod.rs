//! IOMMU instances: kinds, capabilities, translation caches, walkers, invalidation and the
//! per-kind driver models that decide attaches.

pub(crate) mod cache_index;
pub mod driver;
pub mod instance;
pub mod invalidate;
pub mod iotlb;
pub mod kind;
pub mod params;
pub mod presets;
pub mod set_assoc;
pub mod walk_cache;

pub use kind::{IommuKind, PageSizes};
pub use params::{Caps, Costs, Geometry, IommuParams, Replacement};
