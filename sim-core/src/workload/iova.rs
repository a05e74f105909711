//! IOVA space per container: which range each generator maps.
//!
//! A VFIO user (QEMU, DPDK) and the kernel DMA API each hand out IOVAs from an allocator per
//! address space, so two users of one container never get the same range (Linux
//! `drivers/iommu/dma-iommu.c: iommu_dma_alloc_iova` over one `iova_domain` per domain; a VFIO
//! user picks free ranges of its container, `VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE`). So:
//!
//! - a generator that names its range (`iova_base`; a `Vm`'s RAM at `ram_iova`, a
//!   guest-physical address, always does) gets exactly it, and two named ranges that overlap
//!   in one container are an input error naming both generators;
//! - a generator that leaves `iova_base` out gets the first free range at or above its kind's
//!   default base (so a lone generator keeps the address it always had), aligned to the
//!   range's size rounded up to a power of two between 2 MiB and 1 GiB (so large ranges can
//!   use large pages), in file order.
//!
//! `premapped` accelerators map nothing: their buffers lie in someone else's mapping.

use super::GenSpec;
use crate::error::InputError;

/// Default bases by kind (what a lone generator gets).
pub const NIC_BASE: u64 = 0x10_0000_0000;
pub const NVME_BASE: u64 = 0x20_0000_0000;
pub const ACCEL_BASE: u64 = 0x100_0000_0000;

/// `[start, end)` of the IOVAs `g` maps in its container, or `None` if it maps none of its own.
pub fn extent(g: &GenSpec) -> Option<(u64, u128)> {
    let (base, len) = match g {
        GenSpec::Nic(s) => (s.iova_base, u128::from(super::page_up(s.packet_bytes)) * u128::from(s.window)),
        GenSpec::Nvme(s) => (s.iova_base, u128::from(s.working_set)),
        GenSpec::Accel(s) if s.premapped => return None,
        GenSpec::Accel(s) => (s.iova_base, u128::from(s.pitch()) * u128::from(s.buffers)),
        GenSpec::Vm(s) => (s.ram_iova, u128::from(s.ram_bytes)),
    };
    Some((base, u128::from(base) + len))
}

fn set_base(g: &mut GenSpec, base: u64) {
    match g {
        GenSpec::Nic(s) => s.iova_base = base,
        GenSpec::Nvme(s) => s.iova_base = base,
        GenSpec::Accel(s) => s.iova_base = base,
        GenSpec::Vm(s) => s.ram_iova = base,
    }
}

fn container(g: &GenSpec) -> usize {
    match g {
        GenSpec::Nic(s) => s.container.index(),
        GenSpec::Nvme(s) => s.container.index(),
        GenSpec::Accel(s) => s.container.index(),
        GenSpec::Vm(s) => s.container.index(),
    }
}

/// The alignment of an allocated range of `len` bytes.
fn alignment(len: u128) -> u128 {
    len.next_power_of_two().clamp(2 << 20, 1 << 30)
}

/// Places every generator whose `explicit` flag is false (its base is its kind's default, a
/// preference) and checks that explicit ranges do not overlap within a container. `invalid`
/// turns (text to point at, message) into an input error; `names[i]` is how the error names
/// generator `i`'s container.
pub fn assign(
    gens: &mut [GenSpec],
    explicit: &[bool],
    container_names: &[String],
    invalid: &dyn Fn(&str, String) -> InputError,
) -> Result<(), InputError> {
    // (start, end, generator index) per container, sorted by start.
    let mut taken: Vec<Vec<(u128, u128, usize)>> = vec![Vec::new(); container_names.len()];
    for (i, g) in gens.iter().enumerate() {
        if (explicit[i] || matches!(g, GenSpec::Vm(_)))
            && let Some((start, end)) = extent(g)
        {
            taken[container(g)].push((u128::from(start), end, i));
        }
    }
    for (c, list) in taken.iter_mut().enumerate() {
        list.sort_unstable();
        for w in list.windows(2) {
            let ((s0, e0, a), (s1, e1, b)) = (w[0], w[1]);
            if s1 < e0 {
                let (a, b) = if a < b { (a, b) } else { (b, a) };
                let (ra, rb) = if a == w[0].2 { ((s0, e0), (s1, e1)) } else { ((s1, e1), (s0, e0)) };
                return Err(invalid(
                    &format!("\"{}\"", gens[b].id()),
                    format!(
                        "generators[{a}] \"{}\" and generators[{b}] \"{}\" map overlapping IOVA ranges in container \"{}\" \
                         ([{:#x}, {:#x}) and [{:#x}, {:#x})); give one of them another `iova_base`, or leave `iova_base` out to \
                         have a free range allocated",
                        gens[a].id(),
                        gens[b].id(),
                        container_names[c],
                        ra.0,
                        ra.1,
                        rb.0,
                        rb.1
                    ),
                ));
            }
        }
    }
    for i in 0..gens.len() {
        if explicit[i] || matches!(gens[i], GenSpec::Vm(_)) {
            continue;
        }
        let Some((preferred, end)) = extent(&gens[i]) else { continue };
        let len = end - u128::from(preferred);
        let align = alignment(len);
        let list = &mut taken[container(&gens[i])];
        let mut start = u128::from(preferred).next_multiple_of(align);
        for &(s, e, _) in list.iter() {
            if e <= start {
                continue;
            }
            if s >= start + len {
                break;
            }
            start = e.next_multiple_of(align);
        }
        if start + len > u128::from(u64::MAX) {
            return Err(invalid(
                &format!("\"{}\"", gens[i].id()),
                format!("generators[{i}] \"{}\": no free IOVA range of {len:#x} bytes left in its container", gens[i].id()),
            ));
        }
        set_base(&mut gens[i], start as u64);
        let at = list.partition_point(|x| x.0 < start);
        list.insert(at, (start, start + len, i));
    }
    Ok(())
}
