//! Presentation of a [`Platform`]: the readable listing of `iommu-sim topology` and its
//! `--json` form (contracts.md "topology --json"; fields may be added, never renamed).
//!
//! Both are written piece by piece to an [`io::Write`] (issue 16: output streams, never a whole
//! listing in memory): the largest write is one line's field, and a deep tree indents at most
//! [`MAX_INDENT`] levels, so the output is linear in the platform's size.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use serde_json::Value;

use super::{BusKind, Platform};
use crate::ids::{BusId, DeviceId, IommuId};
use crate::iommu::PageSizes;

/// Key capabilities of an instance on one line.
fn write_caps<W: Write + ?Sized>(w: &mut W, p: &Platform, i: IommuId) -> io::Result<()> {
    let m = p.iommu(i);
    let c = &m.params.caps;
    let g = &m.params.geometry;
    write!(w, "{}-bit IOVA, {}-bit PA, pages {}, {} domain ids, ", c.address_width, c.output_width, page_runs(c.page_sizes), c.domain_ids)?;
    for (on, flag) in [(c.coherent_walk, "coherent, "), (c.snoop_control, "snoop-control, "), (c.range_invalidation, "range-inv, ")] {
        if on {
            w.write_all(flag.as_bytes())?;
        }
    }
    write!(w, "IOTLB {} entries {}-way, {} walkers", g.iotlb_entries, g.iotlb_ways, g.walkers)
}

/// Page sizes with runs of consecutive powers of two shortened: `4K/2M/1G`, `4K..256G/1T..2048T`.
pub(crate) fn page_runs(sizes: PageSizes) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for s in sizes.iter() {
        match runs.last_mut() {
            Some((_, hi)) if *hi * 2 == s => *hi = s,
            _ => runs.push((s, s)),
        }
    }
    let name = PageSizes::size_name;
    let mut out = String::new();
    for (k, (lo, hi)) in runs.into_iter().enumerate() {
        if k > 0 {
            out.push('/');
        }
        let _ = match hi / lo {
            1 => write!(out, "{}", name(lo)),
            2 => write!(out, "{}/{}", name(lo), name(hi)),
            _ => write!(out, "{}..{}", name(lo), name(hi)),
        };
    }
    out
}

fn write_device<W: Write + ?Sized>(w: &mut W, p: &Platform, d: DeviceId) -> io::Result<()> {
    let dev = p.device(d);
    write!(w, "{}  [group {}]", dev.name, dev.group)?;
    if dev.bdf.is_none() {
        w.write_all(b" sid ")?;
        for (k, s) in dev.stream_ids.iter().enumerate() {
            write!(w, "{}{s:#x}", if k > 0 { "," } else { "" })?;
        }
    }
    if dev.multifunction {
        w.write_all(if dev.acs { b" multifunction+acs" } else { b" multifunction" })?;
    }
    if dev.ats {
        w.write_all(b" ats")?;
    }
    Ok(())
}

fn write_bus<W: Write + ?Sized>(w: &mut W, p: &Platform, b: BusId) -> io::Result<()> {
    let bus = p.bus(b);
    write!(w, "{}  {}", bus.name, bus.kind.as_str())?;
    if let Some(g) = bus.group {
        write!(w, " [group {g}]")?;
    }
    if let Some((v, d)) = bus.func.as_ref().and_then(|f| f.ids) {
        write!(w, " {v:04x}:{d:04x}")?;
    }
    if bus.func.as_ref().is_some_and(|f| f.multifunction) {
        w.write_all(b" multifunction")?;
    }
    match bus.kind {
        BusKind::RootComplex | BusKind::PlatformBus => match bus.iommu {
            Some(i) => write!(w, " -> {}", p.iommu(i).name),
            None => w.write_all(b" (no IOMMU)"),
        },
        BusKind::RootPort | BusKind::SwitchDownstream => w.write_all(if bus.acs { b" acs" } else { b" no-acs" }),
        BusKind::SwitchUpstream | BusKind::PcieToPciBridge => Ok(()),
    }
}

/// Tree levels indented two spaces each; deeper lines keep this indentation and write their
/// depth out, so a deep chain's listing grows linearly, not quadratically.
pub const MAX_INDENT: usize = 32;

/// Writes the indentation of a tree line at `depth`.
fn write_indent<W: Write + ?Sized>(w: &mut W, depth: usize) -> io::Result<()> {
    const SPACES: &[u8; 2 * MAX_INDENT] = &[b' '; 2 * MAX_INDENT];
    w.write_all(&SPACES[..2 * depth.min(MAX_INDENT)])?;
    if depth > MAX_INDENT {
        write!(w, "[depth {depth}] ")?;
    }
    Ok(())
}

