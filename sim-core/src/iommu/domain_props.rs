//! What a domain records about itself (`DomainProps`). The attach decisions themselves are
//! Linux's and depend on the kernel version: they live in `linux/attach.rs` and
//! `linux/rules.rs`; how Linux allocates domain ids from the sizes the hardware states
//! (`Caps::domain_ids`, `s2_context_banks`) is `linux/id_pools.rs`.

use crate::ids::IommuId;
use crate::iommu::{Caps, IommuKind, PageSizes};

/// What a domain fixed about itself when it was allocated: the properties every later
/// compatibility check compares against (VT-d `paging_domain_alloc`, SMMU finalise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainProps {
    pub kind: IommuKind,
    /// The instance the domain was allocated for. SMMUv2/v3 and virtio-iommu domains belong
    /// to it alone.
    pub owner: IommuId,
    pub address_width: u8,
    pub output_width: u8,
    /// Leaf page sizes the domain's page table may use.
    pub page_sizes: PageSizes,
    pub coherent_walk: bool,
    /// The domain enforces cache coherency (VT-d force_snooping / SMMUv3 CANWBS): VFIO and
    /// iommufd ask for it when the device's IOMMU can do it.
    pub enforce_cc: bool,
    /// VT-d: a first-stage domain (different ops from a second-stage one from v6.17).
    pub first_stage: bool,
}

impl DomainProps {
    /// The properties of a domain allocated for a device behind an instance with `caps`.
    pub fn for_instance(kind: IommuKind, owner: IommuId, caps: &Caps, page_sizes: PageSizes) -> DomainProps {
        DomainProps {
            kind,
            owner,
            address_width: caps.address_width,
            output_width: caps.output_width,
            page_sizes,
            coherent_walk: caps.coherent_walk,
            enforce_cc: caps.snoop_control,
            first_stage: false,
        }
    }
}
