//! The errnos an attach can end with. Which of them means "incompatible, try another domain"
//! depends on the kernel (`linux/version.rs`): `-EINVAL` since v6.2 ("iommu: Define EINVAL as
//! device/domain incompatibility"); before, each driver had its own (`linux/rules.rs`).

/// An errno returned by an attach (or a domain allocation on the way to one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Errno {
    /// Incompatible domain since v6.2 (soft by the kdoc of `attach_dev`); before v6.2 also
    /// arm-smmu's "whilst already attached to domain on SMMU" refusal (with a `dev_err`).
    EINVAL,
    /// Incompatible domain, as the 2022 series proposed (never merged).
    EMEDIUMTYPE,
    /// Before v6.2, arm-smmu-v3 refusing another SMMU's domain ("cannot attach to SMMU %s
    /// (upstream of %s)"), and arm-smmu/qcom for a device with no SMMU of theirs at all ("is
    /// it on the same bus?" meant: this device has no IOMMU of this driver).
    ENXIO,
    /// Before v6.2, virtio-iommu refusing a foreign vIOMMU's domain.
    EXDEV,
    /// Before v6.2, VT-d refusing a snoop-enforcing domain behind a unit without snoop control.
    EOPNOTSUPP,
    /// Before v6.2, VT-d refusing a domain whose highest mapped address the unit cannot reach.
    EFAULT,
    /// No IOMMU behind the device, or no usable page-table format; before v6.8, VT-d for a
    /// device no DMAR unit covers (another driver's device).
    ENODEV,
    /// Before v6.8, arm-smmu-v3 for a device without an fwspec (another driver's device).
    ENOENT,
    /// Allocation failed (e.g. injected).
    ENOMEM,
    /// The instance's domain-ID space is full (DIDs, context banks, ASIDs, AMD domain ids).
    ENOSPC,
    /// The group is attached elsewhere and cannot be changed; arm-smmu-v3 stage-2 domain while
    /// substream ids are in use (v6.11+), any domain while SVA is enabled (before v6.11).
    EBUSY,
}

impl Errno {
    pub const fn as_str(self) -> &'static str {
        match self {
            Errno::EINVAL => "EINVAL",
            Errno::EMEDIUMTYPE => "EMEDIUMTYPE",
            Errno::ENXIO => "ENXIO",
            Errno::EXDEV => "EXDEV",
            Errno::EOPNOTSUPP => "EOPNOTSUPP",
            Errno::EFAULT => "EFAULT",
            Errno::ENODEV => "ENODEV",
            Errno::ENOENT => "ENOENT",
            Errno::ENOMEM => "ENOMEM",
            Errno::ENOSPC => "ENOSPC",
            Errno::EBUSY => "EBUSY",
        }
    }

    /// The Linux errno number (asm-generic/errno-base.h, errno.h): stable, for digests and
    /// traces.
    pub const fn code(self) -> u64 {
        match self {
            Errno::EINVAL => 22,
            Errno::EMEDIUMTYPE => 124,
            Errno::ENXIO => 6,
            Errno::EXDEV => 18,
            Errno::EOPNOTSUPP => 95,
            Errno::EFAULT => 14,
            Errno::ENODEV => 19,
            Errno::ENOENT => 2,
            Errno::ENOMEM => 12,
            Errno::ENOSPC => 28,
            Errno::EBUSY => 16,
        }
    }

    /// Parses a name as [`Errno::as_str`] writes it.
    pub fn parse(s: &str) -> Option<Errno> {
        Errno::ALL.into_iter().find(|e| e.as_str() == s)
    }

    pub const ALL: [Errno; 11] = [
        Errno::EINVAL,
        Errno::EMEDIUMTYPE,
        Errno::ENXIO,
        Errno::EXDEV,
        Errno::EOPNOTSUPP,
        Errno::EFAULT,
        Errno::ENODEV,
        Errno::ENOENT,
        Errno::ENOMEM,
        Errno::ENOSPC,
        Errno::EBUSY,
    ];
}
