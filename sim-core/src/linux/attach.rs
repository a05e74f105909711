//! The drivers' attach decisions, by kernel era: may a domain with properties `d` be attached
//! behind an instance, and if not, which rule refuses it (errno and log line come from
//! `linux/rules.rs`)? Also what a domain fixes about itself at allocation in each era, and how
//! a VT-d domain adapts to the units it is attached to before v6.13.
//!
//! Only the hardware's description (`Caps`) and the domain's properties are read: no event
//! loop, no simulation state.

use super::rules::{self, Check, Rule};
use super::version::{Era, Kernel, KernelVersion};
use crate::ids::IommuId;
use crate::iommu::domain_props::DomainProps;
use crate::iommu::{Caps, IommuKind, PageSizes};

/// A refused attach: the check that failed and the rule (errno, log line, source).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub check: Check,
    pub rule: &'static Rule,
}

impl Refusal {
    /// The errno the caller sees: the rule's, with the soft `EINVAL` of v6.2+ replaced by the
    /// scenario's soft errno (`EMEDIUMTYPE` in the 2022 series' what-if).
    pub fn errno(&self, era: Era, soft: super::Errno) -> super::Errno {
        match self.rule.errno {
            Some(super::Errno::EINVAL) if era.soft_einval() && self.check != Check::SsidsInUse => soft,
            Some(e) => e,
            None => unreachable!("an accepting rule does not refuse"),
        }
    }

    /// Kernel log lines printed for this refusal (0 or 1).
    pub fn log_lines(&self) -> u64 {
        u64::from(self.rule.log.is_some())
    }
}

/// What the attach check needs to know about the domain besides its properties.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DomainState {
    /// End of the highest mapped IOVA range (VT-d `max_addr` before v6.13), 0 when empty.
    pub max_mapped_end: u64,
    /// The domain is a stage-2 (SMMUv3 S2) domain. VFIO and iommufd paging domains are stage
    /// 1 whenever the SMMU has it (`arm_smmu_domain_alloc_paging`), so this is false in runs.
    pub stage2: bool,
}

/// What the model knows of the device side of an attach besides its instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Master {
    /// The device has substream ids (PASIDs) in use. No bundled device does.
    pub ssids_in_use: bool,
}

/// The superpages (2M, 1G) of a page-size set.
fn superpages(p: PageSizes) -> u64 {
    p.0 & (PageSizes::SZ_2M | PageSizes::SZ_1G)
}

/// The superpages a VT-d unit offers to a domain of the given stage. First stage: 2M always,
/// 1G with CAP.FL1GP; second stage: SLLPS. The model has one page-size list per unit and
/// reads 1G in it as both FL1GP and SLLPS bit 1 (assumed: server parts set both).
fn vtd_unit_superpages(caps: &Caps, first_stage: bool) -> u64 {
    if first_stage { PageSizes::SZ_2M | (caps.page_sizes.0 & PageSizes::SZ_1G) } else { superpages(caps.page_sizes) }
}

/// Runs `kind`'s driver checks of `era` in source order; the first failing check refuses.
/// `sharing`: cross-SMMUv3 domains allowed (the proposed series, or the what-if strategy).
#[allow(clippy::too_many_arguments)]
pub fn check(
    kernel: Kernel,
    sharing: bool,
    d: &DomainProps,
    st: DomainState,
    kind: IommuKind,
    instance: IommuId,
    caps: &Caps,
    master: Master,
) -> Result<(), Refusal> {
    let era = kernel.era();
    let refuse = |c: Check| -> Result<(), Refusal> {
        match rules::rule(if c == Check::OtherDriver { d.kind } else { kind }, kernel, c) {
            Some(r) if r.errno.is_some() => Err(Refusal { check: c, rule: r }),
            _ => Ok(()),
        }
    };
    if d.kind != kind {
        return refuse(Check::OtherDriver);
    }
    match kind {
        IommuKind::IntelVtd => {
            if era < Era::V6_13 {
                // prepare_domain_attach_device: snoop control, dirty tracking (not modelled),
                // the highest mapped address.
                if d.enforce_cc && !caps.snoop_control {
                    refuse(Check::SnoopControl)?;
                }
                if caps.address_width < 64 && st.max_mapped_end > 1u64 << caps.address_width {
                    refuse(Check::AddressWidth)?;
                }
                return Ok(());
            }
            // paging_domain_compatible (v6.13) / its per-stage split (v6.17).
            if d.first_stage && !caps.first_stage {
                refuse(Check::FirstStage)?;
            }
            let unit = vtd_unit_superpages(caps, d.first_stage);
            let dom = superpages(d.page_sizes);
            let superpage_ok = if era >= Era::V6_17 { dom & !unit == 0 } else { dom == unit };
            if !superpage_ok {
                refuse(Check::Superpage)?;
            }
            if d.enforce_cc && !caps.snoop_control {
                refuse(Check::SnoopControl)?;
            }
            if d.coherent_walk != caps.coherent_walk {
                refuse(Check::Coherency)?;
            }
            if d.address_width > caps.address_width {
                refuse(Check::AddressWidth)?;
            }
            Ok(())
        }
        // amd/iommu.c attach: only dirty tracking (not modelled); domains span IOMMUs.
        IommuKind::AmdVi => Ok(()),
        IommuKind::ArmSmmuV2 | IommuKind::ArmSmmuV3 | IommuKind::VirtioIommu => {
            // Before v6.11 arm-smmu-v3 refused any domain first thing while SVA was enabled on
            // the master (the rule's release bounds decide; the model's SVA master is one with
            // SSIDs in use).
            if kind == IommuKind::ArmSmmuV3 && master.ssids_in_use {
                refuse(Check::SvaEnabled)?;
            }
            if d.owner != instance {
                let share = kind == IommuKind::ArmSmmuV3 && (sharing || era == Era::Proposed);
                if !share {
                    refuse(Check::OtherInstance)?;
                } else if !d.page_sizes.is_subset_of(caps.page_sizes)
                    || d.output_width > caps.output_width
                    || d.address_width > caps.address_width
                    || (d.coherent_walk && !caps.coherent_walk)
                {
                    // arm_smmu_domain_can_share() (proposed, not merged).
                    let r = rules::rule(kind, Kernel::PROPOSED, Check::NotShareable).expect("proposed rule");
                    return Err(Refusal { check: Check::NotShareable, rule: r });
                }
            }
            if kind == IommuKind::ArmSmmuV3 {
                // From v6.11 (the rule's bounds): only a stage-2 domain, after the instance check.
                if st.stage2 && master.ssids_in_use {
                    refuse(Check::SsidsInUse)?;
                }
                if d.enforce_cc && !caps.snoop_control {
                    refuse(Check::SnoopControl)?;
                }
            }
            Ok(())
        }
    }
}

