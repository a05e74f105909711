//! A sysfs capture: a partial mirror of `/sys` as `scripts/capture.sh` writes it, read from a
//! directory or a tarball (plain or gzip) into memory. Nothing is extracted, no link is
//! followed on the host: links are resolved by name inside the capture, and an entry whose
//! path or link leaves the capture is refused.
//!
//! Layout (paths as in sysfs): `bus/pci/devices/BDF` → link to the device directory
//! `devices/pci0000:00/.../BDF` (the path gives the parents), holding `config` and the links
//! `iommu` → `devices/.../iommu/UNIT`, `iommu_group` → `kernel/iommu_groups/N`, `physfn`;
//! `class/iommu/UNIT` links; `kernel/iommu_groups/N/devices/BDF` links.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use super::{Function, Machine, Parent, bad, config, kind_of_unit};
use crate::error::InputError;
use crate::topology::Bdf;

/// What a capture entry is.
#[derive(Clone, Debug)]
enum Entry {
    Dir,
    File(Vec<u8>),
    Link(String),
}

/// Limits: a capture larger than this is refused (a real machine's is a few MB).
const MAX_ENTRIES: usize = 500_000;
const MAX_FILE: u64 = 64 * 1024;
/// Most bytes of file content a capture may hold in all (a real one holds a few MiB: 4 KiB of
/// config space and a few small attributes per function), so a decompression bomb or a huge
/// archive is refused instead of filling memory.
pub const MAX_TOTAL: u64 = 256 << 20;
/// The marker file at the top of a capture.
pub const MARKER: &str = "iommu-sim-capture";

/// The capture in memory: normalised relative path → entry.
struct Capture {
    shown: String,
    entries: BTreeMap<String, Entry>,
}

/// Lexically joins `base` (a directory inside the capture) and a relative link target;
/// `None` when it climbs out of the capture.
fn join(base: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = base.split('/').filter(|s| !s.is_empty()).collect();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// A path inside an archive, normalised; `None` if absolute or climbing out.
fn clean(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    join("", path)
}

impl Capture {
    fn at(&self, rel: &str) -> String {
        format!("{}/{rel}", self.shown)
    }

    /// Follows links (inside the capture only) until a non-link; errors name the entry.
    fn resolve(&self, start: &str) -> Result<(String, &Entry), InputError> {
        let mut cur = start.to_string();
        for _ in 0..40 {
            let entry = self.entries.get(&cur).ok_or_else(|| bad(self.at(start), format!("dangling link: {cur} is not in the capture")))?;
            match entry {
                Entry::Link(t) => {
                    let dir = cur.rsplit_once('/').map_or("", |(d, _)| d);
                    cur = join(dir, t).ok_or_else(|| bad(self.at(&cur), format!("link to {t} points outside the capture")))?;
                }
                e => return Ok((cur, e)),
            }
        }
        Err(bad(self.at(start), "links form a cycle"))
    }

    /// The name a link points to (its last component), checking that the target exists.
    fn link_name(&self, rel: &str) -> Result<Option<String>, InputError> {
        if !self.entries.contains_key(rel) {
            return Ok(None);
        }
        let (target, _) = self.resolve(rel)?;
        Ok(target.rsplit('/').next().map(str::to_string))
    }

    fn file(&self, rel: &str) -> Result<&[u8], InputError> {
        match self.resolve(rel)? {
            (_, Entry::File(b)) => Ok(b),
            _ => Err(bad(self.at(rel), "expected a file")),
        }
    }

    fn children(&self, dir: &str) -> Vec<(String, &Entry)> {
        let prefix = format!("{dir}/");
        self.entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter(|(k, _)| !k[prefix.len()..].contains('/'))
            .map(|(k, e)| (k[prefix.len()..].to_string(), e))
            .collect()
    }
}

/// Reads a capture directory without following any link.
pub fn from_dir(path: &Path, name: &str) -> Result<Machine, InputError> {
    let shown = path.display().to_string();
    let mut entries = BTreeMap::new();
    let mut stack = vec![(path.to_path_buf(), String::new())];
    while let Some((dir, rel)) = stack.pop() {
        let rd = std::fs::read_dir(&dir).map_err(|source| InputError::Io { path: dir.display().to_string(), source })?;
        for e in rd {
            let e = e.map_err(|source| InputError::Io { path: dir.display().to_string(), source })?;
            let fname = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() { fname.clone() } else { format!("{rel}/{fname}") };
            let meta =
                std::fs::symlink_metadata(e.path()).map_err(|source| InputError::Io { path: e.path().display().to_string(), source })?;
            if entries.len() >= MAX_ENTRIES {
                return Err(bad(&shown, format!("more than {MAX_ENTRIES} entries: not a capture made by scripts/capture.sh")));
            }
            let entry = if meta.file_type().is_symlink() {
                let t = std::fs::read_link(e.path()).map_err(|source| InputError::Io { path: e.path().display().to_string(), source })?;
                Entry::Link(t.to_string_lossy().into_owned())
            } else if meta.is_dir() {
                stack.push((e.path(), r.clone()));
                Entry::Dir
            } else if meta.is_file() {
                if meta.len() > MAX_FILE {
                    return Err(bad(
                        format!("{shown}/{r}"),
                        format!("{} bytes: larger than any sysfs attribute a capture holds", meta.len()),
                    ));
                }
                Entry::File(std::fs::read(e.path()).map_err(|source| InputError::Io { path: e.path().display().to_string(), source })?)
            } else {
                return Err(bad(format!("{shown}/{r}"), "not a file, directory or link"));
            };
            entries.insert(r, entry);
        }
    }
    machine(Capture { shown, entries }, name)
}

/// A ustar/GNU tarball (`ustar` magic at 257) or gzip (1f 8b).
pub fn looks_like_tar(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b]) || bytes.get(257..262) == Some(b"ustar")
}

