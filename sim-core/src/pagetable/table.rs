//! A radix-tree I/O page table that really maps, unmaps, splits and walks.
//!
//! Storage is an arena: every table page is a run of `2^bits_per_level` `u64` entries in one
//! `Vec`, addressed by a `u32` table index, with a free list, so a steady map/unmap workload
//! allocates nothing once warmed up. Free table slots are always all-zero.
//!
//! PTE encoding (ours, not a hardware one): bit 0 present, bit 1 table; a table entry holds the
//! child's index in bits 12.., a leaf holds the physical base of its page (aligned to at least
//! 4 KiB, so bits 0..12 are free) and the [`Prot`] bits in bits 2..4. A leaf's size is implied
//! by the depth it sits at.
//!
//! Behaviour, with its Linux source:
//! * `map` splits the range greedily into the largest page size aligned for both IOVA and
//!   physical address that fits (`iommu_pgsize`), refuses any overlap with an existing leaf
//!   (`-EEXIST`, io-pgtable-arm `arm_lpae_init_pte`) and writes nothing on error. An empty
//!   table left where a superpage now goes is freed and replaced by the leaf, as all three
//!   drivers do (VT-d `switch_to_super_page`, io-pgtable-arm `arm_lpae_init_pte`, AMD
//!   `free_clear_pte`).
//! * AMD v1 grows by one level at a time when a map reaches above the current reach
//!   (`increase_address_space`); it never shrinks. The DTE update that goes with it is the
//!   caller's cost, not modelled here.
//! * `unmap` clears leaves in range and frees every table whose whole region the range covers
//!   (VT-d `dma_pte_clear_level`, io-pgtable-arm `__arm_lpae_unmap` at a table entry). Tables
//!   left empty by smaller unmaps stay until reused or until `destroy`, as in Linux: checking
//!   emptiness would need a per-table count that no driver keeps, and the memory figure should
//!   match what Linux holds.
//! * A range covering only part of a superpage splits it: the remaining part is re-mapped
//!   with smaller pages in a new next-level table (io-pgtable-arm `arm_lpae_split_blk_unmap`).
//!   **Deviation:** Linux VT-d (`intel_iommu_unmap`) and AMD v1 (`iommu_v1_unmap_pages`)
//!   instead unmap the whole superpage; we split in every format (callers such as VFIO never
//!   unmap part of a mapping, so the difference does not show in practice).
//! * Unmap of an unaligned range unmaps nothing (`iommu_unmap` refuses with a warning);
//!   unmapped holes are skipped.
//!
//! Statistics count PTE *writes* (what the CPU cost model charges): freeing a whole subtree
//! is one cleared PTE (its parent entry), as in Linux, however many leaves it held.

use super::format::Format;

/// Access permissions of a mapping (Linux `IOMMU_READ` / `IOMMU_WRITE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prot(pub u8);

impl Prot {
    /// No access: the mapping exists but every DMA to it faults on permission (Linux's
    /// io-pgtable-arm would skip such a map; the model keeps it so permission faults can be
    /// simulated).
    pub const NONE: Prot = Prot(0);
    pub const READ: Prot = Prot(1);
    pub const WRITE: Prot = Prot(2);
    pub const RW: Prot = Prot(3);

    /// True if every permission in `need` is granted.
    #[inline]
    pub const fn allows(self, need: Prot) -> bool {
        self.0 & need.0 == need.0
    }
}

/// The result of translating one IOVA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    /// Physical address of the exact IOVA (page base + offset).
    pub phys: u64,
    pub prot: Prot,
    /// Size of the leaf that maps it (what an IOTLB entry would cover).
    pub page_size: u64,
}

/// What a hardware walk of one IOVA does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    /// Table pages read from the root to the leaf PTE or to the empty entry that ends the walk:
    /// `1..=levels`. 0 when the IOVA is beyond the table's reach (rejected by the address-width
    /// check before any read) or the table has been destroyed.
    pub depth: u8,
    pub leaf: Option<Translation>,
}

