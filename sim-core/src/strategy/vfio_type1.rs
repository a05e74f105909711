//! `vfio-type1`: mainline `vfio_iommu_type1_attach_group()` (drivers/vfio/vfio_iommu_type1.c,
//! reference §1.2). It always allocates a new domain and attaches the group to it first; then,
//! for each existing domain with the same driver (ops) and the same enforce-cache-coherency, it
//! detaches from the new domain and tries the existing one — any error means "try the next"
//! (VFIO never looks at the errno). On success the new domain is freed (no replay); otherwise
//! the new domain joins the container and every mapping is replayed into it. The container's
//! `domain_list` is searched from its head, where `list_add()` puts the newest domain, so the
//! most recently added domain is tried first.

use super::{Domains, Strategy};
use crate::ids::{ContainerId, DomainId, GroupId};
use crate::linux::Errno;

pub struct VfioType1;

impl Strategy for VfioType1 {
    fn attach(&mut self, core: &mut dyn Domains, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
        let new = core.alloc_domain(g)?;
        if let Err(e) = core.attach(new, g, false) {
            core.free_domain(new);
            return Err(e);
        }
        // Newest first (`list_add` + `list_for_each_entry`); `new` joins only after the loop,
        // so the list does not change while it runs.
        let mut i = core.container_domains(c).len();
        while i > 0 {
            i -= 1;
            let d = core.container_domains(c)[i];
            let (a, b) = (core.props(d), core.props(new));
            if !crate::linux::attach::type1_same_ops(core.kernel(), &a, &b) {
                continue;
            }
            core.detach(new, g);
            if core.attach(d, g, true).is_ok() {
                core.free_domain(new);
                return Ok(d);
            }
            if let Err(e) = core.attach(new, g, false) {
                core.free_domain(new);
                return Err(e);
            }
        }
        core.join_container(new, c);
        Ok(new)
    }
}