/// Reads a capture tarball in memory.
pub fn from_tar(shown: &str, bytes: &[u8], name: &str) -> Result<Machine, InputError> {
    let reader: Box<dyn Read + '_> =
        if bytes.starts_with(&[0x1f, 0x8b]) { Box::new(flate2::read::GzDecoder::new(bytes)) } else { Box::new(bytes) };
    let mut archive = tar::Archive::new(reader);
    let mut entries = BTreeMap::new();
    let mut total = 0u64;
    let io = |e: std::io::Error| bad(shown, format!("not a readable tarball: {e}"));
    for e in archive.entries().map_err(io)? {
        let mut e = e.map_err(io)?;
        let raw = String::from_utf8_lossy(&e.path_bytes()).into_owned();
        let rel = clean(&raw).ok_or_else(|| bad(format!("{shown}:{raw}"), "entry path leaves the capture (absolute or `..`): refused"))?;
        if entries.len() >= MAX_ENTRIES {
            return Err(bad(shown, format!("more than {MAX_ENTRIES} entries: not a capture made by scripts/capture.sh")));
        }
        let entry = match e.header().entry_type() {
            tar::EntryType::Directory => Entry::Dir,
            tar::EntryType::Symlink => {
                let t = e.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                Entry::Link(t)
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                if e.size() > MAX_FILE {
                    return Err(bad(
                        format!("{shown}:{raw}"),
                        format!("{} bytes: larger than any sysfs attribute a capture holds", e.size()),
                    ));
                }
                total += e.size();
                if total > MAX_TOTAL {
                    return Err(bad(shown, format!("more than {MAX_TOTAL} bytes of files: not a capture made by scripts/capture.sh")));
                }
                let mut buf = Vec::new();
                e.read_to_end(&mut buf).map_err(io)?;
                Entry::File(buf)
            }
            other => return Err(bad(format!("{shown}:{raw}"), format!("entry type {other:?} is not allowed in a capture"))),
        };
        if !rel.is_empty() {
            entries.insert(rel, entry);
        }
    }
    // The capture may sit in a top directory of the archive: re-root at the marker.
    let root = entries
        .keys()
        .find(|k| k.rsplit('/').next() == Some(MARKER))
        .map(|k| k.rsplit_once('/').map_or(String::new(), |(d, _)| d.to_string()))
        .ok_or_else(|| bad(shown, format!("no `{MARKER}` file: not a capture made by scripts/capture.sh")))?;
    if !root.is_empty() {
        let prefix = format!("{root}/");
        entries = entries.into_iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|s| (s.to_string(), v))).collect();
    }
    machine(Capture { shown: shown.to_string(), entries }, name)
}

