//! `iommu-sim import`: a captured real machine → a topology file.
//!
//! Two inputs: a sysfs capture (a directory or tarball made by `scripts/capture.sh`, a partial
//! mirror of `/sys` holding each PCI function's `config`, its `iommu` and `iommu_group` links,
//! `/sys/class/iommu` and `/sys/kernel/iommu_groups`; [`sysfs`]), or the text of
//! `lspci -vvv -nn` (with `lspci -t` and `lspci -xxxx` where given; [`lspci`]). Both become a
//! [`Machine`]: PCI functions with their config-space facts, IOMMU units and the groups the
//! machine reported, which [`Machine::to_ron`] writes as a topology (checked by parsing it back).
//! Nothing in a capture is executed or written; a bad capture is an error naming the file and
//! what is wrong.

pub mod config;
pub mod lspci;
pub mod sysfs;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::error::{InputError, Location};
use crate::iommu::IommuKind;
use crate::topology::pci::PcieType;
use crate::topology::{Bdf, Platform};
use config::ConfigInfo;

/// Where a function hangs.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Parent {
    /// Directly on a root bus (segment, bus).
    Root(u16, u8),
    /// Below a bridge, by address.
    Bridge(Bdf),
}

/// One captured PCI function.
#[derive(Clone, Debug)]
pub struct Function {
    pub bdf: Bdf,
    pub parent: Parent,
    pub config: ConfigInfo,
    /// Whether `config` came from the real config space (else from lspci's decoded text).
    pub multifunction_known: bool,
    /// The IOMMU unit translating it (`iommu` link), if any.
    pub iommu: Option<String>,
    /// Its group on the machine (`iommu_group` link / "IOMMU group: N").
    pub group: Option<u32>,
    /// A VF's PF.
    pub physfn: Option<Bdf>,
    /// Whether `config.vendor`/`config.device` are known. lspci cuts a long device name and
    /// with it the `[vendor:device]` bracket ("... Registers [8086... (rev 02)"): the function
    /// is kept, without ids (so no id-keyed quirk can apply to it).
    pub ids_known: bool,
    /// Where it was read from, for messages.
    pub source: String,
}

/// A captured machine.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    pub name: String,
    pub functions: Vec<Function>,
    /// IOMMU units by name, with their kind.
    pub units: BTreeMap<String, IommuKind>,
    /// Whether the capture says which functions have a group at all (else every function is
    /// taken as translated by the unit of its root bus).
    pub groups_known: bool,
    /// Notes written as comments at the top of the topology.
    pub notes: Vec<String>,
}

/// A bad capture: the file (or the entry inside a tarball) and what is wrong.
pub fn bad(file: impl std::fmt::Display, message: impl Into<String>) -> InputError {
    InputError::Invalid { at: Location::file(Path::new(&file.to_string())), message: message.into() }
}

/// The IOMMU kind a unit's name implies (`/sys/class/iommu/NAME`): dmarN (intel-iommu),
/// ivhdN (amd_iommu), smmu3.ADDR (arm-smmu-v3), smmu.ADDR (arm-smmu), virtio-iommu.
pub fn kind_of_unit(name: &str) -> Option<IommuKind> {
    Some(if name.starts_with("dmar") {
        IommuKind::IntelVtd
    } else if name.starts_with("ivhd") || name.starts_with("amd") {
        IommuKind::AmdVi
    } else if name.starts_with("smmu3") {
        IommuKind::ArmSmmuV3
    } else if name.starts_with("smmu") {
        IommuKind::ArmSmmuV2
    } else if name.starts_with("virtio") {
        IommuKind::VirtioIommu
    } else {
        return None;
    })
}

fn bdf_name(b: Bdf) -> String {
    format!("{:04x}:{:02x}:{:02x}.{:x}", b.segment, b.bus, b.device, b.function)
}

fn kind_name(k: IommuKind) -> &'static str {
    match k {
        IommuKind::IntelVtd => "IntelVtd",
        IommuKind::AmdVi => "AmdVi",
        IommuKind::ArmSmmuV2 => "ArmSmmuV2",
        IommuKind::ArmSmmuV3 => "ArmSmmuV3",
        IommuKind::VirtioIommu => "VirtioIommu",
    }
}

