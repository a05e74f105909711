//! `iommufd-auto`: `iommufd_device_auto_get_domain()` (drivers/iommu/iommufd/device.c). The
//! IOAS's automatic domains are tried in creation order (`list_add_tail`); `-EINVAL` means
//! "incompatible, try the next" — literally EINVAL, so with drivers of the EMEDIUMTYPE series
//! every incompatibility is fatal here; any other error goes back to userspace. Otherwise a
//! new hwpt is allocated for the device and filled from the IOAS (`iopt_table_add_domain`).

use super::{Domains, Strategy, allocate_and_join};
use crate::ids::{ContainerId, DomainId, GroupId};
use crate::linux::Errno;

pub struct IommufdAuto;

impl Strategy for IommufdAuto {
    fn attach(&mut self, core: &mut dyn Domains, g: GroupId, c: ContainerId) -> Result<DomainId, Errno> {
        let mut i = 0;
        while let Some(&d) = core.container_domains(c).get(i) {
            match core.attach(d, g, true) {
                Ok(()) => return Ok(d),
                Err(Errno::EINVAL) => i += 1,
                Err(e) => return Err(e),
            }
        }
        allocate_and_join(core, g, c)
    }
}