/// What one map did (for the CPU cost model).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MapStats {
    /// PTEs written: leaves plus table pointers installed.
    pub ptes_written: u64,
    /// Table pages allocated (intermediate tables, AMD growth, a re-created root).
    pub tables_allocated: u64,
    /// Empty table pages freed to make room for a superpage.
    pub tables_freed: u64,
}

/// What one unmap (or destroy) did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnmapStats {
    /// PTEs cleared: leaves, and parent entries of freed subtrees (one each).
    pub ptes_cleared: u64,
    /// PTEs written while splitting superpages (re-mapping the part that stays).
    pub ptes_written: u64,
    /// Table pages allocated by splitting.
    pub tables_allocated: u64,
    pub tables_freed: u64,
    /// Bytes that were mapped in the range and no longer are.
    pub bytes_unmapped: u64,
    /// Parent entries of freed subtrees among `ptes_cleared`, and the bytes they spanned:
    /// io-pgtable flushes each such span as a walk (`io_pgtable_tlb_flush_walk`: one
    /// granule-sized command per granule without range invalidation), where a cleared leaf
    /// costs one command of its own size.
    pub subtrees: u64,
    pub subtree_bytes: u64,
}

impl UnmapStats {
    /// Commands a driver without range invalidation sends for this unmap: one per cleared
    /// leaf, one per granule (`1 << granule_shift`) spanned by every freed subtree.
    pub fn tlbi_units(&self, granule_shift: u32) -> u64 {
        (self.ptes_cleared - self.subtrees) + (self.subtree_bytes >> granule_shift)
    }
}

/// Why a map was refused. Nothing was changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("iova, physical address or size is not aligned to the granule")]
    Unaligned,
    #[error("the range is beyond the input or output address width")]
    OutOfRange,
    #[error("part of the range is already mapped")]
    Overlap,
    #[error("zero-sized map")]
    ZeroSize,
}

const PTE_PRESENT: u64 = 1;
const PTE_TABLE: u64 = 2;
const PROT_SHIFT: u32 = 2;
const PROT_MASK: u64 = 3;
const ADDR_SHIFT: u32 = 12;
const LEAF_ADDR_MASK: u64 = !((1 << ADDR_SHIFT) - 1);
const NO_ROOT: u32 = u32::MAX;

#[inline]
const fn table_pte(index: u32) -> u64 {
    ((index as u64) << ADDR_SHIFT) | PTE_TABLE | PTE_PRESENT
}

#[inline]
const fn leaf_pte(phys: u64, prot: Prot) -> u64 {
    phys | (((prot.0 as u64) & PROT_MASK) << PROT_SHIFT) | PTE_PRESENT
}

#[inline]
const fn child(pte: u64) -> u32 {
    (pte >> ADDR_SHIFT) as u32
}

#[inline]
const fn low_mask(bits: u32) -> u64 {
    if bits >= 64 { u64::MAX } else { (1 << bits) - 1 }
}

/// One domain's I/O page table.
#[derive(Clone, Debug)]
pub struct PageTable {
    format: Format,
    /// Current levels (AMD v1 grows).
    levels: u8,
    /// Shift of one root entry: `level_shift(1)`.
    top_shift: u32,
    /// IOVA bits reachable now: min(address width, reach of `levels`).
    va_mask: u64,
    idx_mask: u64,
    root: u32,
    /// The arena: table `t` is `entries[t << bits_per_level ..][..entries_per_table]`.
    entries: Vec<u64>,
    free: Vec<u32>,
    live_tables: u64,
    mapped_bytes: u64,
    /// Where recently walked bottom-level tables are (see [`PageTable::walk_remembered`]).
    memo: LeafTableMemo,
}

impl PageTable {
    /// An empty table of `format`; allocates the root table page.
    pub fn new(format: Format) -> PageTable {
        let mut pt = PageTable {
            format,
            levels: format.levels,
            top_shift: 0,
            va_mask: 0,
            idx_mask: format.entries_per_table() - 1,
            root: NO_ROOT,
            entries: Vec::new(),
            free: Vec::new(),
            live_tables: 0,
            mapped_bytes: 0,
            memo: LeafTableMemo { slots: Vec::new(), generation: 1 },
        };
        pt.set_levels(format.levels);
        pt.root = pt.alloc_table();
        pt
    }

