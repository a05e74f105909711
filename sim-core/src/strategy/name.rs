//! Strategy names as users write them (contracts.md).

use serde::{Deserialize, Serialize};

/// A domain-reuse strategy: how a group being attached to a container finds (or allocates)
/// its domain. One module each under `strategy/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StrategyName {
    /// No reuse: a fresh domain for every group.
    PerGroup,
    /// Mainline VFIO type1: allocate first, then try existing domains with the same ops and
    /// enforce-cache-coherency; any error means try the next.
    VfioType1,
    /// The 2022 series' VFIO flow: trial-attach existing domains, soft errno ⇒ next, other
    /// errno ⇒ fail; allocate only when none fits.
    VfioEmediumtype,
    /// iommufd auto-domains: try the IOAS's automatic domains in creation order, -EINVAL ⇒
    /// next, other errors fail; else allocate and fill from the IOAS.
    IommufdAuto,
    /// What-if (never shipped): the series' newest-first search, but every refusal is final,
    /// so the search stops at the first incompatible domain. Formerly `hard-fail` (still
    /// accepted, deprecated): no kernel ever had this flow; type1 before v6.2 went on after
    /// any error (use `vfio-type1` with `--kernel 6.1` for the historical comparison).
    WhatIfHardFail,
    /// Ours: an index of domains by compatibility key; attach straight to a compatible one.
    CompatIndex,
    /// What-if: one domain shared across instances whose capabilities allow it.
    SharedAcrossInstances,
}

impl StrategyName {
    /// Every strategy, in the order `compare` shows them.
    pub const ALL: [StrategyName; 7] = [
        StrategyName::PerGroup,
        StrategyName::VfioType1,
        StrategyName::VfioEmediumtype,
        StrategyName::IommufdAuto,
        StrategyName::WhatIfHardFail,
        StrategyName::CompatIndex,
        StrategyName::SharedAcrossInstances,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            StrategyName::PerGroup => "per-group",
            StrategyName::VfioType1 => "vfio-type1",
            StrategyName::VfioEmediumtype => "vfio-emediumtype",
            StrategyName::IommufdAuto => "iommufd-auto",
            StrategyName::WhatIfHardFail => "what-if-hard-fail",
            StrategyName::CompatIndex => "compat-index",
            StrategyName::SharedAcrossInstances => "shared-across-instances",
        }
    }

    /// Old names still accepted, with the note shown when one is used.
    pub const ALIASES: [(&'static str, StrategyName, &'static str); 1] = [(
        "hard-fail",
        StrategyName::WhatIfHardFail,
        "`hard-fail` is deprecated: it is a what-if no kernel shipped, now named `what-if-hard-fail`; for the historical comparison run `vfio-type1` with `--kernel 6.1`",
    )];

    /// The deprecation note for an old name, if `s` is one.
    pub fn deprecation(s: &str) -> Option<&'static str> {
        StrategyName::ALIASES.iter().find(|a| a.0 == s).map(|a| a.2)
    }

    /// Parses a name (or a deprecated alias, see [`StrategyName::deprecation`]); the error
    /// lists the valid ones.
    pub fn parse(s: &str) -> Result<StrategyName, String> {
        if let Some(a) = StrategyName::ALIASES.iter().find(|a| a.0 == s) {
            return Ok(a.1);
        }
        StrategyName::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = StrategyName::ALL.iter().map(|n| n.as_str()).collect();
            format!("unknown strategy `{s}` (known: {})", names.join(", "))
        })
    }
}

impl StrategyName {
    /// Which kernels shipped this flow, for docs/strategies.md and reports.
    pub const fn shipped(self) -> &'static str {
        match self {
            StrategyName::PerGroup => "every kernel (one container per device)",
            StrategyName::VfioType1 => "every modelled kernel (v5.19+: ops and enforce-cache-coherency match)",
            StrategyName::VfioEmediumtype => "none: the 2022 series' VFIO patches were not merged",
            StrategyName::IommufdAuto => "v6.2+ (iommufd merged in v6.2)",
            StrategyName::WhatIfHardFail => "none (what-if)",
            StrategyName::CompatIndex => "none (ours)",
            StrategyName::SharedAcrossInstances => "none for SMMUv3 (proposed 2026 series); VT-d and AMD domains always span units",
        }
    }

    /// Whether the modelled kernel has this flow at all: iommufd needs v6.2.
    pub fn available(self, kernel: crate::linux::Kernel) -> Result<(), String> {
        if self == StrategyName::IommufdAuto && !kernel.at_least(crate::linux::KernelVersion::V6_2) {
            return Err(format!("{self}: iommufd was merged in v6.2; kernel {kernel} has no iommufd"));
        }
        Ok(())
    }
}

impl std::fmt::Display for StrategyName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for n in StrategyName::ALL {
            assert_eq!(StrategyName::parse(n.as_str()), Ok(n));
        }
        assert!(StrategyName::parse("nope").unwrap_err().contains("per-group"));
        assert_eq!(StrategyName::parse("hard-fail"), Ok(StrategyName::WhatIfHardFail));
        assert!(StrategyName::deprecation("hard-fail").unwrap().contains("what-if-hard-fail"));
        assert!(StrategyName::deprecation("vfio-type1").is_none());
    }
}
