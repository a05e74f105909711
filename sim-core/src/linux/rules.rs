//! The attach rules by driver and era, as data: which check refuses a domain, with which
//! errno, which kernel log line, and where in the kernel source. `linux/attach.rs` evaluates
//! the checks and takes errno and log line from here; docs/kernel-versions.md prints this very
//! table (`tests/kernel_versions_doc.rs` compares them, so the page cannot drift).
//!
//! Sources read (search tool, stored copies): the v5.19-based "iommu: Return -EMEDIUMTYPE for
//! incompatible domain" v4 patch (its `-` lines are the pre-v6.2 code of every driver), the
//! v6.2 EINVAL series hunks for arm-smmu, a v6.12 LTS tree (LFRon/Linux-6.12-LTS-nabu
//! drivers/iommu/intel/iommu.c), the Oct-2024 "iommu/vt-d: Remove domain_update_iommu_cap()"
//! patch (v6.13), the Jul-2025 "iommu/vt-d: Split paging_domain_compatible()" patch (v6.17),
//! the Aug-2024 SMMUv3 CANWBS review thread and the 6.13 SMMUv3 nesting merge, and the
//! NVIDIA backport of "iommu/arm-smmu-v3: Fix incorrect return in arm_smmu_attach_dev".
//! Later (issue 10 follow-up): that fix's posting (Fixes: 48e7b8e284e5) and the 6.15.3-rc1
//! stable review and linux-6.15.y push (first 6.15 stable with it: 6.15.3); the IOMMU updates
//! for v6.11 pull (SMMUv3 SVA/SSID attach rule); v5.19–v6.1 arm-smmu-v3 attach code ("cannot
//! attach - SVA enabled", `-ENOENT` without fwspec); the v7 "iommu/amd: Drop unnecessary checks
//! in amd_iommu_attach_device()" patch; VT-d `prepare_domain_attach_device` context in 2022–23
//! patches (`device_to_iommu()` → `-ENODEV`); "iommu: Validate that devices match domains"
//! (Oct 2023 review) for the core owner check.

use super::errno::Errno;
use super::version::{Era, Kernel, KernelVersion};
use crate::iommu::IommuKind;

/// What a driver (or the core) checks before accepting an existing domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// The domain belongs to another driver.
    OtherDriver,
    /// The domain belongs to another instance of a driver whose domains cannot span
    /// instances (arm-smmu, arm-smmu-v3, virtio-iommu).
    OtherInstance,
    /// The domain enforces cache coherency (VT-d force_snooping, SMMUv3
    /// enforce_cache_coherency) and the unit/master cannot (no ECAP.SC, no IORT CANWBS).
    SnoopControl,
    /// VT-d: the domain's paging-structure coherency differs from the unit's.
    Coherency,
    /// VT-d: superpage support (equality in v6.13–v6.16, subset from v6.17).
    Superpage,
    /// VT-d: the unit's address width cannot hold the domain (before v6.13: the highest
    /// mapped address; from v6.13: the domain's width and levels).
    AddressWidth,
    /// VT-d: a first-stage domain behind a unit without scalable-mode first-stage support.
    FirstStage,
    /// arm-smmu-v3 before v6.11: any domain while SVA is enabled on the master.
    SvaEnabled,
    /// arm-smmu-v3: a stage-2 domain while the master has substream ids (PASIDs) in use.
    SsidsInUse,
    /// Proposed cross-SMMUv3 sharing: the other SMMU cannot use this page table.
    NotShareable,
}

impl Check {
    pub const fn as_str(self) -> &'static str {
        match self {
            Check::OtherDriver => "other driver's domain",
            Check::OtherInstance => "other instance's domain",
            Check::SnoopControl => "snoop control / CANWBS",
            Check::Coherency => "walk coherency differs",
            Check::Superpage => "superpages",
            Check::AddressWidth => "address width",
            Check::FirstStage => "first stage unsupported",
            Check::SvaEnabled => "SVA enabled on the master",
            Check::SsidsInUse => "stage 2 with SSIDs in use",
            Check::NotShareable => "page table not shareable",
        }
    }
}

