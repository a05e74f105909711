//! Kernel log lines the modelled drivers print, as records (produced by the simulation where
//! `log_lines` is counted) and as text (`run --log`). The text lives in [`text`] alone, so the
//! per-kernel-version driver models can move or extend it without touching the CLI.

use super::driver::{DriverEra, Errno};
use super::kind::IommuKind;
use crate::ids::{GroupId, IommuId};
use crate::time::Cycle;

/// One line a driver printed: an attach of `group` behind `iommu` refused with `errno`, for
/// a domain allocated for `domain_owner`. `Copy`, no allocation: the simulation hands it to
/// its observer and forgets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogRecord {
    pub cycle: Cycle,
    pub group: GroupId,
    pub iommu: IommuId,
    pub domain_owner: IommuId,
    pub errno: Errno,
    pub era: DriverEra,
}

/// The line as the driver prints it (`dev_err(dev, ...)` → `"<device>: <text>"`) and where in
/// Linux it comes from. `device` is the group's first device, `iommu`/`owner` instance names.
pub fn text(kind: IommuKind, r: &LogRecord, device: &str, iommu: &str, owner: &str) -> (String, &'static str) {
    match (kind, r.errno, r.era) {
        // v5.x–v6.1: "} else if (smmu_domain->smmu != smmu) { dev_err(dev, "cannot attach to
        // SMMU %s (upstream of %s)\n", ...); ret = -ENXIO;" — removed for v6.2 (-EINVAL, silent).
        (IommuKind::ArmSmmuV3, Errno::ENXIO, DriverEra::HardErrno) => (
            format!("{device}: cannot attach to SMMU {owner} (upstream of {iommu})"),
            "drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c: arm_smmu_attach_dev (v5.x-v6.1)",
        ),
        // Other drivers and errnos: the model counts the line, its exact wording is not modelled.
        (kind, errno, _) => (
            format!("{device}: {} attach to {iommu} refused: -{} (domain of {owner})", kind.driver(), errno.as_str()),
            "assumed: one dev_err per hard attach failure (wording not modelled for this driver)",
        ),
    }
}
