//! The attach checks era by era: each test would fail if the era were ignored.

use super::*;
use crate::iommu::domain_props::DomainProps;
use crate::linux::Errno;

fn k(s: &str) -> Kernel {
    Kernel::parse(s).unwrap()
}

fn vtd(width: u8, sizes: u64, sc: bool) -> Caps {
    Caps { address_width: width, page_sizes: PageSizes(PageSizes::SZ_4K | sizes), snoop_control: sc, ..Caps::defaults(IommuKind::IntelVtd) }
}

fn props(kernel: Kernel, kind: IommuKind, owner: u16, caps: &Caps, common: u64) -> DomainProps {
    alloc_props(kernel, kind, IommuId(owner), caps, caps.page_sizes, common)
}

fn verdict(kernel: Kernel, d: &DomainProps, st: DomainState, kind: IommuKind, at: u16, caps: &Caps) -> Result<(), (Check, Errno, u64)> {
    check(kernel, false, d, st, kind, IommuId(at), caps, Master::default())
        .map_err(|r| (r.check, r.errno(kernel.era(), Errno::EINVAL), r.log_lines()))
}

const BOTH: u64 = PageSizes::SZ_2M | PageSizes::SZ_1G;
const TWO_M: u64 = PageSizes::SZ_2M;

#[test]
fn vtd_superpages_equality_then_subset() {
    let big = vtd(48, BOTH, true);
    let small = vtd(48, TWO_M, true);
    // A domain made on the 2M-only unit meets the 1G unit.
    for (kernel, want) in [("6.12", Ok(())), ("6.15", Err((Check::Superpage, Errno::EINVAL, 0))), ("6.17", Ok(()))] {
        let kernel = k(kernel);
        let d = props(kernel, IommuKind::IntelVtd, 1, &small, TWO_M);
        assert_eq!(verdict(kernel, &d, DomainState::default(), IommuKind::IntelVtd, 0, &big), want, "{kernel}");
    }
    // And the 1G domain meets the 2M-only unit: refused from v6.13 on (subset too), but
    // before v6.13 the domain never had 1G (platform's common superpages) and fits.
    for (kernel, refused) in [("6.1", false), ("6.12", false), ("6.16", true), ("6.17", true)] {
        let kernel = k(kernel);
        let d = props(kernel, IommuKind::IntelVtd, 0, &big, TWO_M);
        assert_eq!(verdict(kernel, &d, DomainState::default(), IommuKind::IntelVtd, 1, &small).is_err(), refused, "{kernel}");
    }
}

#[test]
fn vtd_before_6_13_uses_the_platforms_common_superpages_and_second_stage() {
    let big = vtd(48, BOTH, true);
    let d = props(k("6.12"), IommuKind::IntelVtd, 0, &big, TWO_M);
    assert_eq!(d.page_sizes, PageSizes(PageSizes::SZ_4K | TWO_M));
    assert!(!d.first_stage);
    let d = props(k("6.13"), IommuKind::IntelVtd, 0, &big, TWO_M);
    assert_eq!(d.page_sizes, PageSizes(PageSizes::SZ_4K | BOTH));
    assert!(d.first_stage);
}

#[test]
fn vtd_width_by_highest_mapping_then_by_domain_width() {
    let wide = vtd(48, BOTH, true);
    let narrow = vtd(39, BOTH, true);
    let low = DomainState { max_mapped_end: 1 << 33, stage2: false };
    let high = DomainState { max_mapped_end: 1 << 40, stage2: false };
    let d = props(k("6.1"), IommuKind::IntelVtd, 0, &wide, BOTH);
    assert_eq!(verdict(k("6.1"), &d, low, IommuKind::IntelVtd, 1, &narrow), Ok(()));
    assert_eq!(verdict(k("6.1"), &d, high, IommuKind::IntelVtd, 1, &narrow), Err((Check::AddressWidth, Errno::EFAULT, 1)));
    assert_eq!(verdict(k("6.12"), &d, high, IommuKind::IntelVtd, 1, &narrow), Err((Check::AddressWidth, Errno::EINVAL, 0)));
    let d = props(k("6.13"), IommuKind::IntelVtd, 0, &wide, BOTH);
    assert_eq!(verdict(k("6.13"), &d, low, IommuKind::IntelVtd, 1, &narrow), Err((Check::AddressWidth, Errno::EINVAL, 0)));
    // Before v6.13 a successful attach narrows the domain and sheds levels to the unit's.
    let mut d = props(k("6.12"), IommuKind::IntelVtd, 0, &wide, BOTH);
    assert_eq!(adapt_on_attach(k("6.12"), &mut d, IommuKind::IntelVtd, &narrow, 3, 4), Some(3));
    assert_eq!(d.address_width, 39);
    let mut d = props(k("6.13"), IommuKind::IntelVtd, 0, &wide, BOTH);
    assert_eq!(adapt_on_attach(k("6.13"), &mut d, IommuKind::IntelVtd, &narrow, 3, 4), None);
}