/// `pci_has_mmio` from a function's sysfs `resource` file (drivers/pci/pci-sysfs.c
/// `resource_show`: one `0xSTART 0xEND 0xFLAGS` line per resource, BARs 0-5, then the ROM,
/// then a bridge's windows): a BAR or the ROM whose type is memory (`IORESOURCE_MEM` = 0x200
/// within `IORESOURCE_TYPE_BITS` = 0x1f00, include/linux/ioport.h). Older captures lack the
/// file (the importer then leaves `mmio` out).
fn resource_has_mmio(bytes: &[u8]) -> Result<bool, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "resource: not text".to_string())?;
    let mut has = false;
    for (i, line) in text.lines().enumerate().take(7) {
        let nums: Vec<u64> = line
            .split_whitespace()
            .map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16))
            .collect::<Result<_, _>>()
            .map_err(|_| format!("resource line {}: `{line}` is not three hex numbers", i + 1))?;
        let [start, end, flags] = nums[..] else {
            return Err(format!("resource line {}: `{line}` is not three hex numbers", i + 1));
        };
        has |= flags & 0x1f00 == 0x200 && (start, end) != (0, 0);
    }
    Ok(has)
}

fn machine(cap: Capture, name: &str) -> Result<Machine, InputError> {
    if !cap.entries.contains_key(MARKER) {
        return Err(bad(&cap.shown, format!("no `{MARKER}` file: not a capture made by scripts/capture.sh")));
    }
    let mut m = Machine { name: name.to_string(), groups_known: true, ..Machine::default() };
    if let Ok(k) = cap.file("kernel_release") {
        m.notes.push(format!("Kernel: {}", String::from_utf8_lossy(k).trim()));
    }
    for (unit, _) in cap.children("class/iommu") {
        let kind = kind_of_unit(&unit)
            .ok_or_else(|| bad(cap.at(&format!("class/iommu/{unit}")), format!("unknown IOMMU unit name \"{unit}\"")))?;
        m.units.insert(unit, kind);
    }
    let devs = cap.children("bus/pci/devices");
    if devs.is_empty() {
        return Err(bad(cap.at("bus/pci/devices"), "no PCI functions in the capture"));
    }
    for (bdf_text, _) in devs {
        let rel = format!("bus/pci/devices/{bdf_text}");
        let bdf = Bdf::parse(&bdf_text).ok_or_else(|| bad(cap.at(&rel), "not a PCI address DDDD:BB:DD.F"))?;
        let (dir, entry) = cap.resolve(&rel)?;
        if !matches!(entry, Entry::Dir) {
            return Err(bad(cap.at(&rel), "expected a link to the device's directory"));
        }
        // The path below the last `pciSSSS:BB` names the parents.
        let parts: Vec<&str> = dir.split('/').collect();
        let root_at = parts
            .iter()
            .rposition(|p| p.starts_with("pci") && p.len() == 10)
            .ok_or_else(|| bad(cap.at(&rel), format!("device path {dir} has no pciSSSS:BB root bus")))?;
        let root = parts[root_at];
        let seg = u16::from_str_radix(&root[3..7], 16).map_err(|_| bad(cap.at(&rel), format!("bad root bus {root}")))?;
        let rbus = u8::from_str_radix(&root[8..10], 16).map_err(|_| bad(cap.at(&rel), format!("bad root bus {root}")))?;
        let chain: Vec<&str> = parts[root_at + 1..].to_vec();
        if chain.last() != Some(&bdf_text.as_str()) {
            return Err(bad(cap.at(&rel), format!("links to {dir}, not to a directory named {bdf_text}")));
        }
        let parent = match chain.len() {
            1 => Parent::Root(seg, rbus),
            n => Parent::Bridge(
                Bdf::parse(chain[n - 2]).ok_or_else(|| bad(cap.at(&rel), format!("parent {} is not a PCI address", chain[n - 2])))?,
            ),
        };
        let cfg_path = format!("{dir}/config");
        let cfg = cap.file(&cfg_path)?;
        let mut config = config::parse(cfg).map_err(|e| bad(cap.at(&cfg_path), e))?;
        let res_path = format!("{dir}/resource");
        if cap.entries.contains_key(&res_path) {
            config.mmio = Some(resource_has_mmio(cap.file(&res_path)?).map_err(|e| bad(cap.at(&res_path), e))?);
        }
        let iommu = cap.link_name(&format!("{dir}/iommu"))?;
        if let Some(u) = &iommu
            && !m.units.contains_key(u)
        {
            let kind = kind_of_unit(u).ok_or_else(|| bad(cap.at(&format!("{dir}/iommu")), format!("unknown IOMMU unit name \"{u}\"")))?;
            m.units.insert(u.clone(), kind);
        }
        let group = match cap.link_name(&format!("{dir}/iommu_group"))? {
            None => None,
            Some(g) => {
                Some(g.parse::<u32>().map_err(|_| bad(cap.at(&format!("{dir}/iommu_group")), format!("group \"{g}\" is not a number")))?)
            }
        };
        let physfn = match cap.link_name(&format!("{dir}/physfn"))? {
            None => None,
            Some(p) => Some(Bdf::parse(&p).ok_or_else(|| bad(cap.at(&format!("{dir}/physfn")), "physfn does not name a PCI function"))?),
        };
        m.functions.push(Function {
            bdf,
            parent,
            config,
            multifunction_known: true,
            iommu,
            group,
            physfn,
            ids_known: true,
            source: cap.at(&cfg_path),
        });
    }
    // The group directories must agree with the links.
    let by: BTreeMap<Bdf, Option<u32>> = m.functions.iter().map(|f| (f.bdf, f.group)).collect();
    for (g, _) in cap.children("kernel/iommu_groups") {
        let gid: u32 = g.parse().map_err(|_| bad(cap.at(&format!("kernel/iommu_groups/{g}")), "group directory is not a number"))?;
        for (member, _) in cap.children(&format!("kernel/iommu_groups/{g}/devices")) {
            let rel = format!("kernel/iommu_groups/{g}/devices/{member}");
            cap.resolve(&rel)?;
            let Some(b) = Bdf::parse(&member) else { continue };
            match by.get(&b) {
                Some(Some(x)) if *x == gid => {}
                Some(other) => {
                    return Err(bad(cap.at(&rel), format!("lists {member}, whose iommu_group link says {other:?}")));
                }
                None => return Err(bad(cap.at(&rel), format!("lists {member}, which is not in bus/pci/devices"))),
            }
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_stay_inside() {
        assert_eq!(join("bus/pci/devices", "../../../devices/pci0000:00/0000:00:01.0").as_deref(), Some("devices/pci0000:00/0000:00:01.0"));
        assert_eq!(join("a", "../../etc/passwd"), None);
        assert_eq!(join("a", "/etc/passwd"), None);
        assert_eq!(clean("./x/../y").as_deref(), Some("y"));
        assert_eq!(clean("../y"), None);
    }

    /// `resource`: BARs 0-5 and the ROM; memory type 0x200 counts, I/O (0x100) and the bridge
    /// windows after line 7 do not.
    #[test]
    fn resource_files_say_whether_a_bar_or_the_rom_is_memory() {
        let zero = "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
        let io = "0x000000000000d000 0x000000000000d01f 0x0000000000040101\n";
        let mem = "0x00000000f7000000 0x00000000f7003fff 0x0000000000040200\n";
        let mem64 = "0x0000006000000000 0x00000060000fffff 0x000000000014220c\n";
        let bridge_window = "0x00000000f7000000 0x00000000f70fffff 0x0000000000000200\n";
        let file = |lines: &[&str]| lines.concat();
        assert!(!resource_has_mmio(file(&[io, zero, zero, zero, zero, zero, zero, bridge_window]).as_bytes()).unwrap());
        assert!(resource_has_mmio(file(&[zero, mem, zero, zero, zero, zero, zero]).as_bytes()).unwrap());
        assert!(resource_has_mmio(file(&[zero, zero, mem64, zero, zero, zero, zero]).as_bytes()).unwrap());
        // The ROM (line 7).
        assert!(resource_has_mmio(file(&[zero, zero, zero, zero, zero, zero, mem]).as_bytes()).unwrap());
        assert!(resource_has_mmio(b"0x1 0x2").unwrap_err().contains("line 1"));
        assert!(resource_has_mmio(b"zz 0 0").is_err());
    }
}