/// The properties of a VFIO/iommufd paging domain allocated for a device behind an instance
/// with `caps`, under `kernel`. `format_sizes`: the leaf sizes of the instance's page-table
/// format; `vtd_common_superpages`: the superpages every active VT-d unit of the platform has
/// (used before v6.13).
///
/// - VT-d before v6.13: `domain_update_iommu_cap()` sets the domain's superpages to the
///   smallest common denominator of every active unit (`domain_update_iommu_superpage`,
///   `for_each_active_iommu`), and VFIO's UNMANAGED domains use the second stage when both
///   exist (`first_level_by_default`: `type != IOMMU_DOMAIN_UNMANAGED`). From v6.13
///   (`paging_domain_alloc`) the domain takes its unit's own capabilities and, from then on,
///   the first stage when the unit offers it (`first_level_by_default(iommu)`; the v6.13-era
///   `intel_iommu_domain_alloc_user`: "Always allocate the guest compatible page table unless
///   IOMMU_HWPT_ALLOC_NEST_PARENT or IOMMU_HWPT_ALLOC_DIRTY_TRACKING"; v6.17
///   `intel_iommu_domain_alloc_paging_flags`: "Prefer first stage if possible by default").
/// - enforce-cache-coherency is what VFIO/iommufd get from `enforce_cache_coherency()` after
///   the first attach: VT-d and AMD when the unit snoops; arm-smmu-v3 only from v6.13
///   (CANWBS); arm-smmu and virtio-iommu have no such op.
pub fn alloc_props(
    kernel: Kernel,
    kind: IommuKind,
    owner: IommuId,
    caps: &Caps,
    format_sizes: PageSizes,
    vtd_common_superpages: u64,
) -> DomainProps {
    let mut p = DomainProps::for_instance(kind, owner, caps, format_sizes);
    let era = kernel.era();
    match kind {
        IommuKind::IntelVtd if era < Era::V6_13 => {
            p.first_stage = false;
            p.page_sizes = PageSizes(format_sizes.0 & !(superpages(format_sizes) & !vtd_common_superpages));
        }
        IommuKind::IntelVtd => {
            p.first_stage = caps.first_stage;
            if p.first_stage {
                p.page_sizes = PageSizes(PageSizes::SZ_4K | vtd_unit_superpages(caps, true));
            }
        }
        IommuKind::ArmSmmuV3 => p.enforce_cc = caps.snoop_control && kernel.at_least(KernelVersion::V6_13),
        IommuKind::ArmSmmuV2 | IommuKind::VirtioIommu => p.enforce_cc = false,
        IommuKind::AmdVi => {}
    }
    p
}

/// What a successful attach changes in a VT-d domain before v6.13
/// (`prepare_domain_attach_device` + `domain_update_iommu_cap`): its width becomes at most
/// the unit's, its table sheds the levels the unit cannot walk, and it is coherent only if
/// every unit it is attached to is. Returns the levels the table must shed to (None: keep).
pub fn adapt_on_attach(kernel: Kernel, d: &mut DomainProps, kind: IommuKind, caps: &Caps, unit_levels: u8, table_levels: u8) -> Option<u8> {
    if kind != IommuKind::IntelVtd || kernel.era() >= Era::V6_13 {
        return None;
    }
    d.address_width = d.address_width.min(caps.address_width);
    d.coherent_walk &= caps.coherent_walk;
    (unit_levels < table_levels).then_some(unit_levels)
}

/// VFIO type1's pre-check before a trial attach (`vfio_iommu_type1_attach_group`): the same
/// ops and the same enforce-cache-coherency. VT-d domains of the two stages have different
/// ops from v6.17 ("iommu/vt-d: Create unique domain ops for each stage"), so type1 never
/// tries a first-stage domain for a group whose fresh domain is second-stage.
pub fn type1_same_ops(kernel: Kernel, a: &DomainProps, b: &DomainProps) -> bool {
    a.kind == b.kind
        && a.enforce_cc == b.enforce_cc
        && (a.kind != IommuKind::IntelVtd || kernel.era() < Era::V6_17 || a.first_stage == b.first_stage)
}

#[cfg(test)]
mod tests;