/// One row of the table: in eras `first..=last` (in [`Era`] order), driver `driver` refuses
/// a domain failing `check` with `errno` (`None`: accepts it) and prints `log`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    /// Linux driver name; `None` kind = the IOMMU core.
    pub driver: &'static str,
    pub kind: Option<IommuKind>,
    pub first: Era,
    pub last: Era,
    pub check: Check,
    /// The errno as the driver returns it. From v6.2 an incompatibility `EINVAL` is the soft
    /// errno (a scenario's `soft_errno: EMEDIUMTYPE` replaces it, the 2022 series' what-if).
    pub errno: Option<Errno>,
    /// The `dev_err` printed (format string as in the source), if any.
    pub log: Option<&'static str>,
    /// File:function, the versions it was read in, and any caveat.
    pub source: &'static str,
    /// Within its eras, only from this release on (a change that landed inside an era).
    pub since: Option<KernelVersion>,
    /// Within its eras, only before this release.
    pub until: Option<KernelVersion>,
}

impl Rule {
    pub fn covers(&self, era: Era) -> bool {
        self.first <= era && era <= self.last
    }

    /// Whether the rule is `kernel`'s: its era is covered and its release within the bounds.
    pub fn applies(&self, kernel: Kernel) -> bool {
        self.covers(kernel.era()) && self.since.is_none_or(|v| kernel.version >= v) && self.until.is_none_or(|v| kernel.version < v)
    }

    /// The eras as the docs write them ("before v6.2", "v6.13-v6.16 (incl. v6.15.0)"...).
    pub fn eras(&self) -> String {
        let covered: Vec<&str> = Era::ALL.iter().filter(|e| self.covers(**e)).map(|e| e.as_str()).collect();
        covered.join(", ")
    }

    /// [`Rule::eras`] with the release bounds, as the docs write them.
    pub fn kernels(&self) -> String {
        let mut s = self.eras();
        if let Some(v) = self.since {
            s.push_str(&format!(" (from {v})"));
        }
        if let Some(v) = self.until {
            s.push_str(&format!(" (before {v})"));
        }
        s
    }
}

use Era::*;
use IommuKind::*;

const V2: Option<IommuKind> = Some(ArmSmmuV2);
const V3: Option<IommuKind> = Some(ArmSmmuV3);
const VTD: Option<IommuKind> = Some(IntelVtd);
const VIRTIO: Option<IommuKind> = Some(VirtioIommu);
const AMD: Option<IommuKind> = Some(AmdVi);

/// The fields a row usually leaves alone (`..ANY`): no release bounds inside its eras.
const ANY: Rule = Rule {
    driver: "",
    kind: None,
    first: PreV6_2,
    last: Proposed,
    check: Check::OtherDriver,
    errno: None,
    log: None,
    source: "",
    since: None,
    until: None,
};

