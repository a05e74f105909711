//! Walking a [`PageTable`] as the hardware does, and the simulator's memo of bottom-level
//! tables that lets the translation path's walks skip re-reading the levels above.

use super::*;

/// The simulator's own shortcut for walks (not a model of hardware, which the walk cache is):
/// recently reached bottom-level tables, direct-mapped by the region they cover (`iova >>
/// (granule_shift + bits_per_level)`), so that the next walk into the same region reads its
/// PTE without re-reading the tables above. A bottom-level table stays where it is until it is
/// freed, and the levels above it change only when the level count does, so the memo is
/// forgotten on exactly those two events ([`PageTable::free_table`], [`PageTable::set_levels`]):
/// everything else a map or unmap does only writes PTEs, which a remembered walk reads live.
/// Forgetting is O(1) (a new generation), and the slots are allocated on the first walk, so
/// a table never walked costs nothing.
#[derive(Clone, Debug, Default)]
pub(super) struct LeafTableMemo {
    /// `(region, table, generation)`; a slot of an older generation is empty.
    pub(super) slots: Vec<(u64, u32, u32)>,
    /// Starts at 1: the zeroed slots of a fresh allocation are generation 0, i.e. empty.
    pub(super) generation: u32,
}

impl LeafTableMemo {
    /// 256 regions of 2 MiB (4 KiB granule) are 512 MiB of IOVA space: 4 KiB of memo.
    const SLOTS: usize = 256;

    /// The slot of `region`: a multiplicative hash, so that regions a fixed stride apart
    /// (devices streaming through neighbouring buffers) fall in different slots.
    #[inline(always)]
    fn index(region: u64) -> usize {
        (region.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
    }

    #[inline(always)]
    pub(super) fn forget(&mut self) {
        if self.generation == u32::MAX {
            self.slots.clear();
            self.generation = 0;
        }
        self.generation += 1;
    }
}

/// Where [`PageTable::descend`] stopped.
enum Descent {
    /// At an entry above the bottom level that ends the walk.
    Ended(Walk),
    /// At the bottom-level table, read at `depth`.
    Bottom { table: u32, depth: u8 },
}

impl PageTable {
    /// Translates one IOVA as the hardware would, without side effects.
    #[inline]
    pub fn translate(&self, iova: u64) -> Option<Translation> {
        self.walk(iova).leaf
    }

    /// Walks one IOVA, reporting how many table pages were read.
    #[inline]
    pub fn walk(&self, iova: u64) -> Walk {
        match self.descend(iova) {
            Descent::Ended(w) => w,
            Descent::Bottom { table, depth } => self.read_bottom(table, iova, depth),
        }
    }

    /// [`PageTable::walk`], the same answer, through the memo of recently reached
    /// bottom-level tables ([`LeafTableMemo`]): a walk into a remembered region reads one
    /// PTE instead of `levels` (issue 15: the translation path's miss walks stream through
    /// few regions at a time).
    #[inline]
    pub fn walk_remembered(&mut self, iova: u64) -> Walk {
        let region = iova >> (self.format.granule_shift + self.format.bits_per_level);
        let m = LeafTableMemo::index(region);
        let generation = self.memo.generation;
        if let Some(&(r, table, g)) = self.memo.slots.get(m)
            && r == region
            && g == generation
        {
            let w = self.read_bottom(table, iova, self.levels);
            debug_assert_eq!(w, self.walk(iova), "the memo answers as the walk does");
            return w;
        }
        match self.descend(iova) {
            Descent::Ended(w) => w,
            Descent::Bottom { table, depth } => {
                if self.memo.slots.is_empty() {
                    self.memo.slots = vec![(0, 0, 0); LeafTableMemo::SLOTS];
                }
                self.memo.slots[m] = (region, table, generation);
                self.read_bottom(table, iova, depth)
            }
        }
    }

    /// Reads the table pointers from the root down to the bottom-level table of `iova`, or
    /// to the entry that ends the walk above it (empty, or a block leaf).
    #[inline(always)]
    fn descend(&self, iova: u64) -> Descent {
        if iova & !self.va_mask != 0 || self.root == NO_ROOT {
            return Descent::Ended(Walk { depth: 0, leaf: None });
        }
        let leaf_shift = self.format.granule_shift;
        let (mut table, mut shift, mut depth) = (self.root, self.top_shift, 1u8);
        while shift != leaf_shift {
            let pte = self.entries[self.slot(table, iova, shift)];
            if pte & PTE_PRESENT == 0 || pte & PTE_TABLE == 0 {
                return Descent::Ended(Self::walk_end(pte, iova, shift, depth));
            }
            table = child(pte);
            shift -= self.format.bits_per_level;
            depth += 1;
        }
        Descent::Bottom { table, depth }
    }

    /// The end of a walk that reached bottom-level table `table` at `depth`: its entry for
    /// `iova` is a page or empty.
    #[inline(always)]
    fn read_bottom(&self, table: u32, iova: u64, depth: u8) -> Walk {
        let shift = self.format.granule_shift;
        Self::walk_end(self.entries[self.slot(table, iova, shift)], iova, shift, depth)
    }

    /// The walk that read `pte` (not a table pointer) at `depth`, in a table of `2^shift`
    /// entries: a leaf, or an empty entry.
    #[inline(always)]
    fn walk_end(pte: u64, iova: u64, shift: u32, depth: u8) -> Walk {
        if pte & PTE_PRESENT == 0 {
            return Walk { depth, leaf: None };
        }
        let page_size = 1u64 << shift;
        let leaf = Translation {
            phys: (pte & LEAF_ADDR_MASK & !(page_size - 1)) | (iova & (page_size - 1)),
            prot: Prot(((pte >> PROT_SHIFT) & PROT_MASK) as u8),
            page_size,
        };
        Walk { depth, leaf: Some(leaf) }
    }
}