    pub fn format(&self) -> &Format {
        &self.format
    }

    /// Current number of levels (AMD v1 grows as higher addresses are mapped).
    pub fn levels(&self) -> u8 {
        self.levels
    }

    /// Address bits covered by one entry of the table at `depth` (1 = root): the key width of
    /// a walk-cache entry for that level.
    pub fn level_shift(&self, depth: u8) -> u32 {
        self.format.level_shift(self.levels, depth)
    }

    /// Live page-table memory in bytes: every table page counts one granule.
    pub fn table_bytes(&self) -> u64 {
        self.live_tables << self.format.granule_shift
    }

    /// Live table pages.
    pub fn tables(&self) -> u64 {
        self.live_tables
    }

    /// Bytes of IOVA space currently mapped.
    pub fn mapped_bytes(&self) -> u64 {
        self.mapped_bytes
    }

    fn set_levels(&mut self, levels: u8) {
        self.memo.forget();
        self.levels = levels;
        self.top_shift = self.format.level_shift(levels, 1);
        self.va_mask = low_mask(self.format.address_width.min(self.format.reach_bits(levels)));
    }

    #[inline]
    fn slot(&self, table: u32, iova: u64, shift: u32) -> usize {
        ((table as usize) << self.format.bits_per_level) | ((iova >> shift) & self.idx_mask) as usize
    }

    fn alloc_table(&mut self) -> u32 {
        self.live_tables += 1;
        if let Some(t) = self.free.pop() {
            return t;
        }
        let n = self.entries.len() >> self.format.bits_per_level;
        self.entries.resize(self.entries.len() + (1 << self.format.bits_per_level), 0);
        n as u32
    }

    /// Returns a table page, which must already be all zero, to the free list.
    fn free_table(&mut self, t: u32) {
        debug_assert!(self.table_entries(t).iter().all(|&e| e == 0));
        self.memo.forget();
        self.live_tables -= 1;
        self.free.push(t);
    }

    fn table_entries(&self, t: u32) -> &[u64] {
        let start = (t as usize) << self.format.bits_per_level;
        &self.entries[start..start + (1 << self.format.bits_per_level)]
    }

    /// Maps `[iova, iova + size)` to `[phys, phys + size)` with `prot`. All or nothing.
    pub fn map(&mut self, iova: u64, phys: u64, size: u64, prot: Prot) -> Result<MapStats, MapError> {
        if size == 0 {
            return Err(MapError::ZeroSize);
        }
        if (iova | phys | size) & (self.format.granule() - 1) != 0 {
            return Err(MapError::Unaligned);
        }
        let last = iova.checked_add(size - 1).ok_or(MapError::OutOfRange)?;
        let phys_last = phys.checked_add(size - 1).ok_or(MapError::OutOfRange)?;
        if last & !low_mask(self.format.address_width) != 0 || phys_last & !low_mask(self.format.output_width) != 0 {
            return Err(MapError::OutOfRange);
        }
        // Check before writing anything. Above the current reach nothing is mapped.
        if self.root != NO_ROOT && iova <= self.va_mask {
            let top_shift = self.top_shift;
            if self.any_leaf(self.root, top_shift, 0, iova, last.min(self.va_mask)) {
                return Err(MapError::Overlap);
            }
        }
        let mut stats = MapStats::default();
        if self.root == NO_ROOT {
            self.set_levels(self.format.levels);
            self.root = self.alloc_table();
            stats.tables_allocated += 1;
        }
        // AMD v1 `increase_address_space`: one level per step, old root becomes entry 0.
        while last & !self.va_mask != 0 && self.levels < self.format.max_levels {
            let new_root = self.alloc_table();
            let slot = (new_root as usize) << self.format.bits_per_level;
            self.entries[slot] = table_pte(self.root);
            self.root = new_root;
            self.set_levels(self.levels + 1);
            stats.tables_allocated += 1;
            stats.ptes_written += 1;
        }
        self.map_range(iova, phys, size, prot, &mut stats);
        Ok(stats)
    }

