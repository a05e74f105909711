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

use super::errno::Errno;
use super::version::Era;
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
}

impl Rule {
    pub fn covers(&self, era: Era) -> bool {
        self.first <= era && era <= self.last
    }

    /// The eras as the docs write them ("before v6.2", "v6.13-v6.16 (incl. v6.15.0)"...).
    pub fn eras(&self) -> String {
        if self.first == self.last {
            return self.first.as_str().to_string();
        }
        let covered: Vec<&str> = Era::ALL.iter().filter(|e| self.covers(**e)).map(|e| e.as_str()).collect();
        covered.join(", ")
    }
}

use Era::*;
use IommuKind::*;

const V2: Option<IommuKind> = Some(ArmSmmuV2);
const V3: Option<IommuKind> = Some(ArmSmmuV3);
const VTD: Option<IommuKind> = Some(IntelVtd);
const VIRTIO: Option<IommuKind> = Some(VirtioIommu);

/// Every rule, by driver then era. AMD has none: `amd_iommu_attach_device` refuses nothing
/// the model represents (only dirty tracking without hardware support, not modelled), and AMD
/// domains span IOMMUs in every era.
pub const RULES: &[Rule] = &[
    Rule {
        driver: "core",
        kind: None,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::OtherDriver,
        errno: Some(Errno::ENODEV),
        log: None,
        source: "assumed: no core owner check yet; the domain's driver meets a device that is not its own (arm-smmu: next rows)",
    },
    Rule {
        driver: "core",
        kind: None,
        first: V6_2,
        last: Proposed,
        check: Check::OtherDriver,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "iommu.c:__iommu_attach_group (`dev_iommu_ops(dev) != domain->owner`; owner check from a later release, assumed from v6.2)",
    },
    Rule {
        driver: "arm-smmu",
        kind: V2,
        first: PreV6_2,
        last: PreV6_2,
        check: Check::OtherDriver,
        errno: Some(Errno::ENXIO),
        log: Some("cannot attach to SMMU, is it on the same bus?"),
        source: "arm-smmu.c:arm_smmu_attach_dev (`fwspec->ops != &arm_smmu_ops`: the device has no SMMU of this driver at all), v5.19-v6.1",
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
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_2,
        last: V6_13,
        check: Check::OtherInstance,
        errno: Some(Errno::EINVAL),
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev, v6.2-v6.16 (6.15.x stable updates carry the fix below)",
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_15_0,
        last: V6_15_0,
        check: Check::OtherInstance,
        errno: None,
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev `if (smmu_domain->smmu != smmu) return ret;` with ret 0: another SMMU's domain accepted (fixed by \"iommu/arm-smmu-v3: Fix incorrect return in arm_smmu_attach_dev\", v6.16 and stable)",
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
    },
    Rule {
        driver: "arm-smmu-v3",
        kind: V3,
        first: V6_13,
        last: Proposed,
        check: Check::SsidsInUse,
        errno: Some(Errno::EBUSY),
        log: None,
        source: "arm-smmu-v3.c:arm_smmu_attach_dev (S2 domain && `arm_smmu_ssids_in_use(&master->cd_table)`; hard), read in v6.13+ sources (introduced with the PASID rework, earlier release not verified)",
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
    },
];

/// The rule of `kind`'s driver (or the core, for [`Check::OtherDriver`] when the driver has
/// none) for `check` in `era`. `None`: that era does not check it.
pub fn rule(kind: IommuKind, era: Era, check: Check) -> Option<&'static Rule> {
    RULES
        .iter()
        .find(|r| r.kind == Some(kind) && r.check == check && r.covers(era))
        .or_else(|| RULES.iter().find(|r| r.kind.is_none() && r.check == check && r.covers(era)))
}

/// The kernel log line `kind`'s driver prints in `era` when `check` refuses a domain, with its
/// source (`None`: nothing is printed). The text is the driver's format string.
pub fn log_line(kind: IommuKind, era: Era, check: Check) -> Option<(&'static str, &'static str)> {
    rule(kind, era, check).and_then(|r| r.log.map(|l| (l, r.source)))
}

