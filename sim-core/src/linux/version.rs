//! Kernel versions and the eras of attach behaviour the model distinguishes.
//!
//! A scenario names the kernel it models (`kernel: "6.12"`, default the newest modelled); the
//! CLI may override it (`--kernel`, `compare --kernels`). Every version maps to one [`Era`]: the
//! set of driver attach rules, errnos and log lines in force (see `linux/attach.rs` and
//! docs/kernel-versions.md). A version outside the modelled range is refused with a hint
//! listing the modelled versions.
//!
//! `proposed` is not a release: the newest modelled kernel plus series that were posted but
//! not merged (cross-SMMUv3 domain sharing, 2026; the PCI ACS group rework, 2025). It is
//! labelled "not merged" wherever it is shown.

use std::fmt;

/// A kernel release `major.minor.patch` (`patch` 0 for the release itself, e.g. `6.15` =
/// `6.15.0`). Ordered numerically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    pub major: u16,
    pub minor: u16,
    pub patch: u16,
}

impl KernelVersion {
    pub const fn new(major: u16, minor: u16, patch: u16) -> KernelVersion {
        KernelVersion { major, minor, patch }
    }

    /// The oldest release modelled: v5.19. The pre-v6.2 rules were read in v5.19-v6.1 code;
    /// v5.19 also brought `enforce_cache_coherency` (VT-d `force_snooping`), on which VFIO
    /// type1's domain match has relied since. Older kernels matched on `IOMMU_CACHE` instead
    /// and are not modelled.
    pub const OLDEST: KernelVersion = KernelVersion::new(5, 19, 0);
    /// The oldest release a scenario may name: v5.8. Releases v5.8 ..< v5.19 are accepted for
    /// their PCI quirks only (the v5.9 Intel PCH ACS regression, `topology::quirks`), which
    /// decide IOMMU groups; their attach rules are v5.19's (the oldest modelled,
    /// [`Kernel::attach_rules_approximated`]), and every place that prints the kernel says so.
    pub const OLDEST_PCI: KernelVersion = KernelVersion::new(5, 8, 0);
    /// v6.2: "iommu: Define EINVAL as device/domain incompatibility" (merged for v6.2).
    pub const V6_2: KernelVersion = KernelVersion::new(6, 2, 0);
    /// v6.13: VT-d `paging_domain_compatible()` replaces `prepare_domain_attach_device()`.
    pub const V6_13: KernelVersion = KernelVersion::new(6, 13, 0);
    /// v6.8: the core refuses another driver's domain (`__iommu_attach_group` owner check,
    /// "iommu: Validate that devices match domains"; release assumed, see docs).
    pub const V6_8: KernelVersion = KernelVersion::new(6, 8, 0);
    /// v6.11: arm-smmu-v3 refuses a stage-2 domain while SSIDs are in use instead of any
    /// domain while SVA is enabled ("iommu/arm-smmu-v3: Do not use master->sva_enable to
    /// restrict attaches", IOMMU updates for v6.11).
    pub const V6_11: KernelVersion = KernelVersion::new(6, 11, 0);
    /// v6.15.0: arm-smmu-v3 `arm_smmu_attach_dev()` returned 0 for another SMMU's domain.
    pub const V6_15_0: KernelVersion = KernelVersion::new(6, 15, 0);
    /// v6.15.3: the first 6.15 stable release with "iommu/arm-smmu-v3: Fix incorrect return in
    /// arm_smmu_attach_dev" (6.15.3-rc1 review, 2025-06-17; 6.15.1 and 6.15.2 lack it).
    pub const V6_15_3: KernelVersion = KernelVersion::new(6, 15, 3);
    /// v6.17: VT-d superpage subset rule, per-stage domain ops.
    pub const V6_17: KernelVersion = KernelVersion::new(6, 17, 0);
    /// The newest release whose rules the model follows (the default).
    pub const NEWEST: KernelVersion = KernelVersion::new(6, 17, 0);

    /// Parses `"6.12"`, `"6.15.0"`, `"v6.1"` (a leading `v` is allowed; `-rc`/local suffixes
    /// are not). Only the syntax is checked here; [`Kernel::parse`] checks the range.
    pub fn parse(s: &str) -> Result<KernelVersion, String> {
        let t = s.trim();
        let t = t.strip_prefix('v').unwrap_or(t);
        let parts: Vec<&str> = t.split('.').collect();
        let num = |p: &str| -> Result<u16, String> {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("`{s}` is not a kernel version (write \"6.12\", \"6.15.0\" or \"v6.1\")"));
            }
            p.parse::<u16>().map_err(|_| format!("`{s}`: version number {p} is too large"))
        };
        match parts.as_slice() {
            [major, minor] => Ok(KernelVersion::new(num(major)?, num(minor)?, 0)),
            [major, minor, patch] => Ok(KernelVersion::new(num(major)?, num(minor)?, num(patch)?)),
            _ => Err(format!("`{s}` is not a kernel version (write \"6.12\", \"6.15.0\" or \"v6.1\")")),
        }
    }
}