/// Every rule, by driver then era. AMD has one (a device of another driver, before v6.2):
/// otherwise `amd_iommu_attach_device` refuses nothing the model represents (only dirty
/// tracking without hardware support, not modelled), and AMD domains span IOMMUs in every era.
pub const RULES: &[Rule] = &[
    Rule {
        driver: "core",
        kind: None,
        first: PreV6_2,
        last: V6_2,
        check: Check::OtherDriver,
        errno: Some(Errno::ENODEV),
        log: None,
        source: "no core owner check before v6.8: `__iommu_attach_device` hands the device to the domain's driver (rows below); virtio-iommu, and amd-iommu from v6.2, do not check and read the other driver's per-device data (undefined in the source): modelled as `-ENODEV`, assumed",
        until: Some(KernelVersion::V6_8),
        ..ANY
    },
    Rule {
        driver: "core",
        kind: None,
        first: V6_2,
        last: Proposed,
        check: Check::OtherDriver,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "iommu.c:__iommu_attach_group (`dev_iommu_ops(dev) != domain->owner`, or no IOMMU at all), added by \"iommu: Validate that devices match domains\" (Robin Murphy, commit a9c362db3920, applied by Joerg Roedel on 2023-11-21 to the iommu `core` branch and in linux-next by 2023-11-29, after v6.7-rc3, beside the other `v6.8` branches: so first in v6.8; a v6.8 tag was not read)",
        since: Some(KernelVersion::V6_8),
        ..ANY
    },
    Rule {
        driver: "amd-iommu",
        kind: AMD,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::OtherDriver,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "amd/iommu.c:amd_iommu_attach_device (`if (!check_device(dev)) return -EINVAL;`: no AMD IOMMU covers the device), v5.19-v6.1; removed for v6.2 by \"iommu/amd: Drop unnecessary checks in amd_iommu_attach_device()\" (read in its v7 posting)",
        ..ANY
    },
    Rule {
        driver: "arm-smmu",
        kind: V2,
        first: PreV6_2,
        last: V6_2,
        check: Check::OtherDriver,
        errno: Some(Errno::ENXIO),
        log: Some("cannot attach to SMMU, is it on the same bus?"),
        source: "arm-smmu.c:arm_smmu_attach_dev (no fwspec, or `fwspec->ops != &arm_smmu_ops`: the device has no SMMU of this driver at all), read in v5.19-v6.1; v6.2-v6.7 assumed unchanged (not an incompatibility, so outside the v6.2 EINVAL series); from v6.8 the core refuses first",
        until: Some(KernelVersion::V6_8),
        ..ANY
    },
    Rule {
        driver: "arm-smmu",
        kind: V2,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::OtherInstance,
        errno: Some(Errno::EINVAL),
        log: Some("cannot attach to SMMU %s whilst already attached to domain on SMMU %s"),
        source: "arm-smmu.c:arm_smmu_attach_dev (`smmu_domain->smmu != smmu`), v5.19-v6.1",
        ..ANY
    },
    Rule {
        driver: "arm-smmu",
        kind: V2,
        first: V6_2,
        last: Proposed,
        check: Check::OtherInstance,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "arm-smmu.c:arm_smmu_attach_dev (dev_err removed by \"iommu: Use EINVAL for incompatible device/domain in ->attach_dev\", v6.2)",
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: PreV6_2,
        last: V6_2,
        check: Check::OtherDriver,
        errno: Some(Errno::ENOENT),
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev (`if (!fwspec) return -ENOENT;`: a device without an fwspec, i.e. behind VT-d or AMD-Vi), read in v5.19-v6.1 code; a device of another fwspec driver (arm-smmu, virtio-iommu) is not checked and its private data is read as an SMMUv3 master (undefined): modelled as `-ENOENT` too, assumed; v6.2-v6.7 assumed unchanged",
        until: Some(KernelVersion::V6_8),
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: PreV6_2,
        last: V6_2,
        check: Check::SvaEnabled,
        errno: Some(Errno::EBUSY),
        log: Some("cannot attach - SVA enabled"),
        source: "arm-smmu-v3.c:arm_smmu_attach_dev (`arm_smmu_master_sva_enabled(master)`, any domain, checked first), read in v5.19-v6.1 code; replaced in v6.11 by the stage-2 check below (the model's SVA-enabled master is one with SSIDs in use)",
        until: Some(KernelVersion::V6_11),
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::OtherInstance,
        errno: Some(Errno::ENXIO),
        log: Some("cannot attach to SMMU %s (upstream of %s)"),
        source: "arm-smmu-v3.c:arm_smmu_attach_dev (`smmu_domain->smmu != smmu`), v5.19-v6.1",
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_2,
        last: V6_13,
        check: Check::OtherInstance,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev, v6.2-v6.16 (6.15.3 and later 6.15.y carry the fix below)",
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_15_0,
        last: V6_15_0,
        check: Check::OtherInstance,
        errno: None,
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev `if (smmu_domain->smmu != smmu) return ret;` with ret 0: another SMMU's domain accepted; introduced by 48e7b8e284e5 \"iommu/arm-smmu-v3: Remove arm_smmu_domain_finalise() during attach\" (the fix's Fixes: tag), fixed by \"iommu/arm-smmu-v3: Fix incorrect return in arm_smmu_attach_dev\" (posted 2025-04-22, applied for v6.16; in stable from 6.15.3: the 6.15.3-rc1 review of 2025-06-17 and the linux-6.15.y push after Linux 6.15.2 list it)",
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_17,
        last: Proposed,
        check: Check::OtherInstance,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev, v6.16+",
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_13,
        last: Proposed,
        check: Check::SnoopControl,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_prepare (`enforce_cache_coherency && !arm_smmu_master_canwbs(master)`), v6.13+ (CANWBS: IORT root-complex memory-access flag)",
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_2,
        last: Proposed,
        check: Check::SsidsInUse,
        errno: Some(Errno::EBUSY),
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev (S2 domain && `arm_smmu_ssids_in_use(&master->cd_table)`; hard), read in v6.13+ sources; from v6.11: \"iommu/arm-smmu-v3: Do not use master->sva_enable to restrict attaches\" is in the IOMMU updates for v6.11 (pull of 2024-07-19; attribution of the check to that commit is from its title and the code before and after)",
        since: Some(KernelVersion::V6_11),
        ..ANY
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: Proposed,
        last: Proposed,
        check: Check::NotShareable,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "proposed, NOT MERGED: arm_smmu_domain_can_share (\"Share domain across SMMU/vSMMU instances\" v4, 2026-03-19): pgsize ⊆, OAS/IAS fit, coherent walk needs FEAT_COHERENCY",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::SnoopControl,
        errno: Some(Errno::EOPNOTSUPP),
        log: None,
        source: "intel/iommu.c:prepare_domain_attach_device (`force_snooping && !ecap_sc_support`), v5.19-v6.1",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::AddressWidth,
        errno: Some(Errno::EFAULT),
        log: Some("%s: iommu width (%d) is not sufficient for the mapped address (%llx)"),
        source: "intel/iommu.c:prepare_domain_attach_device (`max_addr > (1LL << addr_width)`: highest mapped address), v5.19-v6.1",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_2,
        last: V6_2,
        check: Check::SnoopControl,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:prepare_domain_attach_device, v6.2-v6.12 (read in v6.12)",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_2,
        last: V6_2,
        check: Check::AddressWidth,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:prepare_domain_attach_device (highest mapped address; then levels are knocked out to the unit's agaw), v6.2-v6.12",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_13,
        last: Proposed,
        check: Check::SnoopControl,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:paging_domain_compatible, v6.13+",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_13,
        last: Proposed,
        check: Check::Coherency,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:paging_domain_compatible (`iommu_coherency != iommu_paging_structure_coherency`), v6.13+",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_13,
        last: V6_15_0,
        check: Check::Superpage,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:paging_domain_compatible (`iommu_superpage != iommu_superpage_capability`: equality), v6.13-v6.16",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_17,
        last: Proposed,
        check: Check::Superpage,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:paging_domain_compatible_{first,second}_stage (domain pgsize_bitmap ⊆ unit: subset), v6.17+",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_13,
        last: Proposed,
        check: Check::FirstStage,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:paging_domain_compatible (`use_first_level` and no scalable-mode FLTS), v6.13-v6.16; paging_domain_compatible_first_stage, v6.17+",
        ..ANY
    },
    Rule {
        driver: "intel-iommu",
        kind: VTD,
        first: V6_13,
        last: Proposed,
        check: Check::AddressWidth,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "intel/iommu.c:paging_domain_compatible (`gaw > addr_width`, `agaw > iommu->agaw`), v6.13+",
        ..ANY
    },
    Rule {
        driver: "virtio-iommu",
        kind: VIRTIO,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::OtherInstance,
        errno: Some(Errno::EXDEV),
        log: Some("cannot attach to foreign vIOMMU"),
        source: "virtio-iommu.c:viommu_attach_dev (`vdomain->viommu != vdev->viommu`), v5.19-v6.1",
        ..ANY
    },
    Rule {
        driver: "virtio-iommu",
        kind: VIRTIO,
        first: V6_2,
        last: Proposed,
        check: Check::OtherInstance,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "virtio-iommu.c:viommu_attach_dev, v6.2+",
        ..ANY
    },
];