/// The log line printed in `era` when an attach behind a `kind` instance was refused with
/// `errno` (what a consumer of attach events — `run --log` — can look up from an event's
/// errno): the refusal rules of that driver (or the core) with that errno and a `dev_err`.
/// Unique by construction: within an era no driver uses one errno for two logged checks
/// (tested). `None`: the refusal printed nothing.
pub fn log_line_for_errno(kind: IommuKind, era: Era, errno: Errno) -> Option<(&'static str, &'static str)> {
    RULES
        .iter()
        .filter(|r| (r.kind == Some(kind) || r.kind.is_none()) && r.covers(era) && r.errno == Some(errno))
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
        out.push_str(&format!("| {} | {} | {} | {} | {} | {} |\n", r.driver, r.eras(), r.check.as_str(), errno, log, r.source));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_era_has_at_most_one_rule_per_driver_and_check() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                let overlap = Era::ALL.iter().any(|e| a.covers(*e) && b.covers(*e));
                assert!(!(a.kind == b.kind && a.check == b.check && overlap), "{a:?} overlaps {b:?}");
            }
        }
    }

    #[test]
    fn pre_series_errnos_differ_by_driver_and_log() {
        assert_eq!(rule(ArmSmmuV3, PreV6_2, Check::OtherInstance).unwrap().errno, Some(Errno::ENXIO));
        assert_eq!(rule(ArmSmmuV2, PreV6_2, Check::OtherInstance).unwrap().errno, Some(Errno::EINVAL));
        assert_eq!(rule(VirtioIommu, PreV6_2, Check::OtherInstance).unwrap().errno, Some(Errno::EXDEV));
        assert_eq!(rule(IntelVtd, PreV6_2, Check::SnoopControl).unwrap().errno, Some(Errno::EOPNOTSUPP));
        assert_eq!(rule(IntelVtd, PreV6_2, Check::AddressWidth).unwrap().errno, Some(Errno::EFAULT));
        assert!(log_line(IntelVtd, PreV6_2, Check::SnoopControl).is_none());
        assert!(log_line(ArmSmmuV3, PreV6_2, Check::OtherInstance).unwrap().0.contains("upstream of"));
        for era in [V6_2, V6_13, V6_17] {
            assert!(log_line(ArmSmmuV3, era, Check::OtherInstance).is_none());
        }
        assert_eq!(rule(ArmSmmuV3, V6_15_0, Check::OtherInstance).unwrap().errno, None);
        assert_eq!(rule(AmdVi, V6_17, Check::OtherInstance), None);
        assert_eq!(rule(AmdVi, V6_17, Check::OtherDriver).unwrap().driver, "core");
        assert!(rule(IntelVtd, V6_2, Check::Superpage).is_none(), "v6.2-v6.12 had no superpage check");
    }

    #[test]
    fn an_errno_names_its_log_line() {
        assert!(log_line_for_errno(ArmSmmuV3, PreV6_2, Errno::ENXIO).unwrap().0.contains("upstream of"));
        assert!(log_line_for_errno(IntelVtd, PreV6_2, Errno::EFAULT).unwrap().0.contains("iommu width"));
        assert!(log_line_for_errno(IntelVtd, PreV6_2, Errno::EOPNOTSUPP).is_none());
        assert!(log_line_for_errno(ArmSmmuV3, V6_17, Errno::EINVAL).is_none());
        // Uniqueness: per driver and era, at most one logged rule per errno.
        for kind in [IntelVtd, AmdVi, ArmSmmuV2, ArmSmmuV3, VirtioIommu] {
            for era in Era::ALL {
                for e in Errno::ALL {
                    let logged =
                        RULES.iter().filter(|r| r.kind == Some(kind) && r.covers(era) && r.errno == Some(e) && r.log.is_some()).count();
                    assert!(logged <= 1, "{kind:?} {era} {e:?}");
                }
            }
        }
    }
}