impl fmt::Display for KernelVersion {
    /// `6.12` for a release, `6.15.3` for a stable update.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.patch == 0 { write!(f, "{}.{}", self.major, self.minor) } else { write!(f, "{}.{}.{}", self.major, self.minor, self.patch) }
    }
}

/// A set of attach rules in force over a range of releases. Ordered oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// Before v6.2: each driver refused an incompatible domain with its own errno and a
    /// `dev_err`; VFIO type1 still went on to the next domain after any error.
    PreV6_2,
    /// v6.2 – v6.12: `-EINVAL` means incompatible, no log; VT-d
    /// `prepare_domain_attach_device()`.
    V6_2,
    /// v6.13 – v6.16: VT-d `paging_domain_compatible()` with superpage equality.
    V6_13,
    /// v6.15.0 – v6.15.2: as [`Era::V6_13`], but arm-smmu-v3 accepted another SMMU's domain
    /// (fixed in v6.16 and in 6.15.3).
    V6_15_0,
    /// v6.17 and later: VT-d superpage subset, first-stage default with its own ops.
    V6_17,
    /// Not merged: the newest rules plus the posted series (cross-SMMUv3 sharing, PCI ACS
    /// groups).
    Proposed,
}

impl Era {
    /// Every era, oldest first.
    pub const ALL: [Era; 6] = [Era::PreV6_2, Era::V6_2, Era::V6_13, Era::V6_15_0, Era::V6_17, Era::Proposed];

    /// Short name used in tables and docs.
    pub const fn as_str(self) -> &'static str {
        match self {
            Era::PreV6_2 => "before v6.2",
            Era::V6_2 => "v6.2-v6.12",
            Era::V6_13 => "v6.13-v6.16",
            Era::V6_15_0 => "v6.15.0-v6.15.2",
            Era::V6_17 => "v6.17+",
            Era::Proposed => "proposed (not merged)",
        }
    }

    /// A release of the era, as a user would write it (`compare --kernels`).
    pub const fn representative(self) -> &'static str {
        match self {
            Era::PreV6_2 => "6.1",
            Era::V6_2 => "6.12",
            Era::V6_13 => "6.16",
            Era::V6_15_0 => "6.15.0",
            Era::V6_17 => "6.17",
            Era::Proposed => "proposed",
        }
    }

    /// Drivers answer an incompatible domain with the soft `-EINVAL` (v6.2 on).
    pub const fn soft_einval(self) -> bool {
        !matches!(self, Era::PreV6_2)
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The kernel a run models: a release, or the newest release plus the proposed series.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Kernel {
    pub version: KernelVersion,
    /// The not-merged series are applied on top of `version` (`kernel: "proposed"`).
    pub proposed: bool,
}

impl Default for Kernel {
    fn default() -> Kernel {
        Kernel::NEWEST
    }
}

impl Kernel {
    /// The newest modelled release (the default when a scenario names none).
    pub const NEWEST: Kernel = Kernel { version: KernelVersion::NEWEST, proposed: false };
    /// The newest release plus the proposed (not merged) series.
    pub const PROPOSED: Kernel = Kernel { version: KernelVersion::NEWEST, proposed: true };

    pub const fn release(version: KernelVersion) -> Kernel {
        Kernel { version, proposed: false }
    }

    /// Parses a user's kernel (`"6.12"`, `"v6.1"`, `"6.15.0"`, `"proposed"`) and checks it is
    /// modelled. The error says why and lists the modelled versions.
    pub fn parse(s: &str) -> Result<Kernel, String> {
        if s.trim() == "proposed" {
            return Ok(Kernel::PROPOSED);
        }
        let v = KernelVersion::parse(s).map_err(|e| format!("{e}; {}", modelled_hint()))?;
        if v < KernelVersion::OLDEST_PCI {
            return Err(format!("kernel {v} is older than the oldest modelled ({}); {}", KernelVersion::OLDEST_PCI, modelled_hint()));
        }
        if v > KernelVersion::NEWEST && !(v.major == KernelVersion::NEWEST.major && v.minor == KernelVersion::NEWEST.minor) {
            return Err(format!(
                "kernel {v} is newer than the newest modelled ({}): its rules were not checked against its source; {}",
                KernelVersion::NEWEST,
                modelled_hint()
            ));
        }
        Ok(Kernel::release(v))
    }

    /// The era whose rules this kernel follows.
    pub fn era(&self) -> Era {
        let v = self.version;
        if self.proposed {
            Era::Proposed
        } else if v < KernelVersion::V6_2 {
            Era::PreV6_2
        } else if v < KernelVersion::V6_13 {
            Era::V6_2
        } else if KernelVersion::V6_15_0 <= v && v < KernelVersion::V6_15_3 {
            Era::V6_15_0
        } else if v < KernelVersion::V6_17 {
            Era::V6_13
        } else {
            Era::V6_17
        }
    }

    /// A release older than [`KernelVersion::OLDEST`]: its PCI quirks are its own, its attach
    /// rules those of v5.19 (older attach rules are not modelled).
    pub fn attach_rules_approximated(&self) -> bool {
        !self.proposed && self.version < KernelVersion::OLDEST
    }

    /// What forms the IOMMU groups (`topology::quirks::Kernel`): the release's PCI quirks
    /// (`(major, minor)`), or for the proposed kernel a current one's quirks plus the proposed
    /// ACS group rework (`topology/groups_proposed.rs`).
    pub fn pci_quirks(&self) -> crate::topology::quirks::Kernel {
        if self.proposed {
            crate::topology::quirks::Kernel::PROPOSED
        } else {
            crate::topology::quirks::Kernel::release(self.version.major, self.version.minor)
        }
    }

    /// At least `v` (the proposed kernel counts as the newest release).
    pub fn at_least(&self, v: KernelVersion) -> bool {
        self.version >= v
    }
}

impl fmt::Display for Kernel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.proposed { f.write_str("proposed") } else { write!(f, "{}", self.version) }
    }
}