impl Machine {
    /// The topology file text. Refuses duplicate addresses, bridges that do not exist, and
    /// anything the topology builder refuses (the text is parsed back before it is returned).
    pub fn to_ron(&self, source: &str) -> Result<String, InputError> {
        let mut by_bdf: BTreeMap<Bdf, &Function> = BTreeMap::new();
        for f in &self.functions {
            if let Some(prev) = by_bdf.insert(f.bdf, f) {
                return Err(bad(&f.source, format!("duplicate PCI address {} (also in {})", bdf_name(f.bdf), prev.source)));
            }
        }
        for f in &self.functions {
            if let Parent::Bridge(b) = f.parent {
                match by_bdf.get(&b) {
                    None => {
                        return Err(bad(&f.source, format!("{} hangs below {}, which the capture lacks", bdf_name(f.bdf), bdf_name(b))));
                    }
                    Some(p) if p.config.header_layout != 1 => {
                        return Err(bad(&f.source, format!("{} hangs below {}, which is not a bridge", bdf_name(f.bdf), bdf_name(b))));
                    }
                    _ => {}
                }
            }
        }
        // Cycles in parent links: walk up from each function, at most as many steps as there
        // are functions.
        for f in &self.functions {
            let mut cur = f.parent.clone();
            let mut steps = 0;
            while let Parent::Bridge(b) = cur {
                steps += 1;
                if steps > self.functions.len() {
                    return Err(bad(&f.source, format!("parent links above {} form a cycle", bdf_name(f.bdf))));
                }
                cur = by_bdf[&b].parent.clone();
            }
        }
        let root_of = |f: &Function| -> (u16, u8) {
            let mut cur = f.parent.clone();
            loop {
                match cur {
                    Parent::Root(s, b) => return (s, b),
                    Parent::Bridge(b) => cur = by_bdf[&b].parent.clone(),
                }
            }
        };
        let translated = |f: &Function| !self.groups_known || f.group.is_some() || f.iommu.is_some();
        // Each root bus's unit: the first translated function's (in address order); a root
        // whose translated functions name no unit (no `iommu` links, older kernels) takes the
        // machine's first unit.
        let mut roots: BTreeMap<(u16, u8), Option<String>> = BTreeMap::new();
        let mut has_translated: BTreeMap<(u16, u8), bool> = BTreeMap::new();
        for f in by_bdf.values() {
            let r = roots.entry(root_of(f)).or_insert(None);
            if r.is_none() && translated(f) {
                *r = f.iommu.clone();
            }
            *has_translated.entry(root_of(f)).or_default() |= translated(f);
        }
        let first_unit = self.units.keys().next().cloned();
        for (root, unit) in roots.iter_mut() {
            if unit.is_none() && has_translated[root] {
                unit.clone_from(&first_unit);
            }
        }

        let mut out = String::new();
        let _ = writeln!(out, "// {}: imported by `iommu-sim import` from {source}.", self.name);
        for n in &self.notes {
            let _ = writeln!(out, "// {n}");
        }
        let _ = writeln!(out, "Topology(\n    name: {:?},\n    iommus: [", self.name);
        for (name, kind) in &self.units {
            let _ = writeln!(out, "        Iommu(id: {name:?}, kind: {}),", kind_name(*kind));
        }
        out += "    ],\n    buses: [\n";
        for ((s, b), unit) in &roots {
            let _ = write!(out, "        RootComplex(id: \"pci{s:04x}:{b:02x}\"");
            if let Some(u) = unit {
                let _ = write!(out, ", iommu: {u:?}");
            }
            out += "),\n";
        }
        let parent_name = |p: &Parent| match p {
            Parent::Root(s, b) => format!("pci{s:04x}:{b:02x}"),
            Parent::Bridge(b) => bdf_name(*b),
        };
        let mut devices = String::new();
        let mut skipped = Vec::new();
        for f in by_bdf.values() {
            let c = &f.config;
            let mut pci = if f.ids_known {
                format!("ids: \"{:04x}:{:04x}\", class: {:#08x}", c.vendor, c.device, c.class)
            } else {
                format!("class: {:#08x}", c.class)
            };
            if c.multifunction {
                pci += ", multifunction: true";
            }
            if let Some(a) = c.acs {
                let _ = write!(pci, ", acs: Acs(cap: {:#04x}, ctrl: {:#04x})", a.cap, a.ctrl);
            }
            if c.header_layout == 1 {
                let (variant, pcie) = match c.pcie {
                    PcieType::RootPort => ("RootPort", None),
                    PcieType::Upstream => ("SwitchUpstream", None),
                    PcieType::Downstream => ("SwitchDownstream", None),
                    PcieType::PciToPcieBridge => ("PcieToPciBridge", Some("PciToPcieBridge")),
                    PcieType::PcieToPciBridge => ("PcieToPciBridge", None),
                    _ => ("PcieToPciBridge", Some("Conventional")),
                };
                if let Some(t) = pcie {
                    let _ = write!(pci, ", pcie: {t}");
                }
                if let Some((sec, sub)) = c.bus_range {
                    let _ = write!(pci, ", bus_range: ({sec:#04x}, {sub:#04x})");
                }
                // Only ports and bridges: the proposed kernel reads it of a PCIe-to-PCI bridge.
                if let Some(m) = c.mmio {
                    let _ = write!(pci, ", mmio: {m}");
                }
                let _ = writeln!(
                    out,
                    "        {variant}(id: \"{}\", parent: \"{}\", pci: Pci({pci})),",
                    bdf_name(f.bdf),
                    parent_name(&f.parent)
                );
                continue;
            }
            if !translated(f) || roots[&root_of(f)].is_none() && f.iommu.is_none() && self.groups_known {
                skipped.push(format!("{} [{:04x}:{:04x}]", bdf_name(f.bdf), c.vendor, c.device));
                continue;
            }
            let _ = write!(pci, ", pcie: {:?}", c.pcie);
            if let Some(s) = c.sriov {
                let _ = write!(
                    pci,
                    ", sriov: Sriov(total_vfs: {}, num_vfs: {}, offset: {}, stride: {})",
                    s.total_vfs, s.num_vfs, s.offset, s.stride
                );
            }
            if let Some(pf) = f.physfn {
                let _ = write!(pci, ", physfn: \"{}\"", bdf_name(pf));
            }
            let _ = write!(devices, "        Device(id: \"{}\", parent: \"{}\"", bdf_name(f.bdf), parent_name(&f.parent));
            if c.ats {
                devices += ", ats: true";
            }
            if f.iommu.is_some() && f.iommu != roots[&root_of(f)] {
                let _ = write!(devices, ", iommu: {:?}", f.iommu.as_deref().unwrap_or_default());
            }
            let _ = writeln!(devices, ", pci: Pci({pci})),");
        }
        out += "    ],\n    devices: [\n";
        if !skipped.is_empty() {
            let _ = writeln!(out, "        // Not behind an IOMMU on that machine (no iommu group), left out: {}.", skipped.join(", "));
        }
        out += &devices;
        out += "    ],\n    reported_groups: [\n";
        let mut groups: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for f in by_bdf.values() {
            if let Some(g) = f.group {
                groups.entry(g).or_default().push(bdf_name(f.bdf));
            }
        }
        for (g, members) in &groups {
            let quoted: Vec<String> = members.iter().map(|m| format!("{m:?}")).collect();
            let _ = writeln!(out, "        Group(id: {g}, members: [{}]),", quoted.join(", "));
        }
        out += "    ],\n)\n";
        // The builder checks the rest (placement, bus numbers, SR-IOV routing ids).
        Platform::parse(Path::new(source), &out).map_err(|e| bad(source, format!("the capture does not make a valid topology: {e}")))?;
        Ok(out)
    }
}