#[test]
fn vtd_snoop_control_errno_by_era() {
    let sc = vtd(48, BOTH, true);
    let nosc = vtd(48, BOTH, false);
    for (kernel, errno) in [("6.1", Errno::EOPNOTSUPP), ("6.12", Errno::EINVAL), ("6.17", Errno::EINVAL)] {
        let kernel = k(kernel);
        let d = props(kernel, IommuKind::IntelVtd, 0, &sc, BOTH);
        assert_eq!(
            verdict(kernel, &d, DomainState::default(), IommuKind::IntelVtd, 1, &nosc),
            Err((Check::SnoopControl, errno, 0)),
            "{kernel}"
        );
    }
}

#[test]
fn vtd_coherency_only_from_6_13_and_first_stage_needs_the_unit() {
    let coh = vtd(48, BOTH, true);
    let incoh = Caps { coherent_walk: false, ..coh.clone() };
    let d = props(k("6.12"), IommuKind::IntelVtd, 0, &coh, BOTH);
    assert_eq!(verdict(k("6.12"), &d, DomainState::default(), IommuKind::IntelVtd, 1, &incoh), Ok(()));
    let mut dd = d;
    adapt_on_attach(k("6.12"), &mut dd, IommuKind::IntelVtd, &incoh, 4, 4);
    assert!(!dd.coherent_walk, "coherent only if every unit is");
    let d = props(k("6.15"), IommuKind::IntelVtd, 0, &coh, BOTH);
    assert_eq!(verdict(k("6.15"), &d, DomainState::default(), IommuKind::IntelVtd, 1, &incoh).unwrap_err().0, Check::Coherency);
    let legacy = Caps { first_stage: false, ..coh.clone() };
    assert_eq!(verdict(k("6.17"), &d, DomainState::default(), IommuKind::IntelVtd, 1, &legacy).unwrap_err().0, Check::FirstStage);
}

#[test]
fn type1_ops_differ_by_stage_from_6_17() {
    let fs = vtd(48, BOTH, true);
    let ss = Caps { first_stage: false, ..fs.clone() };
    let a = props(k("6.17"), IommuKind::IntelVtd, 0, &fs, BOTH);
    let b = props(k("6.17"), IommuKind::IntelVtd, 1, &ss, BOTH);
    assert!(!type1_same_ops(k("6.17"), &a, &b));
    assert!(type1_same_ops(k("6.16"), &a, &b));
    assert!(type1_same_ops(k("6.17"), &a, &a));
}

#[test]
fn smmuv3_other_instance_by_era_including_the_6_15_0_regression() {
    let caps = Caps::defaults(IommuKind::ArmSmmuV3);
    let d = props(k("6.12"), IommuKind::ArmSmmuV3, 0, &caps, 0);
    let st = DomainState::default();
    assert_eq!(verdict(k("6.1"), &d, st, IommuKind::ArmSmmuV3, 1, &caps), Err((Check::OtherInstance, Errno::ENXIO, 1)));
    assert_eq!(verdict(k("6.12"), &d, st, IommuKind::ArmSmmuV3, 1, &caps), Err((Check::OtherInstance, Errno::EINVAL, 0)));
    assert_eq!(verdict(k("6.15.0"), &d, st, IommuKind::ArmSmmuV3, 1, &caps), Ok(()), "the regression accepts");
    assert!(verdict(k("6.15.3"), &d, st, IommuKind::ArmSmmuV3, 1, &caps).is_err(), "stable carries the fix");
    assert!(verdict(k("6.16"), &d, st, IommuKind::ArmSmmuV3, 1, &caps).is_err());
    assert!(verdict(k("6.17"), &d, st, IommuKind::ArmSmmuV3, 1, &caps).is_err());
    assert_eq!(verdict(k("proposed"), &d, st, IommuKind::ArmSmmuV3, 1, &caps), Ok(()), "proposed sharing");
    // The same instance always accepts.
    assert_eq!(verdict(k("6.1"), &d, st, IommuKind::ArmSmmuV3, 0, &caps), Ok(()));
}

