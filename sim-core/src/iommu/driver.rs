//! Driver models: where an attach is decided. Each IOMMU kind answers "may this domain be
//! attached to a group behind this instance?" the way its Linux driver does, returning an
//! errno. Incompatibility is a *soft* failure (`-EINVAL` as merged for v6.2, `-EMEDIUMTYPE`
//! in the 2022 series); anything else is *hard* (reference/linux-attach-semantics.md §1–2).

use crate::ids::IommuId;
use crate::iommu::{Caps, IommuKind, PageSizes};

/// The errnos an attach can end with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Errno {
    /// Incompatible domain, as merged (soft by the v6.2 kdoc of `attach_dev`).
    EINVAL,
    /// Incompatible domain, as the 2022 series proposed.
    EMEDIUMTYPE,
    /// Pre-series arm-smmu: "cannot attach to SMMU, is it on the same bus?" (hard).
    ENXIO,
    /// No IOMMU behind the device.
    ENODEV,
    /// Allocation failed (e.g. injected).
    ENOMEM,
    /// The instance's domain-ID space is full (DIDs, context banks, ASIDs, AMD domain ids).
    ENOSPC,
    /// The group is attached elsewhere and cannot be changed.
    EBUSY,
}

impl Errno {
    pub const fn as_str(self) -> &'static str {
        match self {
            Errno::EINVAL => "EINVAL",
            Errno::EMEDIUMTYPE => "EMEDIUMTYPE",
            Errno::ENXIO => "ENXIO",
            Errno::ENODEV => "ENODEV",
            Errno::ENOMEM => "ENOMEM",
            Errno::ENOSPC => "ENOSPC",
            Errno::EBUSY => "EBUSY",
        }
    }

    /// Stable small code for digests and traces.
    pub const fn code(self) -> u64 {
        match self {
            Errno::EINVAL => 22,
            Errno::EMEDIUMTYPE => 124,
            Errno::ENXIO => 6,
            Errno::ENODEV => 19,
            Errno::ENOMEM => 12,
            Errno::ENOSPC => 28,
            Errno::EBUSY => 16,
        }
    }
}

/// Which generation of driver behaviour is modelled for incompatibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DriverEra {
    /// After the series: incompatibility returns the soft errno and prints nothing.
    SoftErrno(Errno),
    /// Before it: drivers failed incompatible attaches with a hard errno and a `dev_err`.
    HardErrno,
}

/// What a domain fixed about itself when it was allocated: the properties every later
/// compatibility check compares against (VT-d `paging_domain_alloc`, SMMU finalise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DomainProps {
    pub kind: IommuKind,
    /// The instance the domain was allocated for. SMMUv2/v3 and virtio-iommu domains belong
    /// to it alone.
    pub owner: IommuId,
    pub address_width: u8,
    pub output_width: u8,
    /// Leaf page sizes the domain's page table may use.
    pub page_sizes: PageSizes,
    pub coherent_walk: bool,
    /// The domain enforces cache coherency (VT-d force_snooping / SMMUv3 CANWBS): VFIO and
    /// iommufd ask for it when the device's IOMMU can do it.
    pub enforce_cc: bool,
}

impl DomainProps {
    /// The properties of a domain allocated for a device behind an instance with `caps`.
    pub fn for_instance(kind: IommuKind, owner: IommuId, caps: &Caps, page_sizes: PageSizes) -> DomainProps {
        DomainProps {
            kind,
            owner,
            address_width: caps.address_width,
            output_width: caps.output_width,
            page_sizes,
            coherent_walk: caps.coherent_walk,
            enforce_cc: caps.snoop_control,
        }
    }
}

/// Why a domain is incompatible (for logs and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Incompatibility {
    /// Another driver owns the domain (core `__iommu_attach_group`: ops != domain->owner).
    OtherDriver,
    /// SMMUv2/v3, virtio-iommu: "We don't support domains across different SMMUs".
    OtherInstance,
    /// VT-d: `force_snooping && !ecap_sc_support`; SMMUv3: `enforce_cache_coherency &&
    /// !arm_smmu_master_canwbs`.
    SnoopControl,
    /// VT-d: `iommu_coherency != iommu_paging_structure_coherency(iommu)`.
    Coherency,
    /// VT-d: the domain uses superpages the unit lacks (2025 subset rule).
    Superpage,
    /// VT-d: `gaw > addr_width || agaw > iommu->agaw`.
    AddressWidth,
    /// Cross-instance sharing what-if: page sizes / OAS / coherency not a subset.
    NotShareable,
}