    /// Drops top levels until the tree has `levels` (VT-d before v6.13,
    /// `prepare_domain_attach_device`: "Knock out extra levels of page tables if necessary"
    /// when a domain meets a unit with a smaller AGAW): entry 0 of the root becomes the root and
    /// the old root page is freed; an empty entry 0 keeps the (empty) root page. The width
    /// shrinks to the new reach, so later maps beyond it are refused. Stops early if anything
    /// is mapped above the new reach (callers check the highest mapped address first). Returns
    /// the table pages freed.
    pub fn shed_levels(&mut self, levels: u8) -> u64 {
        let mut freed = 0;
        while self.levels > levels.max(1) {
            if self.root != NO_ROOT {
                let start = (self.root as usize) << self.format.bits_per_level;
                let n = 1usize << self.format.bits_per_level;
                if self.entries[start + 1..start + n].iter().any(|&e| e != 0) {
                    break;
                }
                let e0 = self.entries[start];
                if e0 & PTE_PRESENT != 0 {
                    if e0 & PTE_TABLE == 0 {
                        break; // a leaf at the root: nothing VT-d maps
                    }
                    self.entries[start] = 0;
                    let old = self.root;
                    self.root = child(e0);
                    self.free_table(old);
                    freed += 1;
                }
            }
            let l = self.levels - 1;
            self.format.levels = l;
            self.format.max_levels = l;
            self.format.address_width = self.format.address_width.min(self.format.reach_bits(l));
            self.set_levels(l);
        }
        freed
    }

    /// Writes a range already checked to be valid and free.
    ///
    /// Page sizes are chosen greedily per page as `iommu_pgsize` does, but a chosen size is
    /// then written as a *run*: the greedy choice cannot change before the next boundary of
    /// the leaf's table region or of a larger page size (no larger size is aligned before
    /// it, and the run stops before `remaining` drops below one page), so the rest of the run
    /// is consecutive PTEs of one table, written without walking from the root per page
    /// (issue 15: mapping the SimPy scenario's 128 MiB took ~150 instructions per 4 KiB page).
    fn map_range(&mut self, mut iova: u64, mut phys: u64, size: u64, prot: Prot, stats: &mut MapStats) {
        let sizes = self.format.page_sizes.0;
        let bpl = self.format.bits_per_level;
        let mut remaining = size;
        while remaining != 0 {
            // `iommu_pgsize`: sizes ≤ remaining, aligned for iova and phys, take the largest.
            let mut candidates = sizes & low_mask(64 - remaining.leading_zeros());
            let merged = iova | phys;
            if merged != 0 {
                candidates &= low_mask(merged.trailing_zeros() + 1);
            }
            let page_shift = 63 - candidates.leading_zeros();
            // The run ends at the leaf table's region boundary or the smallest larger size's.
            let larger = sizes & !low_mask(page_shift + 1);
            let span_shift = (page_shift + bpl).min(larger.trailing_zeros());
            let to_boundary = ((!iova & low_mask(span_shift)) >> page_shift).saturating_add(1);
            let run = to_boundary.min(remaining >> page_shift);
            let first = self.install(iova, phys, page_shift, prot, stats);
            self.write_run(first + 1, run as usize - 1, page_shift, phys.wrapping_add(1 << page_shift), prot, stats);
            let bytes = run << page_shift;
            iova = iova.wrapping_add(bytes);
            phys = phys.wrapping_add(bytes);
            remaining -= bytes;
        }
    }

    /// Installs one leaf of `2^page_shift` bytes, allocating tables on the way. Returns the
    /// leaf's slot (the next page of a run is the next slot of the same table).
    #[inline]
    fn install(&mut self, iova: u64, phys: u64, page_shift: u32, prot: Prot, stats: &mut MapStats) -> usize {
        let bpl = self.format.bits_per_level;
        let mut table = self.root;
        let mut shift = self.top_shift;
        while shift > page_shift {
            let slot = self.slot(table, iova, shift);
            let pte = self.entries[slot];
            table = if pte & PTE_PRESENT == 0 {
                let t = self.alloc_table();
                self.entries[slot] = table_pte(t);
                stats.tables_allocated += 1;
                stats.ptes_written += 1;
                t
            } else {
                debug_assert!(pte & PTE_TABLE != 0, "overlap check missed a leaf");
                child(pte)
            };
            shift -= bpl;
        }
        let slot = self.slot(table, iova, shift);
        self.write_leaf(slot, shift, phys, prot, stats);
        slot
    }

