//! What a scenario asks for, resolved to ids: its containers, the script's actions and their
//! protection bits. Shared by the scenario loader (which builds them from the file), the
//! workload generators (which emit actions) and the simulation (which performs them); it sits
//! below all three so that none of them imports another for these types
//! (docs/architecture.md, "Layers").

use serde::{Deserialize, Serialize};

use crate::ids::{ContainerId, DeviceId};
use crate::time::Cycle;

/// What a container is in Linux (see `scenario::schema::Container`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    /// A VFIO container / iommufd IOAS: unmanaged domains, strict; the strategies choose its
    /// domains.
    Vfio,
    /// A kernel driver's DMA-API domain: one group's default domain, strict or lazy.
    DmaApi,
}

/// A container after loading.
#[derive(Clone, Debug)]
pub struct ContainerSpec {
    pub name: String,
    pub kind: ContainerKind,
    /// Resolved: a DMA-API domain's default mode is already decided here.
    pub invalidation: Invalidation,
    pub flush_queue: u32,
    pub flush_timeout: Cycle,
    pub granularity: Scope,
}

/// Access bits of a mapping (1 = read, 2 = write).
pub type ProtBits = u8;
pub const PROT_READ: ProtBits = 1;
pub const PROT_WRITE: ProtBits = 2;

/// A script operation with names resolved to ids. `Copy` and small: it travels in events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Attach {
        device: DeviceId,
        container: ContainerId,
    },
    Detach {
        device: DeviceId,
    },
    /// `backing_shift`: log2 of the size of the physically contiguous chunks behind the range
    /// (the VM's backing page size), 0 when the whole range is contiguous.
    Map {
        container: ContainerId,
        iova: u64,
        size: u64,
        prot: ProtBits,
        backing_shift: u8,
    },
    Unmap {
        container: ContainerId,
        iova: u64,
        size: u64,
    },
    Dma {
        device: DeviceId,
        iova: u64,
        bytes: u64,
        write: bool,
    },
}

/// One resolved script line.
#[derive(Clone, Copy, Debug)]
pub struct Line {
    pub at: Cycle,
    pub count: u64,
    pub every: Cycle,
    /// Address advance per occurrence, and the span it wraps at (`u64::MAX`: never).
    pub stride: u64,
    pub wrap: u64,
    pub action: Action,
}

impl Line {
    /// The action of occurrence `n` (0-based): the address advanced by `n × stride` modulo
    /// `wrap`.
    #[inline]
    pub fn occurrence(&self, n: u64) -> Action {
        if self.stride == 0 {
            return self.action;
        }
        let off = (u128::from(n) * u128::from(self.stride) % u128::from(self.wrap)) as u64;
        self.action.advanced(off)
    }

    /// The offset of occurrence `n + 1` given that of occurrence `n` (`off < wrap`): the same
    /// `n × stride mod wrap` as [`Line::occurrence`], without its 128-bit division (the
    /// engine walks a repeat's occurrences in order).
    #[inline]
    pub fn next_offset(&self, off: u64) -> u64 {
        let (step, back) = self.offset_step();
        advance_offset(off, step, back)
    }

    /// The operands of [`advance_offset`] for this line: `stride mod wrap` and `wrap - step`.
    pub fn offset_step(&self) -> (u64, u64) {
        let step = self.stride % self.wrap;
        (step, self.wrap - step)
    }
}

/// `off + step` reduced mod `wrap`, for `off, step < wrap` and `back = wrap - step`: one
/// compare and one add or subtract (no overflow).
#[inline(always)]
pub fn advance_offset(off: u64, step: u64, back: u64) -> u64 {
    if off >= back { off - back } else { off + step }
}

impl Action {
    /// The action with its address (Map, Unmap, Dma) advanced by `off` bytes.
    #[inline]
    pub fn advanced(self, off: u64) -> Action {
        match self {
            Action::Map { container, iova, size, prot, backing_shift } => {
                Action::Map { container, iova: iova.wrapping_add(off), size, prot, backing_shift }
            }
            Action::Unmap { container, iova, size } => Action::Unmap { container, iova: iova.wrapping_add(off), size },
            Action::Dma { device, iova, bytes, write } => Action::Dma { device, iova: iova.wrapping_add(off), bytes, write },
            other => other,
        }
    }
}

/// Granularity of invalidation commands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// Page/range commands, domain-wide beyond the instance's `max_invalidation_pages`.
    #[default]
    Auto,
    /// Always domain-wide (DSI, TLBI by ASID/VMID).
    Domain,
    /// Always global (every entry of every domain on the instance, VT-d GLOBAL_FLUSH,
    /// TLBI_NSNH_ALL): other domains' devices lose their cached translations too.
    Global,
}

/// Invalidation mode of a container or DMA-API domain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invalidation {
    /// Range/page invalidation plus a sync wait inside every unmap.
    #[default]
    Strict,
    /// Unmaps queue; a full queue or the timeout triggers one domain-wide flush.
    Lazy,
    /// No invalidation at all (an experiment: shows the exposure).
    None,
}

/// Alignment every map/unmap must have: the smallest granule of any format (4 KiB).
pub const MIN_PAGE: u64 = 4096;

/// Parses a backing page size (`"4K"`, `"2M"`, `"1G"`...) for a map of `[iova, iova + size)`:
/// its log2, or 0 for none (contiguous). The range must be made of whole backing pages.
pub fn backing_shift(backing: Option<&str>, iova: u64, size: u64) -> Result<u8, String> {
    let Some(text) = backing else { return Ok(0) };
    let page =
        crate::iommu::PageSizes::parse_size(text).ok_or_else(|| format!("`{text}` is not a page size (\"4K\", \"2M\", \"1G\"...)"))?;
    if !iova.is_multiple_of(page) || !size.is_multiple_of(page) {
        return Err(format!("iova {iova:#x} and size {size:#x} must be multiples of the {text} backing pages"));
    }
    Ok(page.trailing_zeros() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Walking a repeat's offsets one occurrence at a time gives exactly
        /// `occurrence(n)`'s `n × stride mod wrap`, for strides larger than the wrap, wraps
        /// near `u64::MAX` and the default "never" wrap.
        #[test]
        fn next_offset_walks_the_occurrences(
            stride in proptest::prop_oneof![1u64..10_000, 1u64..=u64::MAX],
            wrap in proptest::prop_oneof![1u64..10_000, 1u64..=u64::MAX, proptest::strategy::Just(u64::MAX)],
            n0 in 0u64..1_000_000,
        ) {
            let action = Action::Dma { device: DeviceId(0), iova: 0, bytes: 1, write: false };
            let l = Line { at: 0, count: u64::MAX, every: 1, stride, wrap, action };
            let iova = |a: Action| match a { Action::Dma { iova, .. } => iova, _ => unreachable!() };
            let mut off = iova(l.occurrence(n0));
            for n in n0 + 1..n0 + 50 {
                off = l.next_offset(off);
                proptest::prop_assert_eq!(off, iova(l.occurrence(n)));
                proptest::prop_assert_eq!(iova(action.advanced(off)), off);
            }
        }
    }
}
