//! `compat-index` (ours): instead of trial attaches, evaluate the modelled kernel's attach
//! predicate (`linux/attach.rs::check`, side-effect free) on the container's domains and go
//! straight to the most recently added compatible one — exactly the domain the newest-first
//! search of `vfio-emediumtype` would end on (VFIO's `domain_list` is head-inserted,
//! `search.rs`), so the outcome is the same with zero failed trial attaches. The predicate is
//! evaluated on each domain's current properties rather than on a key cached at allocation,
//! because VT-d domains before v6.13 change on attach (narrower, fewer levels).

use super::{Domains, Strategy, allocate_and_join};
use crate::ids::{ContainerId, DomainId, GroupId};
use crate::linux::Errno;

pub struct CompatIndex;

impl Strategy for CompatIndex {
    fn attach(&mut self, core: &mut dyn Domains, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
        let best = core.container_domains(c).iter().rev().copied().find(|&d| core.is_compatible(d, g));
        if let Some(d) = best {
            core.attach(d, g, true)?;
            return Ok(d);
        }
        allocate_and_join(core, g, c)
    }
}