    /// Writes `n` leaves of `2^shift` bytes at the consecutive slots from `slot`, mapping the
    /// consecutive pages from `phys`: the rest of a run of [`Self::map_range`]. When every slot
    /// is empty (always so in a fresh table) they are written in one pass with no per-entry
    /// test, which the compiler vectorizes (issue 15: the SimPy setup's 128 MiB map spent ~40
    /// instructions per 4 KiB page here); otherwise one by one, freeing empty subtrees.
    #[inline]
    fn write_run(&mut self, slot: usize, n: usize, shift: u32, phys: u64, prot: Prot, stats: &mut MapStats) {
        let run = &mut self.entries[slot..slot + n];
        // An OR over the run (no early exit) so that the test vectorizes too.
        if run.iter().fold(0, |acc, &e| acc | e) & PTE_PRESENT == 0 {
            // `phys` is aligned to the page, so page k's PTE is the first one plus k pages.
            let pte = leaf_pte(phys, prot);
            for (k, e) in run.iter_mut().enumerate() {
                *e = pte.wrapping_add((k as u64) << shift);
            }
            stats.ptes_written += n as u64;
            self.mapped_bytes += (n as u64) << shift;
            return;
        }
        for k in 0..n {
            self.write_leaf(slot + k, shift, phys.wrapping_add((k as u64) << shift), prot, stats);
        }
    }

    /// Writes the leaf PTE of a `2^shift` page at `slot`, freeing the empty subtree that may
    /// sit there (the overlap check found no leaf in it).
    #[inline(always)]
    fn write_leaf(&mut self, slot: usize, shift: u32, phys: u64, prot: Prot, stats: &mut MapStats) {
        let old = self.entries[slot];
        if old & PTE_PRESENT != 0 {
            debug_assert!(old & PTE_TABLE != 0, "overlap check missed a leaf");
            let freed = self.free_subtree(child(old), shift - self.format.bits_per_level);
            debug_assert_eq!(freed.1, 0);
            stats.tables_freed += freed.0;
        }
        self.entries[slot] = leaf_pte(phys, prot);
        stats.ptes_written += 1;
        self.mapped_bytes += 1 << shift;
    }

    /// True if a leaf in `table` (entries of `2^shift` bytes, table based at `base`) meets
    /// `[lo, hi]` (inclusive; within the table's region).
    fn any_leaf(&self, table: u32, shift: u32, base: u64, lo: u64, hi: u64) -> bool {
        let first = (lo >> shift) & self.idx_mask;
        let last = (hi >> shift) & self.idx_mask;
        let row = (table as usize) << self.format.bits_per_level;
        for i in first..=last {
            let pte = self.entries[row | i as usize];
            if pte & PTE_PRESENT == 0 {
                continue;
            }
            if pte & PTE_TABLE == 0 {
                return true;
            }
            let ebase = base + (i << shift);
            let eend = ebase + low_mask(shift);
            if self.any_leaf(child(pte), shift - self.format.bits_per_level, ebase, lo.max(ebase), hi.min(eend)) {
                return true;
            }
        }
        false
    }

    /// Frees `table` and everything below it (entries of `2^shift` bytes), zeroing as it
    /// goes. Returns (tables freed, leaves dropped, bytes that were mapped).
    fn free_subtree(&mut self, table: u32, shift: u32) -> (u64, u64, u64) {
        let (mut tables, mut leaves, mut bytes, mut own) = (1u64, 0u64, 0u64, 0u64);
        let row = (table as usize) << self.format.bits_per_level;
        for i in 0..(1usize << self.format.bits_per_level) {
            let pte = self.entries[row | i];
            if pte & PTE_PRESENT == 0 {
                continue;
            }
            self.entries[row | i] = 0;
            if pte & PTE_TABLE != 0 {
                let (t, l, b) = self.free_subtree(child(pte), shift - self.format.bits_per_level);
                tables += t;
                leaves += l;
                bytes += b;
            } else {
                leaves += 1;
                own += 1 << shift;
            }
        }
        self.free_table(table);
        self.mapped_bytes -= own;
        bytes += own;
        (tables, leaves, bytes)
    }