#[test]
fn smmuv3_canwbs_from_6_13_and_ebusy_for_stage2_with_ssids() {
    let canwbs = Caps { snoop_control: true, ..Caps::defaults(IommuKind::ArmSmmuV3) };
    let plain = Caps::defaults(IommuKind::ArmSmmuV3);
    assert!(!plain.snoop_control, "CANWBS is off unless the firmware sets it");
    assert!(!props(k("6.12"), IommuKind::ArmSmmuV3, 0, &canwbs, 0).enforce_cc, "no enforce_cache_coherency op before v6.13");
    let d = props(k("6.13"), IommuKind::ArmSmmuV3, 0, &canwbs, 0);
    assert!(d.enforce_cc);
    assert_eq!(verdict(k("6.13"), &d, DomainState::default(), IommuKind::ArmSmmuV3, 0, &plain).unwrap_err().0, Check::SnoopControl);
    let s2 = DomainState { max_mapped_end: 0, stage2: true };
    let busy = check(k("6.17"), false, &d, s2, IommuKind::ArmSmmuV3, IommuId(0), &canwbs, Master { ssids_in_use: true }).unwrap_err();
    assert_eq!(busy.errno(Era::V6_17, Errno::EMEDIUMTYPE), Errno::EBUSY, "hard, whatever the soft errno");
    assert!(check(k("6.17"), false, &d, s2, IommuKind::ArmSmmuV3, IommuId(0), &canwbs, Master::default()).is_ok());
}

#[test]
fn smmuv2_and_virtio_errnos_and_lines_before_6_2() {
    for (kind, errno, line) in
        [(IommuKind::ArmSmmuV2, Errno::EINVAL, "whilst already attached"), (IommuKind::VirtioIommu, Errno::EXDEV, "foreign vIOMMU")]
    {
        let caps = Caps::defaults(kind);
        let d = props(k("6.1"), kind, 0, &caps, 0);
        let r = check(k("6.1"), false, &d, DomainState::default(), kind, IommuId(1), &caps, Master::default()).unwrap_err();
        assert_eq!(r.errno(Era::PreV6_2, Errno::EINVAL), errno);
        assert!(r.rule.log.unwrap().contains(line));
        let r = check(k("6.2"), false, &d, DomainState::default(), kind, IommuId(1), &caps, Master::default()).unwrap_err();
        assert_eq!((r.errno(Era::V6_2, Errno::EMEDIUMTYPE), r.log_lines()), (Errno::EMEDIUMTYPE, 0));
        // Only SMMUv3 has a sharing proposal.
        assert!(check(k("proposed"), true, &d, DomainState::default(), kind, IommuId(1), &caps, Master::default()).is_err());
    }
    // arm-smmu before v6.2: a device with no SMMU of this driver at all ("same bus?").
    let v2 = Caps::defaults(IommuKind::ArmSmmuV2);
    let d = props(k("6.1"), IommuKind::ArmSmmuV2, 0, &v2, 0);
    let r = check(k("6.1"), false, &d, DomainState::default(), IommuKind::ArmSmmuV3, IommuId(1), &v2, Master::default()).unwrap_err();
    assert_eq!((r.check, r.errno(Era::PreV6_2, Errno::EINVAL)), (Check::OtherDriver, Errno::ENXIO));
    assert!(r.rule.log.unwrap().contains("same bus"));
}

#[test]
fn amd_domains_span_and_drivers_do_not_mix_in_any_era() {
    let caps = Caps::defaults(IommuKind::AmdVi);
    for kernel in ["6.1", "6.12", "6.17"] {
        let d = props(k(kernel), IommuKind::AmdVi, 0, &caps, 0);
        assert_eq!(verdict(k(kernel), &d, DomainState::default(), IommuKind::AmdVi, 3, &caps), Ok(()));
        assert!(verdict(k(kernel), &d, DomainState::default(), IommuKind::IntelVtd, 3, &caps).is_err());
    }
}