/// The readable listing (IOMMU instances, the bus tree, the groups) as a string; see
/// [`write_text`].
pub fn text(p: &Platform) -> String {
    let mut out = Vec::new();
    write_text(p, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("the listing is UTF-8")
}

/// Writes the readable listing — IOMMU instances, the bus tree, the groups — to `w`, a line's
/// pieces at a time.
pub fn write_text<W: Write + ?Sized>(p: &Platform, w: &mut W) -> io::Result<()> {
    writeln!(
        w,
        "topology {}: {} IOMMUs, {} buses, {} devices, {} groups",
        p.name,
        p.iommus.len(),
        p.buses.len(),
        p.devices.len(),
        p.groups.len()
    )?;
    w.write_all(b"\nIOMMUs\n")?;
    let width = p.iommus.iter().map(|m| m.name.len()).max().unwrap_or(0);
    // Devices per instance in one pass (not one pass per instance).
    let mut per_iommu = vec![0usize; p.iommus.len()];
    for d in &p.devices {
        per_iommu[d.iommu.index()] += 1;
    }
    for (i, m) in p.iommus.iter().enumerate() {
        write!(w, "  {:width$}  {:12}  {:>3} devices  ", m.name, m.kind.as_str(), per_iommu[i])?;
        write_caps(w, p, IommuId::from_index(i))?;
        w.write_all(b"\n")?;
    }
    w.write_all(b"\nBuses\n")?;
    // Depth-first with an explicit stack (a deep chain must not overflow the call stack).
    enum Item {
        Bus(BusId),
        Device(DeviceId),
    }
    let mut stack: Vec<(Item, usize)> =
        p.buses.iter().enumerate().rev().filter(|(_, b)| b.parent.is_none()).map(|(i, _)| (Item::Bus(BusId::from_index(i)), 1)).collect();
    while let Some((item, depth)) = stack.pop() {
        write_indent(w, depth)?;
        match item {
            Item::Device(d) => write_device(w, p, d)?,
            Item::Bus(b) => {
                write_bus(w, p, b)?;
                let bus = p.bus(b);
                for &c in bus.child_buses.iter().rev() {
                    stack.push((Item::Bus(c), depth + 1));
                }
                for &d in bus.devices.iter().rev() {
                    stack.push((Item::Device(d), depth + 1));
                }
            }
        }
        w.write_all(b"\n")?;
    }
    w.write_all(b"\nGroups (bridges after `|`; vfio: whether VFIO could take the group)\n")?;
    for (g, group) in p.all_groups().enumerate() {
        write!(w, "  group {g:<3} {:width$}  ", p.iommu(group.iommu).name)?;
        for (k, d) in group.devices.iter().enumerate() {
            write!(w, "{}{}", if k > 0 { " " } else { "" }, p.device(*d).name)?;
        }
        if !group.bridges.is_empty() {
            w.write_all(if group.devices.is_empty() { b"| " } else { b" | " })?;
            for (k, b) in group.bridges.iter().enumerate() {
                write!(w, "{}{}", if k > 0 { " " } else { "" }, p.bus(*b).name)?;
            }
        }
        w.write_all(if group.vfio_usable() { b"  vfio: usable\n" } else { b"  vfio: no endpoint\n" })?;
    }
    Ok(())
}

/// A JSON array of whatever the closure's iterator yields, serialised as it is walked (no
/// intermediate vector).
struct SeqOf<F>(F);

impl<F, I> Serialize for SeqOf<F>
where
    F: Fn() -> I,
    I: IntoIterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// The `--json` document; its fields are serialised straight from the platform.
struct JsonDoc<'a> {
    p: &'a Platform,
    /// All devices sorted by (IOMMU, name): each instance's sorted device list is a run of it.
    by_iommu: Vec<DeviceId>,
}

impl<'a> JsonDoc<'a> {
    fn new(p: &'a Platform) -> Self {
        let mut by_iommu: Vec<DeviceId> = (0..p.devices.len()).map(DeviceId::from_index).collect();
        by_iommu.sort_by(|a, b| {
            let (a, b) = (p.device(*a), p.device(*b));
            a.iommu.index().cmp(&b.iommu.index()).then_with(|| a.name.cmp(&b.name))
        });
        JsonDoc { p, by_iommu }
    }

