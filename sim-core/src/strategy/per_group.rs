//! `per-group`: no reuse at all, a fresh domain for every group (what a VMM gets with one
//! container per device: openvmm before PR #3322, reference §6).

use super::{Domains, Strategy, allocate_and_join};
use crate::ids::{ContainerId, DomainId, GroupId};
use crate::linux::Errno;

pub struct PerGroup;

impl Strategy for PerGroup {
    fn attach(&mut self, core: &mut dyn Domains, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
        allocate_and_join(core, g, c)
    }
}
