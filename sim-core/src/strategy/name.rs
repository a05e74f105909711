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
    /// Before the series: drivers report incompatibility with a hard errno, so the search
    /// stops at the first incompatible domain.
    HardFail,
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
        StrategyName::HardFail,
        StrategyName::CompatIndex,
        StrategyName::SharedAcrossInstances,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            StrategyName::PerGroup => "per-group",
            StrategyName::VfioType1 => "vfio-type1",
            StrategyName::VfioEmediumtype => "vfio-emediumtype",
            StrategyName::IommufdAuto => "iommufd-auto",
            StrategyName::HardFail => "hard-fail",
            StrategyName::CompatIndex => "compat-index",
            StrategyName::SharedAcrossInstances => "shared-across-instances",
        }
    }

    /// Parses a name; the error lists the valid ones.
    pub fn parse(s: &str) -> Result<StrategyName, String> {
        StrategyName::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = StrategyName::ALL.iter().map(|n| n.as_str()).collect();
            let hint =
                crate::error::did_you_mean(s, names.iter().copied()).map(|h| format!("\nhelp: did you mean `{h}`?")).unwrap_or_default();
            format!("unknown strategy `{s}` (known: {}){hint}", names.join(", "))
        })
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
    }
}
