//! Limits on what a valid file may ask for, so that an input that *parses* can still never
//! panic, wrap around, or exhaust memory (issue 16). Every bound here is documented in
//! docs/limits.md with its reason; a value beyond one is an input error (exit 2) naming the
//! field, never a silent wrap and never a result that depends on the build profile.
//!
//! The checks live here, apart from the loaders, so that the loaders stay about what the
//! files mean. `budget.rs` holds the other half: how much work a run may do.

use std::io::Read as _;
use std::path::Path;

use crate::error::{InputError, Location};
use crate::pagetable::Format;
use crate::scenario::schema::Scenario as ScenarioFile;
use crate::time::Cycle;
use crate::topology::Platform;
use crate::workload::schema::{Fault, Generator};

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

/// Reads a user's file: a folder is refused as such, a file larger than [`MAX_INPUT_BYTES`] is
/// refused before it is read (or as soon as reading passes the limit, for devices and pipes),
/// and non-UTF-8 content is a parse error.
pub fn read_input(path: &Path) -> Result<String, InputError> {
    let io = |source: std::io::Error| InputError::Io { path: path.display().to_string(), source };
    let too_big = |len: u64| InputError::Invalid {
        at: Location::file(path),
        message: format!("the file is {len} bytes or more; input files are limited to {MAX_INPUT_BYTES} bytes (docs/limits.md)"),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(InputError::Invalid { at: Location::file(path), message: "is a folder, not a file".into() });
    }
    if meta.is_file() && meta.len() > MAX_INPUT_BYTES {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| InputError::Parse {
        at: Location::file(path),
        message: format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })
}

/// Which value of a topology file a platform limit error is about: the entry of `list` whose
/// `id` is `id` (none: the list itself), and the field path inside it (`geometry.walkers`).
/// `topology::Platform::checked` turns it into a line:column through the file's span index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitAt {
    pub list: &'static str,
    pub id: Option<String>,
    pub field: Option<String>,
}

impl std::fmt::Display for LimitAt {
    /// As messages name it: `iommus "m" geometry.walkers`, `buses "rp"`, `iommus`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.list)?;
        if let Some(id) = &self.id {
            write!(f, " \"{id}\"")?;
        }
        if let Some(field) = &self.field {
            write!(f, " {field}")?;
        }
        Ok(())
    }
}

/// Bounds on a built platform: bus depth, cache geometry, walkers, costs. The error is
/// `(where, message)`; the caller locates it.
pub fn check_platform(p: &Platform) -> Result<(), (LimitAt, String)> {
    // Depth of every bus, iteratively (parents come in any file order).
    let mut depth = vec![0usize; p.buses.len()];
    for i in 0..p.buses.len() {
        if depth[i] != 0 {
            continue;
        }
        let mut chain = Vec::new();
        let mut at = Some(i);
        while let Some(b) = at {
            if depth[b] != 0 || chain.len() > MAX_BUS_DEPTH {
                break;
            }
            chain.push(b);
            at = p.buses[b].parent.map(|x| x.index());
        }
        let mut d = at.map_or(0, |b| depth[b]);
        for &b in chain.iter().rev() {
            d += 1;
            depth[b] = d;
        }
        if d > MAX_BUS_DEPTH || chain.len() > MAX_BUS_DEPTH {
            return Err((
                LimitAt { list: "buses", id: Some(p.buses[i].name.clone()), field: None },
                format!("the bus tree is more than {MAX_BUS_DEPTH} levels deep (a PCI segment has 256 bus numbers)"),
            ));
        }
    }
    let mut total: u64 = 0;
    let ats = p.devices.iter().filter(|d| d.ats).count() as u64;
    for m in &p.iommus {
        let g = &m.params.geometry;
        let who = |field: &str| LimitAt { list: "iommus", id: Some(m.name.clone()), field: Some(field.to_string()) };
        for (v, field) in [
            (g.iotlb_entries, "geometry.iotlb_entries"),
            (g.walk_cache_entries, "geometry.walk_cache_entries"),
            (g.devtlb_entries, "geometry.devtlb_entries"),
        ] {
            if v > MAX_CACHE_ENTRIES {
                return Err((who(field), format!("{v} is more than the limit of {MAX_CACHE_ENTRIES} entries (docs/limits.md)")));
            }
        }
        if g.walkers > MAX_WALKERS {
            return Err((who("geometry.walkers"), format!("{} is more than the limit of {MAX_WALKERS} walkers", g.walkers)));
        }
        // Walk caches hold one partition per non-leaf level (at most 6).
        total += u64::from(g.iotlb_entries) + 6 * u64::from(g.walk_cache_entries) + ats * u64::from(g.devtlb_entries);
        if let Ok(serde_json::Value::Object(costs)) = serde_json::to_value(&m.params.costs) {
            for (name, v) in costs {
                if v.as_u64().is_some_and(|v| v > MAX_COST) {
                    return Err((
                        who(&format!("costs.{name}")),
                        format!("{v} cycles is more than the limit of {MAX_COST} (docs/limits.md)"),
                    ));
                }
            }
        }
    }
    if total > MAX_PLATFORM_CACHE_ENTRIES {
        return Err((
            LimitAt { list: "iommus", id: None, field: None },
            format!(
                "geometry: the platform's caches hold {total} entries in all (IOTLBs, walk caches, device TLBs of {ats} ATS devices); \
                 the limit is {MAX_PLATFORM_CACHE_ENTRIES}"
            ),
        ));
    }
    Ok(())
}