/// The attach predicate of `kind`'s driver: may a domain with `d` be attached behind
/// `instance` (whose capabilities are `caps`)? `sharing` enables the what-if of cross-instance
/// SMMUv3 domains (Nicolin Chen's 2026 series, `arm_smmu_domain_can_share`), which VT-d and
/// AMD already allow.
pub fn compatible(d: &DomainProps, kind: IommuKind, instance: IommuId, caps: &Caps, sharing: bool) -> Result<(), Incompatibility> {
    if d.kind != kind {
        return Err(Incompatibility::OtherDriver);
    }
    match kind {
        // intel/iommu.c paging_domain_compatible() (split version, 2025).
        IommuKind::IntelVtd => {
            if d.enforce_cc && !caps.snoop_control {
                return Err(Incompatibility::SnoopControl);
            }
            if d.coherent_walk != caps.coherent_walk {
                return Err(Incompatibility::Coherency);
            }
            if !d.page_sizes.is_subset_of(caps.page_sizes) {
                return Err(Incompatibility::Superpage);
            }
            if d.address_width > caps.address_width {
                return Err(Incompatibility::AddressWidth);
            }
            Ok(())
        }
        // amd/iommu.c attach: only dirty tracking, not modelled; domains span IOMMUs.
        IommuKind::AmdVi => Ok(()),
        IommuKind::ArmSmmuV2 | IommuKind::ArmSmmuV3 | IommuKind::VirtioIommu => {
            if d.owner != instance {
                // Only arm-smmu-v3 has a cross-instance proposal; arm-smmu (v2) context banks
                // and virtio-iommu domains stay bound to their instance even in the what-if.
                if !sharing || kind != IommuKind::ArmSmmuV3 {
                    return Err(Incompatibility::OtherInstance);
                }
                // arm_smmu_domain_can_share() (proposed, not merged): pgsize ⊆, oas ≤,
                // coherent walk needs FEAT_COHERENCY.
                if !d.page_sizes.is_subset_of(caps.page_sizes)
                    || d.output_width > caps.output_width
                    || d.address_width > caps.address_width
                    || (d.coherent_walk && !caps.coherent_walk)
                {
                    return Err(Incompatibility::NotShareable);
                }
            }
            if kind == IommuKind::ArmSmmuV3 && d.enforce_cc && !caps.snoop_control {
                return Err(Incompatibility::SnoopControl);
            }
            Ok(())
        }
    }
}

/// Kernel log lines printed for a refused attach: none for a soft incompatibility (the kdoc:
/// "the driver shouldn't log an error"), one `dev_err` for a hard one (pre-series SMMU:
/// "cannot attach to SMMU, is it on the same bus?"; VT-d: "Device is ineligible for IOMMU
/// domain attach due to platform RMRR requirement" class of messages). VFIO's own messages
/// on the way back to the user are not counted.
pub fn log_lines_for_refusal(errno: Errno, era: DriverEra) -> u64 {
    match (errno, era) {
        (Errno::EINVAL | Errno::EMEDIUMTYPE, DriverEra::SoftErrno(_)) => 0,
        _ => 1,
    }
}

/// A domain-ID allocator for one instance: lowest free id first, as Linux's IDA does
/// (`ida_alloc_range`), so ids are reused deterministically.
#[derive(Clone, Debug)]
pub struct IdSpace {
    size: u32,
    in_use: u32,
    peak: u32,
    /// Freed ids, kept sorted descending so `pop` gives the lowest.
    free: Vec<u32>,
    next: u32,
}

impl IdSpace {
    /// Ids `1..=size` (0 is reserved, as VT-d reserves DID 0 and the SMMUv3 ASID 0).
    pub fn new(size: u32) -> IdSpace {
        IdSpace { size, in_use: 0, peak: 0, free: Vec::new(), next: 1 }
    }

    /// The lowest free id, or `ENOSPC`.
    pub fn alloc(&mut self) -> Result<u32, Errno> {
        let id = if let Some(id) = self.free.pop() {
            id
        } else if self.next <= self.size {
            self.next += 1;
            self.next - 1
        } else {
            return Err(Errno::ENOSPC);
        };
        self.in_use += 1;
        self.peak = self.peak.max(self.in_use);
        Ok(id)
    }

    pub fn free(&mut self, id: u32) {
        let pos = self.free.partition_point(|&x| x > id);
        self.free.insert(pos, id);
        self.in_use -= 1;
    }

    pub fn peak(&self) -> u32 {
        self.peak
    }

    /// Takes every free id but `leave` (fault injection: another user exhausted the space).
    /// Returns how many were taken; they are never given back.
    pub fn exhaust(&mut self, leave: u32) -> u32 {
        let free_now = u64::from(self.size - self.in_use);
        let taken = free_now.saturating_sub(u64::from(leave)) as u32;
        if taken == 0 {
            return 0;
        }
        // Keep the `leave` lowest free ids: first from the freed list (sorted descending, so
        // its tail), then from the never-used range.
        let keep = leave as usize;
        if self.free.len() >= keep {
            self.free.drain(..self.free.len() - keep);
            self.size = self.next - 1; // nothing left in the never-used range
        } else {
            self.size = self.next - 1 + (keep - self.free.len()) as u32;
        }
        self.in_use += taken;
        self.peak = self.peak.max(self.in_use);
        taken
    }

