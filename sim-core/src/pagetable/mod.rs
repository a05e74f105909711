//! I/O page tables: the formats (VT-d second stage, AMD v1, Arm LPAE) and a radix tree that
//! really maps, unmaps, splits and walks.
//!
//! [`Format::for_instance`] turns an instance's kind and capabilities into a format (or a
//! [`FormatError`] the topology loader reports); [`PageTable`] is one domain's table in that
//! format, with exact page-table memory accounting and per-call statistics for the CPU cost
//! model.

pub mod format;
pub mod table;

pub use format::{Format, FormatError, FormatKind};
pub use table::{MapError, MapStats, PageTable, Prot, Translation, UnmapStats, Walk};