    /// The devices behind instance `i`, sorted by name.
    fn devices_of(&self, i: IommuId) -> &[DeviceId] {
        let at = |k: usize| self.by_iommu.partition_point(|d| self.p.device(*d).iommu.index() < k);
        &self.by_iommu[at(i.index())..at(i.index() + 1)]
    }
}

impl Serialize for JsonDoc<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct JsonIommu<'a, D: Serialize> {
            id: &'a str,
            kind: &'static str,
            devices: D,
            address_width: u8,
            page_sizes: PageSizes,
            domain_ids: u32,
        }
        #[derive(Serialize)]
        struct JsonGroup<'a, D: Serialize, B: Serialize> {
            id: usize,
            iommu: &'a str,
            devices: D,
            bridges: B,
            vfio_usable: bool,
        }
        #[derive(Serialize)]
        struct JsonDevice<'a> {
            id: &'a str,
            iommu: &'a str,
            group: u32,
            ats: bool,
            stream_ids: &'a [u32],
        }
        let p = self.p;
        let name = |d: &DeviceId| p.device(*d).name.as_str();
        let mut doc = s.serialize_struct("JsonTopology", 4)?;
        doc.serialize_field("topology", &p.name)?;
        doc.serialize_field(
            "iommus",
            &SeqOf(|| {
                p.iommus.iter().enumerate().map(move |(i, m)| JsonIommu {
                    id: &m.name,
                    kind: m.kind.as_str(),
                    devices: SeqOf(move || self.devices_of(IommuId::from_index(i)).iter().map(name)),
                    address_width: m.params.caps.address_width,
                    page_sizes: m.params.caps.page_sizes,
                    domain_ids: m.params.caps.domain_ids,
                })
            }),
        )?;
        doc.serialize_field(
            "groups",
            &SeqOf(|| {
                p.all_groups().enumerate().map(move |(g, group)| JsonGroup {
                    id: g,
                    iommu: &p.iommu(group.iommu).name,
                    devices: SeqOf(move || group.devices.iter().map(name)),
                    bridges: SeqOf(move || group.bridges.iter().map(|b| p.bus(*b).name.as_str())),
                    vfio_usable: group.vfio_usable(),
                })
            }),
        )?;
        doc.serialize_field(
            "devices",
            &SeqOf(|| {
                p.devices.iter().map(|d| JsonDevice {
                    id: &d.name,
                    iommu: &p.iommu(d.iommu).name,
                    group: d.group.0,
                    ats: d.ats,
                    stream_ids: &d.stream_ids,
                })
            }),
        )?;
        doc.end()
    }
}

/// The `--json` form, keys in the order of contracts.md. Contract keys: `topology`,
/// `iommus[].{id, kind, devices}`, `groups[].{id, iommu, devices}`; device lists sorted.
/// Added: `iommus[].address_width`, `iommus[].page_sizes`, `iommus[].domain_ids`, and
/// `devices[]` with each device's IOMMU, group, ATS and stream ids (in `DeviceId` order),
/// `groups[].bridges` (ports and bridges in the group) and `groups[].vfio_usable`; groups
/// holding only bridges follow the others.
pub fn json(p: &Platform) -> Value {
    serde_json::to_value(JsonDoc::new(p)).unwrap_or(Value::Null)
}

/// [`json`] as pretty-printed text with the keys in contract order (a `serde_json::Value`
/// would sort them); see [`write_json`].
pub fn json_pretty(p: &Platform) -> String {
    serde_json::to_string_pretty(&JsonDoc::new(p)).unwrap_or_default()
}