    pub fn in_use(&self) -> u32 {
        self.in_use
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iommu::Caps;

    fn props(kind: IommuKind, owner: u16, caps: &Caps) -> DomainProps {
        DomainProps::for_instance(kind, IommuId(owner), caps, caps.page_sizes)
    }

    #[test]
    fn smmu_domains_belong_to_one_instance() {
        let caps = Caps::defaults(IommuKind::ArmSmmuV3);
        let d = props(IommuKind::ArmSmmuV3, 0, &caps);
        assert_eq!(compatible(&d, IommuKind::ArmSmmuV3, IommuId(0), &caps, false), Ok(()));
        assert_eq!(compatible(&d, IommuKind::ArmSmmuV3, IommuId(1), &caps, false), Err(Incompatibility::OtherInstance));
        assert_eq!(compatible(&d, IommuKind::ArmSmmuV3, IommuId(1), &caps, true), Ok(()));
    }

    #[test]
    fn only_smmuv3_shares_across_instances_in_the_what_if() {
        for kind in [IommuKind::ArmSmmuV2, IommuKind::VirtioIommu] {
            let caps = Caps::defaults(kind);
            let d = props(kind, 0, &caps);
            assert_eq!(compatible(&d, kind, IommuId(1), &caps, true), Err(Incompatibility::OtherInstance), "{kind}");
        }
        // The share predicate refuses an instance with fewer page sizes.
        let caps = Caps::defaults(IommuKind::ArmSmmuV3);
        let small = Caps { page_sizes: PageSizes(PageSizes::SZ_4K | PageSizes::SZ_2M), ..caps.clone() };
        let d = props(IommuKind::ArmSmmuV3, 0, &caps);
        assert_eq!(compatible(&d, IommuKind::ArmSmmuV3, IommuId(1), &small, true), Err(Incompatibility::NotShareable));
    }

    #[test]
    fn vtd_checks_width_snoop_coherency_superpages() {
        let wide = Caps::defaults(IommuKind::IntelVtd);
        let narrow =
            Caps { address_width: 39, snoop_control: false, page_sizes: PageSizes(PageSizes::SZ_4K | PageSizes::SZ_2M), ..wide.clone() };
        let d_wide = props(IommuKind::IntelVtd, 0, &wide);
        let d_narrow = props(IommuKind::IntelVtd, 1, &narrow);
        // A 48-bit, snooping, 1G domain cannot go behind the narrow unit...
        assert_eq!(compatible(&d_wide, IommuKind::IntelVtd, IommuId(1), &narrow, false), Err(Incompatibility::SnoopControl));
        // ...but a domain made for the narrow unit fits the wide one (subset rules).
        assert_eq!(compatible(&d_narrow, IommuKind::IntelVtd, IommuId(0), &wide, false), Ok(()));
        let incoherent = Caps { coherent_walk: false, ..wide.clone() };
        assert_eq!(compatible(&d_wide, IommuKind::IntelVtd, IommuId(2), &incoherent, false), Err(Incompatibility::Coherency));
    }

    #[test]
    fn amd_domains_span_instances_and_drivers_do_not_mix() {
        let caps = Caps::defaults(IommuKind::AmdVi);
        let d = props(IommuKind::AmdVi, 0, &caps);
        assert_eq!(compatible(&d, IommuKind::AmdVi, IommuId(3), &caps, false), Ok(()));
        assert_eq!(compatible(&d, IommuKind::IntelVtd, IommuId(3), &caps, false), Err(Incompatibility::OtherDriver));
    }

    #[test]
    fn id_space_reuses_lowest_and_runs_out() {
        let mut ids = IdSpace::new(3);
        assert_eq!((ids.alloc(), ids.alloc(), ids.alloc()), (Ok(1), Ok(2), Ok(3)));
        assert_eq!(ids.alloc(), Err(Errno::ENOSPC));
        ids.free(2);
        ids.free(1);
        assert_eq!(ids.alloc(), Ok(1));
        assert_eq!(ids.peak(), 3);
    }

    #[test]
    fn exhaustion_leaves_exactly_the_lowest_ids() {
        let mut ids = IdSpace::new(u32::MAX);
        assert_eq!(ids.alloc(), Ok(1));
        assert_eq!(ids.exhaust(2), u32::MAX - 3);
        assert_eq!((ids.alloc(), ids.alloc(), ids.alloc()), (Ok(2), Ok(3), Err(Errno::ENOSPC)));
        let mut small = IdSpace::new(8);
        for _ in 0..4 {
            small.alloc().unwrap();
        }
        small.free(2);
        small.free(3);
        assert_eq!(small.exhaust(1), 5);
        assert_eq!((small.alloc(), small.alloc()), (Ok(2), Err(Errno::ENOSPC)));
    }
}