/// Bounds a scenario file must respect before anything is computed from it: times, queue
/// sizes, generator address ranges. The error is `(text to point at, message)`.
pub fn check_scenario(s: &ScenarioFile) -> Result<(), (String, String)> {
    let time = |v: Cycle, field: String| -> Result<(), (String, String)> {
        if v > MAX_TIME {
            let needle = format!("{}:", field.rsplit(".").next().unwrap_or(&field));
            return Err((needle, format!("{field}: {v} cycles is beyond the limit of 2^62 = {MAX_TIME} (docs/limits.md)")));
        }
        Ok(())
    };
    // Generators and faults are numbered in 16 bits inside events, script lines in 32.
    for (n, list) in [(s.generators.len(), "generators"), (s.faults.len(), "faults")] {
        if n > usize::from(u16::MAX) {
            return Err((list.into(), format!("{list}: {n} entries, at most {}", u16::MAX)));
        }
    }
    if s.events.len() > u32::MAX as usize {
        return Err(("events".into(), format!("events: {} lines, at most {}", s.events.len(), u32::MAX)));
    }
    for (i, c) in s.containers.iter().enumerate() {
        // Only a DMA-API domain has a flush queue (a VFIO container cannot be lazy).
        let crate::scenario::schema::Container::DmaApi { id, flush_queue, flush_timeout, .. } = c else { continue };
        if *flush_queue > MAX_FLUSH_QUEUE {
            return Err((
                "flush_queue".into(),
                format!("containers[{i}] \"{id}\".flush_queue: {flush_queue} is more than the limit of {MAX_FLUSH_QUEUE}"),
            ));
        }
        time(*flush_timeout, format!("containers[{i}].flush_timeout"))?;
    }
    for (i, e) in s.events.iter().enumerate() {
        time(e.at, format!("events[{i}].at"))?;
        if let Some(r) = e.repeat {
            time(r.every, format!("events[{i}].repeat.every"))?;
        }
    }
    for (i, g) in s.generators.iter().enumerate() {
        let at = |f: &str| format!("generators[{i}].{f}");
        match g {
            Generator::Nic { start, ring, iova_base, packet_bytes, .. } => {
                time(*start, at("start"))?;
                // The buffers span `ring + flush_queue` slots of whole pages (a lazy container's
                // queue at most MAX_FLUSH_QUEUE): they must fit below 2^64.
                let slots = u128::from(*ring) + u128::from(MAX_FLUSH_QUEUE);
                let buf = u128::from(packet_bytes.div_ceil(4096).max(1) * 4096);
                // An unset base is chosen by the container's IOVA allocator, which checks room.
                let base = iova_base.unwrap_or(0);
                if u128::from(base) + slots * buf > u128::from(u64::MAX) {
                    return Err((
                        "iova_base".into(),
                        format!("{}: {base:#x} leaves no room for the ring's buffers below 2^64", at("iova_base")),
                    ));
                }
            }
            Generator::Nvme { start, service, .. } => {
                time(*start, at("start"))?;
                time(*service, at("service"))?;
            }
            Generator::DmaEngine { start, .. } => time(*start, at("start"))?,
            Generator::Accelerator { start, buffers, buffer_bytes, iova_base, .. } => {
                time(*start, at("start"))?;
                // Buffers start 1 GiB apart (accel.rs `pitch`): all of them must fit below 2^64.
                let pitch = u128::from(*buffer_bytes).div_ceil(1 << 30) << 30;
                let base = iova_base.unwrap_or(0);
                if u128::from(base) + pitch * u128::from(*buffers) > u128::from(u64::MAX) {
                    return Err((
                        "buffer_bytes".into(),
                        format!("{}: {buffers} buffer(s) of {buffer_bytes:#x} bytes at {base:#x} overflow 64 bits", at("buffer_bytes")),
                    ));
                }
            }
            Generator::Vm { start, churn, .. } => {
                time(*start, at("start"))?;
                if let Some(c) = churn {
                    time(c.every, at("churn.every"))?;
                    time(c.down, at("churn.down"))?;
                }
            }
        }
    }
    for (i, f) in s.faults.iter().enumerate() {
        match f {
            Fault::AllocFail { at, .. } | Fault::ExhaustIds { at, .. } | Fault::Unplug { at, .. } => time(*at, format!("faults[{i}].at"))?,
            Fault::LateInvalidation { at, delay, .. } => {
                time(*at, format!("faults[{i}].at"))?;
                time(*delay, format!("faults[{i}].delay"))?;
            }
        }
    }
    Ok(())
}

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

/// Whether a domain with page-table format `f` can hold `[iova, iova + size)` →
/// `[phys, phys + size)`: both ends inside the input and output widths, nothing wrapping.
/// A map that fails this is a `map_error` (as `iommu_map` fails with -ERANGE/-EINVAL).
pub fn representable(f: &Format, iova: u64, phys: u64, size: u64) -> bool {
    let fits = |start: u64, bits: u32| start.checked_add(size.saturating_sub(1)).is_some_and(|last| bits >= 64 || last >> bits == 0);
    size > 0 && fits(iova, f.address_width) && fits(phys, f.output_width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_and_an_endless_device_are_refused_clearly() {
        let dir = std::env::temp_dir();
        let e = read_input(&dir).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = read_input(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(e.contains("limited to"), "{e}");
        }
    }

    #[test]
    fn representable_checks_both_widths_and_wrap() {
        let f = Format {
            kind: crate::pagetable::FormatKind::AmdV1,
            granule_shift: 12,
            bits_per_level: 9,
            levels: 4,
            max_levels: 4,
            address_width: 48,
            output_width: 48,
            page_sizes: crate::iommu::PageSizes(4096),
        };
        assert!(representable(&f, 0, 0, 1 << 48));
        assert!(!representable(&f, 1, 0, 1 << 48));
        assert!(!representable(&f, 0, 1 << 48, 4096));
        assert!(!representable(&f, u64::MAX - 4095, 0, 8192));
    }
}
