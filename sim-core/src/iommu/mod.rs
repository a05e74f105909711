//! IOMMU instances: kinds, capabilities, translation caches, walkers, invalidation commands
//! and the properties a domain's context fixes (`DomainProps`). Which attaches a driver
//! accepts is Linux's decision, by kernel version: `linux/attach.rs`.

pub(crate) mod cache_index;
pub mod domain_props;
pub mod instance;
pub mod invalidate;
pub mod iotlb;
pub mod kind;
mod narrow_sets;
pub(crate) mod page_cache;
pub mod params;
pub mod presets;
pub mod set_assoc;
pub mod walk_cache;

pub use kind::{IommuKind, PageSizes};
pub use params::{Caps, Costs, Geometry, IommuParams, Replacement};