/// The rule of `kind`'s driver (or the core, for [`Check::OtherDriver`] when the driver has
/// none) for `check` in `kernel`. `None`: that kernel does not check it.
pub fn rule(kind: IommuKind, kernel: Kernel, check: Check) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.kind == Some(kind) && r.check == check && r.applies(kernel))
        .or_else(|| RULES.iter().find(|r| r.kind.is_none() && r.check == check && r.applies(kernel)))
}

/// The kernel log line `kind`'s driver prints in `kernel` when `check` refuses a domain, with
/// its source (`None`: nothing is printed). The text is the driver's format string.
pub fn log_line(kind: IommuKind, kernel: Kernel, check: Check) -> Option<(&'static str, &'static str)> {
    rule(kind, kernel, check).and_then(|r| r.log.map(|l| (l, r.source)))
}

/// The log line printed in `kernel` when an attach behind a `kind` instance was refused with
/// `errno` (what a consumer of attach events — `run --log` — can look up from an event's
/// errno): the refusal rules of that driver (or the core) with that errno and a `dev_err`.
/// Unique by construction: within a kernel no driver uses one errno for two logged checks
/// (tested). `None`: the refusal printed nothing.
pub fn log_line_for_errno(kind: IommuKind, kernel: Kernel, errno: Errno) -> Option<(&'static str, &'static str)> {
    RULES
        .iter()
        .filter(|r| (r.kind == Some(kind) || r.kind.is_none()) && r.applies(kernel) && r.errno == Some(errno))
        .find_map(|r| r.log.map(|l| (l, r.source)))
}