    /// Unmaps `[iova, iova + size)`: holes are skipped, partly covered superpages split,
    /// tables whose whole region is covered freed. An unaligned or empty range unmaps nothing.
    pub fn unmap(&mut self, iova: u64, size: u64) -> UnmapStats {
        let mut stats = UnmapStats::default();
        if size == 0 || (iova | size) & (self.format.granule() - 1) != 0 || self.root == NO_ROOT || iova > self.va_mask {
            return stats;
        }
        let last = iova.saturating_add(size - 1).min(self.va_mask);
        let (root, top_shift) = (self.root, self.top_shift);
        self.unmap_rec(root, top_shift, 0, iova, last, &mut stats);
        stats
    }

    fn unmap_rec(&mut self, table: u32, shift: u32, base: u64, lo: u64, hi: u64, stats: &mut UnmapStats) {
        let bpl = self.format.bits_per_level;
        let first = (lo >> shift) & self.idx_mask;
        let last = (hi >> shift) & self.idx_mask;
        let row = (table as usize) << bpl;
        for i in first..=last {
            let slot = row | i as usize;
            let pte = self.entries[slot];
            if pte & PTE_PRESENT == 0 {
                continue;
            }
            let ebase = base + (i << shift);
            let eend = ebase + low_mask(shift);
            let covered = lo <= ebase && hi >= eend;
            if pte & PTE_TABLE != 0 {
                if covered {
                    self.entries[slot] = 0;
                    let (tables, _, bytes) = self.free_subtree(child(pte), shift - bpl);
                    stats.ptes_cleared += 1;
                    stats.subtrees += 1;
                    stats.subtree_bytes += 1u64 << shift;
                    stats.tables_freed += tables;
                    stats.bytes_unmapped += bytes;
                } else {
                    self.unmap_rec(child(pte), shift - bpl, ebase, lo.max(ebase), hi.min(eend), stats);
                }
                continue;
            }
            self.entries[slot] = 0;
            stats.ptes_cleared += 1;
            let page = 1u64 << shift;
            self.mapped_bytes -= page;
            if covered {
                stats.bytes_unmapped += page;
                continue;
            }
            // Split (`arm_lpae_split_blk_unmap`): re-map what stays, with smaller pages.
            let (cut_lo, cut_hi) = (lo.max(ebase), hi.min(eend));
            stats.bytes_unmapped += cut_hi - cut_lo + 1;
            let phys = pte & LEAF_ADDR_MASK & !(page - 1);
            let prot = Prot(((pte >> PROT_SHIFT) & PROT_MASK) as u8);
            let mut m = MapStats::default();
            if cut_lo > ebase {
                self.map_range(ebase, phys, cut_lo - ebase, prot, &mut m);
            }
            if cut_hi < eend {
                let off = cut_hi + 1 - ebase;
                self.map_range(cut_hi + 1, phys + off, eend - cut_hi, prot, &mut m);
            }
            stats.ptes_written += m.ptes_written;
            stats.tables_allocated += m.tables_allocated;
            stats.tables_freed += m.tables_freed;
        }
    }

    /// Frees every table including the root; `table_bytes()` is 0 afterwards. Pages are freed,
    /// not cleared entry by entry (`arm_lpae_free_pgtable`, VT-d `domain_exit`), so
    /// `ptes_cleared` is 0. A later `map` re-creates the root at the initial level count.
    pub fn destroy(&mut self) -> UnmapStats {
        let mut stats = UnmapStats::default();
        if self.root == NO_ROOT {
            return stats;
        }
        let (root, top_shift) = (self.root, self.top_shift);
        let (tables, _, bytes) = self.free_subtree(root, top_shift);
        self.root = NO_ROOT;
        stats.tables_freed = tables;
        stats.bytes_unmapped = bytes;
        stats
    }
}

mod walk;

use walk::LeafTableMemo;

#[cfg(test)]
mod tests;