/// Imports a capture: a directory or tarball (sysfs) or a text file (lspci). `name` is the
/// topology's name.
pub fn import(path: &Path, name: &str, iommu_kind: Option<IommuKind>) -> Result<String, InputError> {
    let meta = std::fs::metadata(path).map_err(|source| InputError::Io { path: path.display().to_string(), source })?;
    let shown = path.display().to_string();
    if meta.is_dir() {
        return sysfs::from_dir(path, name)?.to_ron(&shown);
    }
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: shown.clone(), source })?;
    import_stream(&shown, file, name, iommu_kind)
}

/// Imports a tarball or lspci text read from `input` (a file, or stdin for `import -`),
/// named `shown` in messages.
pub fn import_stream(shown: &str, input: impl std::io::Read, name: &str, iommu_kind: Option<IommuKind>) -> Result<String, InputError> {
    // Read at most MAX_TOTAL bytes: a device (`/dev/zero`), a pipe or a huge file is refused
    // as soon as it passes the limit, never read whole.
    use std::io::Read as _;
    let mut bytes = Vec::new();
    input.take(sysfs::MAX_TOTAL + 1).read_to_end(&mut bytes).map_err(|source| InputError::Io { path: shown.to_string(), source })?;
    if bytes.len() as u64 > sysfs::MAX_TOTAL {
        return Err(bad(shown, format!("larger than {} bytes: not a capture (a tarball or lspci text is a few MiB)", sysfs::MAX_TOTAL)));
    }
    let machine = if sysfs::looks_like_tar(&bytes) {
        sysfs::from_tar(shown, &bytes, name)?
    } else {
        let text = String::from_utf8(bytes).map_err(|_| bad(shown, "neither a tarball nor UTF-8 lspci text"))?;
        lspci::parse(shown, &text, name, iommu_kind)?
    };
    machine.to_ron(shown)
}