#[test]
fn shared_what_if_predicate() {
    let caps = Caps::defaults(IommuKind::ArmSmmuV3);
    let small = Caps { page_sizes: PageSizes(PageSizes::SZ_4K | PageSizes::SZ_2M), ..caps.clone() };
    let d = props(k("6.17"), IommuKind::ArmSmmuV3, 0, &caps, 0);
    assert!(check(k("6.17"), true, &d, DomainState::default(), IommuKind::ArmSmmuV3, IommuId(1), &caps, Master::default()).is_ok());
    let r = check(k("6.17"), true, &d, DomainState::default(), IommuKind::ArmSmmuV3, IommuId(1), &small, Master::default()).unwrap_err();
    assert_eq!(r.check, Check::NotShareable);
}

#[test]
fn smmuv3_fix_is_in_6_15_3_not_6_15_2() {
    let caps = Caps::defaults(IommuKind::ArmSmmuV3);
    let d = props(k("6.15"), IommuKind::ArmSmmuV3, 0, &caps, 0);
    let st = DomainState::default();
    for s in ["6.15.0", "6.15.1", "6.15.2"] {
        assert_eq!(verdict(k(s), &d, st, IommuKind::ArmSmmuV3, 1, &caps), Ok(()), "{s}: the regression accepts");
    }
    assert_eq!(verdict(k("6.15.3"), &d, st, IommuKind::ArmSmmuV3, 1, &caps), Err((Check::OtherInstance, Errno::EINVAL, 0)));
}

/// Before v6.11 an SVA-enabled master refused every domain (stage 1 too), with a line; from
/// v6.11 only a stage-2 domain, silently. Would fail if either release bound were ignored.
#[test]
fn smmuv3_sva_master_before_6_11_and_stage2_ssids_after() {
    let caps = Caps::defaults(IommuKind::ArmSmmuV3);
    let d = props(k("6.10"), IommuKind::ArmSmmuV3, 0, &caps, 0);
    let (s1, s2) = (DomainState::default(), DomainState { max_mapped_end: 0, stage2: true });
    let sva = Master { ssids_in_use: true };
    let run = |s: &str, st| {
        let kernel = k(s);
        check(kernel, false, &d, st, IommuKind::ArmSmmuV3, IommuId(0), &caps, sva)
            .map_err(|r| (r.check, r.errno(kernel.era(), Errno::EINVAL), r.log_lines()))
    };
    for s in ["6.1", "6.10"] {
        assert_eq!(run(s, s1), Err((Check::SvaEnabled, Errno::EBUSY, 1)), "{s}");
        assert_eq!(run(s, s2), Err((Check::SvaEnabled, Errno::EBUSY, 1)), "{s}");
    }
    for s in ["6.11", "6.12", "6.17"] {
        assert_eq!(run(s, s1), Ok(()), "{s}");
        assert_eq!(run(s, s2), Err((Check::SsidsInUse, Errno::EBUSY, 0)), "{s}");
    }
}

/// Another driver's domain: before v6.8 the domain's driver answers (VT-d `-ENODEV`, AMD
/// `-EINVAL` before v6.2, SMMUv3 `-ENOENT`, arm-smmu `-ENXIO` with its line), all hard; from
/// v6.8 the core's owner check answers `-EINVAL`, soft.
#[test]
fn another_drivers_domain_before_and_after_the_core_owner_check() {
    let cases = [
        (IommuKind::IntelVtd, IommuKind::ArmSmmuV3, "6.1", Errno::ENODEV, 0),
        (IommuKind::IntelVtd, IommuKind::ArmSmmuV3, "6.7", Errno::ENODEV, 0),
        (IommuKind::AmdVi, IommuKind::VirtioIommu, "6.1", Errno::EINVAL, 0),
        (IommuKind::ArmSmmuV3, IommuKind::IntelVtd, "6.1", Errno::ENOENT, 0),
        (IommuKind::ArmSmmuV2, IommuKind::ArmSmmuV3, "6.7", Errno::ENXIO, 1),
    ];
    for (domain_kind, device_kind, s, errno, lines) in cases {
        let dcaps = Caps::defaults(domain_kind);
        let d = props(k(s), domain_kind, 0, &dcaps, 0);
        let caps = Caps::defaults(device_kind);
        let got = verdict(k(s), &d, DomainState::default(), device_kind, 1, &caps);
        assert_eq!(got, Err((Check::OtherDriver, errno, lines)), "{domain_kind:?} domain, {device_kind:?} device, {s}");
        // Soft to the series' flow only from v6.8.
        assert_eq!(verdict(k("6.8"), &d, DomainState::default(), device_kind, 1, &caps), Err((Check::OtherDriver, Errno::EINVAL, 0)));
    }
}
