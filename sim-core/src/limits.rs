//! Limits on what a valid file may ask for, so that an input that *parses* can still never
//! panic, wrap around, or exhaust memory (issue 16). Every bound here is documented in
//! docs/limits.md with its reason; a value beyond one is an input error (exit 2) naming the
//! field, never a silent wrap and never a result that depends on the build profile.
//!
//! The bounds live here, below every loader; the checks that apply them sit apart from the
//! loaders, beside the file they check (`topology/limits.rs`, `scenario/limits.rs`; reading a
//! file: `error.rs` `InputError::read`), so that the loaders stay about what the files mean.
//! `budget.rs` holds the other half: how much work a run may do.

use crate::time::Cycle;

/// Largest input file read (topology, scenario, expected file, results JSON): 16 MiB. The
/// bundled files are a few KiB; a topology of the maximum node count is about 5 MiB. Checked
/// before reading a regular file, and while reading anything else (`/dev/zero`, a pipe).
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Largest time value (a script `at`/`every`, a generator `start`/`service`, a timeout, a
/// delay): 2^62 cycles, 146 years at 1 GHz. Any time plus any other stays below 2^64, so the
/// event clock can never wrap. A `duration` above it is saturated to it (its meaning,
/// "run until", is unchanged).
pub const MAX_TIME: Cycle = 1 << 62;

/// Largest single cost in a topology's `costs`: 2^24 cycles (16.7 ms at 1 GHz; the largest
/// default is a few microseconds). With the work budget this keeps every cost sum in 64 bits.
pub const MAX_COST: Cycle = 1 << 24;

/// Deepest bus chain below a root: 256. A PCI segment has 256 bus numbers (8-bit bus field of
/// a requester id) and every bridge or port level below a root owns at least one.
pub const MAX_BUS_DEPTH: usize = 256;

/// Largest entry count of one translation cache (IOTLB, walk cache, device TLB): 2^20. Real
/// IOTLBs hold hundreds to a few thousand entries; this leaves room for experiments while a
/// cache stays below ~64 MiB of state.
pub const MAX_CACHE_ENTRIES: u32 = 1 << 20;

/// Most concurrent page-table walkers of an instance: 1024 (gem5's SMMUv3 has 16 slots).
pub const MAX_WALKERS: u32 = 1024;

/// Most cache entries in a whole platform (every IOTLB, walk cache and ATS device TLB): 2^24,
/// so the state one run allocates stays around a GiB at worst.
pub const MAX_PLATFORM_CACHE_ENTRIES: u64 = 1 << 24;

/// Largest lazy flush queue: 2^20 entries (Linux: `IOVA_DEFAULT_FQ_SIZE` 256,
/// `IOVA_SINGLE_FQ_SIZE` 32768, drivers/iommu/dma-iommu.c, v6.4+).
pub const MAX_FLUSH_QUEUE: u32 = 1 << 20;

/// Deserializes a map whose keys must be unique (`tolerances`): serde's `BTreeMap` keeps the
/// last of two equal keys silently, which hides a typo'd edit.
pub fn unique_keys<'de, D, V>(d: D) -> Result<std::collections::BTreeMap<String, V>, D::Error>
where
    D: serde::Deserializer<'de>,
    V: serde::Deserialize<'de>,
{
    struct Unique<V>(std::marker::PhantomData<V>);
    impl<'de, V: serde::Deserialize<'de>> serde::de::Visitor<'de> for Unique<V> {
        type Value = std::collections::BTreeMap<String, V>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map with unique keys")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = std::collections::BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<String, V>()? {
                if out.contains_key(&k) {
                    return Err(serde::de::Error::custom(format!("key \"{k}\" appears twice")));
                }
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_map(Unique(std::marker::PhantomData))
}