/// Writes [`json`] pretty-printed, keys in contract order, to `w` as it is serialised — what
/// `iommu-sim topology --json` prints (without the final newline).
pub fn write_json<W: Write>(p: &Platform, w: W) -> io::Result<()> {
    serde_json::to_writer_pretty(w, &JsonDoc::new(p)).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    const SRC: &str = r#"Topology(name: "r", iommus: [Iommu(id: "smmu0", kind: ArmSmmuV3)],
        buses: [RootComplex(id: "pci0000:00", iommu: "smmu0"), RootPort(id: "0000:00:01.0", parent: "pci0000:00", acs: false)],
        devices: [Device(id: "0000:01:00.1", parent: "0000:00:01.0"), Device(id: "0000:01:00.0", parent: "0000:00:01.0", ats: true)])"#;

    #[test]
    fn page_size_runs_are_shortened() {
        use crate::iommu::{Caps, IommuKind};
        assert_eq!(page_runs(Caps::defaults(IommuKind::IntelVtd).page_sizes), "4K/2M/1G");
        assert_eq!(page_runs(Caps::defaults(IommuKind::AmdVi).page_sizes), "4K..256G/1T..2048T");
        assert_eq!(page_runs(PageSizes(PageSizes::SZ_16K | PageSizes::SZ_32M)), "16K/32M");
    }

    #[test]
    fn json_has_the_contract_shape_with_sorted_devices() {
        let p = Platform::parse(Path::new("r.ron"), SRC).unwrap();
        let v = json(&p);
        assert_eq!(v["topology"], "r");
        assert_eq!(v["iommus"][0]["id"], "smmu0");
        assert_eq!(v["iommus"][0]["kind"], "arm-smmu-v3");
        assert_eq!(v["iommus"][0]["devices"], json!(["0000:01:00.0", "0000:01:00.1"]));
        assert_eq!(
            v["groups"],
            json!([{ "id": 0, "iommu": "smmu0", "devices": ["0000:01:00.0", "0000:01:00.1"], "bridges": ["0000:00:01.0"], "vfio_usable": true }])
        );
    }

    #[test]
    fn text_lists_iommus_tree_and_groups() {
        let p = Platform::parse(Path::new("r.ron"), SRC).unwrap();
        let t = text(&p);
        assert!(t.contains("smmu0  arm-smmu-v3     2 devices  48-bit IOVA"), "{t}");
        assert!(t.contains("IOTLB 2048 entries 4-way"), "{t}");
        assert!(
            t.contains("  pci0000:00  RootComplex -> smmu0\n    0000:00:01.0  RootPort [group 0] no-acs\n      0000:01:00.1  [group 0]"),
            "{t}"
        );
        assert!(t.contains("group 0   smmu0  0000:01:00.0 0000:01:00.1 | 0000:00:01.0  vfio: usable"), "{t}");
    }

    /// Counts what is written and the largest single write.
    #[derive(Default)]
    struct Counter {
        bytes: usize,
        largest: usize,
        writes: usize,
    }

    impl Write for Counter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.bytes += buf.len();
            self.largest = self.largest.max(buf.len());
            self.writes += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A 250-deep chain of switch ports with `wide` devices hanging off its last port.
    fn deep_and_wide(depth: usize, wide: usize) -> Platform {
        let mut buses = String::from(r#"RootComplex(id: "rc", iommu: "m"), RootPort(id: "rp", parent: "rc", acs: true),"#);
        let mut parent = "rp".to_string();
        for i in 0..depth {
            let kind = if i % 2 == 0 { "SwitchUpstream" } else { "SwitchDownstream" };
            buses += &format!(r#"{kind}(id: "s{i}", parent: "{parent}"),"#);
            parent = format!("s{i}");
        }
        let devices: Vec<String> = (0..wide)
            .map(|i| format!(r#"Device(id: "0000:{:02x}:{:02x}.{}", parent: "{parent}")"#, 1 + i / 256, (i / 8) % 32, i % 8))
            .collect();
        let src = format!(
            r#"Topology(name: "d", iommus: [Iommu(id: "m", kind: ArmSmmuV3)], buses: [{buses}], devices: [{}])"#,
            devices.join(",")
        );
        Platform::parse(Path::new("d.ron"), &src).unwrap()
    }

    #[test]
    fn listings_stream_in_small_writes_and_deep_trees_stay_linear() {
        let p = deep_and_wide(250, 2000);
        for json in [false, true] {
            let mut c = Counter::default();
            if json {
                write_json(&p, &mut c).unwrap();
            } else {
                write_text(&p, &mut c).unwrap();
            }
            // Streamed: no write holds more than a line's field, though the whole is large. A
            // renderer that built the listing in a String and wrote it once fails here.
            assert!(c.bytes > 100_000, "json {json}: {} bytes", c.bytes);
            assert!(c.largest <= 256, "json {json}: a write of {} bytes: the listing is built in memory", c.largest);
            assert!(c.writes > 4000, "json {json}: {} writes", c.writes);
        }
        // Linear: a 250-deep chain indents at most MAX_INDENT levels, so its lines are short.
        let chain = deep_and_wide(250, 1);
        let t = text(&chain);
        let longest = t.lines().filter(|l| l.contains("Switch")).map(str::len).max().unwrap();
        assert!(longest < 2 * MAX_INDENT + 48, "a tree line of {longest} bytes");
        assert!(t.contains("[depth 252] "), "{}", &t[t.len() - 400..]);
        // And what is streamed is exactly what the String forms hold.
        let mut v = Vec::new();
        write_json(&chain, &mut v).unwrap();
        assert_eq!(String::from_utf8(v).unwrap(), json_pretty(&chain));
    }
}