/// The table as docs/kernel-versions.md prints it (one Markdown row per rule).
pub fn markdown_table() -> String {
    let mut out = String::from("| driver | kernels | check | errno | log line | source |\n|---|---|---|---|---|---|\n");
    for r in RULES {
        let errno = match r.errno {
            Some(e) => format!("`-{}`", e.as_str()),
            None => "accepted".to_string(),
        };
        let log = r.log.map_or_else(|| "—".to_string(), |l| format!("`{l}`"));
        out.push_str(&format!("| {} | {} | {} | {} | {} | {} |\n", r.driver, r.kernels(), r.check.as_str(), errno, log, r.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Kernel {
        Kernel::parse(s).unwrap()
    }

    /// Every release at which some rule starts or stops, and one inside each era.
    fn sample_kernels() -> Vec<Kernel> {
        ["5.19", "6.1", "6.2", "6.7", "6.8", "6.10", "6.11", "6.12", "6.13", "6.15", "6.15.2", "6.15.3", "6.16", "6.17", "proposed"]
            .into_iter()
            .map(k)
            .collect()
    }

    #[test]
    fn every_kernel_has_at_most_one_rule_per_driver_and_check() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                let overlap = sample_kernels().into_iter().any(|kern| a.applies(kern) && b.applies(kern));
                assert!(!(a.kind == b.kind && a.check == b.check && overlap), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn pre_series_errnos_differ_by_driver_and_log() {
        let old = k("6.1");
        assert_eq!(rule(ArmSmmuV3, old, Check::OtherInstance).unwrap().errno, Some(Errno::ENXIO));
        assert_eq!(rule(ArmSmmuV2, old, Check::OtherInstance).unwrap().errno, Some(Errno::EINVAL));
        assert_eq!(rule(VirtioIommu, old, Check::OtherInstance).unwrap().errno, Some(Errno::EXDEV));
        assert_eq!(rule(IntelVtd, old, Check::SnoopControl).unwrap().errno, Some(Errno::EOPNOTSUPP));
        assert_eq!(rule(IntelVtd, old, Check::AddressWidth).unwrap().errno, Some(Errno::EFAULT));
        assert!(log_line(IntelVtd, old, Check::SnoopControl).is_none());
        assert!(log_line(ArmSmmuV3, old, Check::OtherInstance).unwrap().0.contains("upstream of"));
        for s in ["6.2", "6.13", "6.17"] {
            assert!(log_line(ArmSmmuV3, k(s), Check::OtherInstance).is_none());
        }
        assert_eq!(rule(ArmSmmuV3, k("6.15.0"), Check::OtherInstance).unwrap().errno, None);
        assert_eq!(rule(AmdVi, k("6.17"), Check::OtherInstance), None);
        assert_eq!(rule(AmdVi, k("6.17"), Check::OtherDriver).unwrap().driver, "core");
        assert!(rule(IntelVtd, k("6.12"), Check::Superpage).is_none(), "v6.2-v6.12 had no superpage check");
    }

    /// Another driver's domain: before v6.8 the domain's driver answers (each its own way),
    /// from v6.8 the core's owner check (`-EINVAL`, soft).
    #[test]
    fn another_drivers_domain_by_release() {
        let errno = |kind, s: &str| rule(kind, k(s), Check::OtherDriver).unwrap().errno.unwrap();
        assert_eq!(errno(IntelVtd, "6.1"), Errno::ENODEV, "device_to_iommu() finds no DMAR unit");
        assert_eq!(errno(IntelVtd, "6.7"), Errno::ENODEV);
        assert_eq!(errno(AmdVi, "6.1"), Errno::EINVAL, "check_device() before v6.2");
        assert_eq!(rule(AmdVi, k("6.1"), Check::OtherDriver).unwrap().driver, "amd-iommu");
        assert_eq!(rule(AmdVi, k("6.2"), Check::OtherDriver).unwrap().driver, "core", "check dropped for v6.2: undefined");
        assert_eq!(errno(ArmSmmuV3, "6.1"), Errno::ENOENT, "no fwspec");
        assert_eq!(errno(ArmSmmuV2, "6.7"), Errno::ENXIO);
        assert!(log_line(ArmSmmuV2, k("6.7"), Check::OtherDriver).unwrap().0.contains("same bus"));
        for kind in [IntelVtd, AmdVi, ArmSmmuV2, ArmSmmuV3, VirtioIommu] {
            for s in ["6.8", "6.12", "6.17", "proposed"] {
                let r = rule(kind, k(s), Check::OtherDriver).unwrap();
                assert_eq!((r.driver, r.errno), ("core", Some(Errno::EINVAL)), "{kind:?} {s}");
            }
        }
    }

    /// SMMUv3 and SSIDs: before v6.11 any domain while SVA is enabled (`-EBUSY` with a
    /// `dev_err`); from v6.11 only a stage-2 domain (`-EBUSY`, silent).
    #[test]
    fn smmuv3_sva_and_ssid_rules_by_release() {
        for s in ["6.1", "6.10"] {
            assert_eq!(rule(ArmSmmuV3, k(s), Check::SvaEnabled).unwrap().errno, Some(Errno::EBUSY));
            assert!(log_line(ArmSmmuV3, k(s), Check::SvaEnabled).unwrap().0.contains("SVA enabled"));
            assert!(rule(ArmSmmuV3, k(s), Check::SsidsInUse).is_none(), "{s}");
        }
        for s in ["6.11", "6.12", "6.13", "6.17"] {
            assert!(rule(ArmSmmuV3, k(s), Check::SvaEnabled).is_none(), "{s}");
            assert_eq!(rule(ArmSmmuV3, k(s), Check::SsidsInUse).unwrap().errno, Some(Errno::EBUSY));
            assert!(log_line(ArmSmmuV3, k(s), Check::SsidsInUse).is_none());
        }
    }

    #[test]
    fn an_errno_names_its_log_line() {
        let old = k("6.1");
        assert!(log_line_for_errno(ArmSmmuV3, old, Errno::ENXIO).unwrap().0.contains("upstream of"));
        assert!(log_line_for_errno(IntelVtd, old, Errno::EFAULT).unwrap().0.contains("iommu width"));
        assert!(log_line_for_errno(IntelVtd, old, Errno::EOPNOTSUPP).is_none());
        assert!(log_line_for_errno(ArmSmmuV3, k("6.17"), Errno::EINVAL).is_none());
        // Uniqueness: per driver and kernel, at most one logged rule per errno.
        for kind in [IntelVtd, AmdVi, ArmSmmuV2, ArmSmmuV3, VirtioIommu] {
            for kern in sample_kernels() {
                for e in Errno::ALL {
                    let logged =
                        RULES.iter().filter(|r| r.kind == Some(kind) && r.applies(kern) && r.errno == Some(e) && r.log.is_some()).count();
                    assert!(logged <= 1, "{kind:?} {kern:?} {e:?}");
                }
            }
        }
    }
}
