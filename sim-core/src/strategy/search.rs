//! First-fit search over the container's domains, **newest first**: VFIO keeps
//! `iommu->domain_list` with `list_add()` (head insertion) both in mainline
//! `vfio_iommu_type1_attach_group()` and in the series' `vfio_iommu_alloc_attach_domain()`, and
//! walks it with `list_for_each_entry()` from the head, so the most recently added domain is
//! tried first. (iommufd, by contrast, appends: see `iommufd_auto.rs`.) Three strategies share
//! the loop and differ only in the world they run in (`strategy::setup`):
//!
//! - `vfio-emediumtype`: the series' `vfio_iommu_alloc_attach_domain` (v3 5/5): a soft errno
//!   means try the next domain, any other errno fails the attach back to the user; allocate
//!   only when none fits.
//! - `what-if-hard-fail` (formerly `hard-fail`): the same loop with every refusal final, so the
//!   search stops at the first incompatible domain. No kernel shipped this: before v6.2 the
//!   drivers' errnos were hard, but type1 went on after any error (`vfio-type1` on `--kernel
//!   6.1` is the historical flow).
//! - `shared-across-instances`: the same loop with drivers that may share a domain across SMMU
//!   instances (the 2026 SMMUv3 proposal; what VT-d and AMD already do).

use super::{Domains, Strategy, allocate_and_join};
use crate::ids::{ContainerId, DomainId, GroupId};
use crate::linux::Errno;

pub struct FirstFit;

impl Strategy for FirstFit {
    fn attach(&mut self, core: &mut dyn Domains, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
        // A refused attach leaves the container's list unchanged, so indexing from the end is
        // stable across the loop.
        let mut i = core.container_domains(c).len();
        while i > 0 {
            i -= 1;
            let d = core.container_domains(c)[i];
            match core.attach(d, g, true) {
                Ok(()) => return Ok(d),
                Err(e) if core.is_soft(e) => {}
                Err(e) => return Err(e),
            }
        }
        allocate_and_join(core, g, c)
    }
}