/// The hint every version error ends with.
pub fn modelled_hint() -> String {
    let eras: Vec<String> = Era::ALL.iter().map(|e| format!("{} (e.g. \"{}\")", e.as_str(), e.representative())).collect();
    format!(
        "modelled: {} .. {} and \"proposed\" ({} .. {} for their PCI quirks only, with v{}'s attach rules); eras: {}",
        KernelVersion::OLDEST,
        KernelVersion::NEWEST,
        KernelVersion::OLDEST_PCI,
        KernelVersion::new(5, 18, 0),
        KernelVersion::OLDEST,
        eras.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(KernelVersion::parse("6.12"), Ok(KernelVersion::new(6, 12, 0)));
        assert_eq!(KernelVersion::parse("v6.1"), Ok(KernelVersion::new(6, 1, 0)));
        assert_eq!(KernelVersion::parse("6.15.0"), Ok(KernelVersion::new(6, 15, 0)));
        assert_eq!(KernelVersion::parse("6.15.3").unwrap().to_string(), "6.15.3");
        assert_eq!(KernelVersion::parse("6.15.0").unwrap().to_string(), "6.15");
        for bad in ["", "6", "6.x", "6.1.2.3", "6.1-rc1", "99999.1"] {
            assert!(KernelVersion::parse(bad).is_err(), "{bad}");
        }
        assert!(KernelVersion::new(6, 9, 0) < KernelVersion::new(6, 12, 0));
    }

    #[test]
    fn every_version_has_its_era() {
        let era = |s: &str| Kernel::parse(s).unwrap().era();
        assert_eq!(era("5.19"), Era::PreV6_2);
        assert_eq!(era("6.1.100"), Era::PreV6_2);
        assert_eq!(era("6.2"), Era::V6_2);
        assert_eq!(era("6.12"), Era::V6_2);
        assert_eq!(era("6.13"), Era::V6_13);
        assert_eq!(era("6.15"), Era::V6_15_0);
        assert_eq!(era("6.15.0"), Era::V6_15_0);
        assert_eq!(era("6.15.2"), Era::V6_15_0, "6.15.1 and 6.15.2 still have the regression");
        assert_eq!(era("6.15.3"), Era::V6_13, "6.15.3 carries the fix");
        assert_eq!(era("6.15.4"), Era::V6_13);
        assert_eq!(era("6.16"), Era::V6_13);
        assert_eq!(era("6.17"), Era::V6_17);
        assert_eq!(era("proposed"), Era::Proposed);
        for e in Era::ALL {
            assert_eq!(era(e.representative()), e, "{e}");
        }
    }

    #[test]
    fn out_of_range_versions_are_refused_with_the_list() {
        let old = Kernel::parse("5.4").unwrap_err();
        assert!(old.contains("older") && old.contains("6.17"), "{old}");
        // v5.8 ..< v5.19: accepted for the PCI quirks, attach rules of v5.19.
        let k = Kernel::parse("5.9").unwrap();
        assert!(k.attach_rules_approximated() && k.era() == Era::PreV6_2 && k.pci_quirks().release == Some((5, 9)));
        assert!(!Kernel::parse("5.19").unwrap().attach_rules_approximated());
        assert_eq!(Kernel::PROPOSED.pci_quirks(), crate::topology::quirks::Kernel::PROPOSED);
        let new = Kernel::parse("9.0").unwrap_err();
        assert!(new.contains("newer") && new.contains("proposed"), "{new}");
        assert_eq!(Kernel::default(), Kernel::NEWEST);
    }
}
