//! The platform: topology files, the bus graph, IOMMU instances, devices and IOMMU groups.
//!
//! A topology file (RON, [`schema`]) is parsed and validated once by [`Platform::parse`]
//! ([`build`]) into an immutable [`Platform`] that every simulation of a run shares. Strings
//! live only here, at the edge: the rest of the simulator indexes the dense `Vec`s below with
//! the integer ids of `crate::ids`. IOMMU groups are derived as Linux's `pci_device_group`
//! does ([`groups`]). The file format is documented in `docs/topology-format.md`.

pub mod build;
pub mod check;
mod functions;
pub use functions::parse_ids;
pub mod groups;
pub mod groups_proposed;
pub mod limits;
pub mod pci;
pub mod quirks;
pub mod report;
pub mod schema;

use std::collections::BTreeMap;

use crate::ids::{BusId, DeviceId, GroupId, IommuId};
use crate::iommu::{IommuKind, IommuParams};

/// An immutable, validated platform.
#[derive(Clone, Debug)]
pub struct Platform {
    /// The topology's `name`.
    pub name: String,
    /// IOMMU instances; `IommuId` is the index, in file order.
    pub iommus: Vec<IommuInstance>,
    /// Bus nodes; `BusId` is the index, in file order.
    pub buses: Vec<Bus>,
    /// Devices; `DeviceId` is the index, in file order.
    pub devices: Vec<Device>,
    /// IOMMU groups; `GroupId` is the index, ordered by IOMMU (file order) and then by the
    /// lowest `DeviceId` in the group, so numbering is stable for a given file.
    pub groups: Vec<Group>,
    /// Memory latency for DMA reads.
    pub memory: crate::pcie::MemoryParams,
    /// Groups holding only bridges and ports (no endpoint), numbered after `groups`: Linux
    /// puts every PCI function in a group, but nothing can be attached to these.
    pub bridge_groups: Vec<Group>,
    /// The groups the real machine reported (`reported_groups` in the file): id and members.
    pub reported_groups: Vec<(u32, Vec<String>)>,
    /// Parent → child edges: IOMMU → root bus, bus → child bus, bus → device.
    pub graph: petgraph::Graph<Node, ()>,
    iommu_names: BTreeMap<String, IommuId>,
    bus_names: BTreeMap<String, BusId>,
    device_names: BTreeMap<String, DeviceId>,
}

/// One IOMMU instance with its effective parameters (kind defaults + file overrides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IommuInstance {
    pub name: String,
    pub kind: IommuKind,
    pub params: IommuParams,
}

/// The kind of a bus node (the PCIe port types that matter to `pci_acs_enabled`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BusKind {
    RootComplex,
    RootPort,
    SwitchUpstream,
    SwitchDownstream,
    PcieToPciBridge,
    PlatformBus,
}

impl BusKind {
    /// The variant name used in topology files.
    pub const fn as_str(self) -> &'static str {
        match self {
            BusKind::RootComplex => "RootComplex",
            BusKind::RootPort => "RootPort",
            BusKind::SwitchUpstream => "SwitchUpstream",
            BusKind::SwitchDownstream => "SwitchDownstream",
            BusKind::PcieToPciBridge => "PcieToPciBridge",
            BusKind::PlatformBus => "PlatformBus",
        }
    }

    /// Roots of the tree: a PCI root bus or a platform bus.
    pub const fn is_root(self) -> bool {
        matches!(self, BusKind::RootComplex | BusKind::PlatformBus)
    }

    /// Part of a PCI hierarchy (everything but a platform bus).
    pub const fn is_pci(self) -> bool {
        !matches!(self, BusKind::PlatformBus)
    }
}

/// A bus node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bus {
    pub name: String,
    pub kind: BusKind,
    /// `None` for roots.
    pub parent: Option<BusId>,
    /// The IOMMU of this node's root, if the root is bound to one.
    pub iommu: Option<IommuId>,
    /// ACS enabled on this port (after defaults); false for nodes that cannot have it.
    pub acs: bool,
    /// Child buses, in file order.
    pub child_buses: Vec<BusId>,
    /// Devices directly on this bus, in file order.
    pub devices: Vec<DeviceId>,
    /// The port or bridge as a PCI function (when its id is an address).
    pub func: Option<pci::PciFunction>,
    /// Its IOMMU group (an index into `groups`, or past it into `bridge_groups`), when it is a
    /// PCI function below an IOMMU.
    pub group: Option<GroupId>,
}

/// A PCI address `DDDD:BB:DD.F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bdf {
    pub segment: u16,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl Bdf {
    /// Parses `DDDD:BB:DD.F` (hex; device ≤ 0x1f, function ≤ 7), as Linux names PCI devices.
    pub fn parse(text: &str) -> Option<Bdf> {
        let (seg, rest) = text.split_once(':')?;
        let (bus, rest) = rest.split_once(':')?;
        let (dev, func) = rest.split_once('.')?;
        let hex = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| u32::from_str_radix(s, 16).ok()).flatten()
        };
        let (segment, bus, device, function) = (hex(seg, 4)?, hex(bus, 2)?, hex(dev, 2)?, hex(func, 1)?);
        if device > 0x1f || function > 7 {
            return None;
        }
        Some(Bdf {
            segment: u16::try_from(segment).ok()?,
            bus: u8::try_from(bus).ok()?,
            device: u8::try_from(device).ok()?,
            function: u8::try_from(function).ok()?,
        })
    }

    /// The 16-bit requester id `bus << 8 | device << 3 | function` (PCIe RID; the SMMU
    /// StreamID and the VT-d/AMD source id of a PCI function).
    pub const fn rid(self) -> u16 {
        ((self.bus as u16) << 8) | ((self.device as u16) << 3) | self.function as u16
    }
}

/// An endpoint device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub name: String,
    pub parent: BusId,
    /// The IOMMU translating its DMA (its root's IOMMU).
    pub iommu: IommuId,
    pub group: GroupId,
    pub ats: bool,
    /// Stream ids as the IOMMU sees them: the file's list for platform devices; the
    /// requester id for PCI devices.
    pub stream_ids: Vec<u32>,
    /// PCI address; `None` for platform devices.
    pub bdf: Option<Bdf>,
    pub multifunction: bool,
    /// Device-level ACS (matters for multifunction devices only).
    pub acs: bool,
    /// Its PCIe link and request limits.
    pub link: crate::pcie::LinkParams,
    /// Its class, from the topology (`class`, else the PCI class code) or, once a scenario is
    /// loaded, from the generator driving it; `None`: unclassified (`Other`'s defaults).
    pub class: Option<crate::pcie::DeviceClass>,
    /// The file set `link.tags`, so no class default replaces it.
    pub tags_set: bool,
    /// Socket of its root complex.
    pub socket: u32,
    /// The PCI function (`None` for platform devices).
    pub func: Option<pci::PciFunction>,
}

/// An IOMMU group: the unit of attach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub iommu: IommuId,
    /// Members, sorted by name.
    pub devices: Vec<DeviceId>,
    /// Bridges and ports in the group (PCI functions too, as Linux lists them), sorted by name.
    pub bridges: Vec<BusId>,
}

impl Group {
    /// Whether VFIO could take the group: it holds an endpoint to bind to vfio-pci, and every
    /// other member is a bridge, which vfio-pci never binds (`vfio_pci_probe` refuses
    /// non-normal headers) but which is harmless: PCIe ports are bound to pcieport, whose
    /// `driver_managed_dma` keeps the group claimable (drivers/pci/pcie/portdrv.c, v5.19+),
    /// and PCI bridges have no driver.
    pub fn vfio_usable(&self) -> bool {
        !self.devices.is_empty()
    }
}

/// A node of [`Platform::graph`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Node {
    Iommu(IommuId),
    Bus(BusId),
    Device(DeviceId),
}

impl Platform {
    /// Reads and parses a topology file.
    pub fn load(path: &std::path::Path) -> Result<Platform, crate::error::InputError> {
        let source = crate::error::InputError::read(path)?;
        Platform::parse(path, &source)
    }

    /// Parses and validates topology text; `path` is used only in messages.
    pub fn parse(path: &std::path::Path, source: &str) -> Result<Platform, crate::error::InputError> {
        let platform = build::build(path, source, quirks::Kernel::CURRENT)?;
        Self::checked(path, source, platform)
    }

    /// [`Platform::parse`] with the kernel quirks of a given release (`(5, 9)`), or the
    /// proposed ACS group rework: `topology --kernel` and a scenario's `kernel:` (`parse`
    /// behaves as a current kernel).
    pub fn parse_for_kernel(
        path: &std::path::Path,
        source: &str,
        kernel: impl Into<quirks::Kernel>,
    ) -> Result<Platform, crate::error::InputError> {
        let platform = build::build(path, source, kernel.into())?;
        Self::checked(path, source, platform)
    }

    /// Refuses a platform beyond the documented limits (docs/limits.md), pointing at the
    /// offending value: the entry is found by its `id` in the file's span index
    /// (`spans.rs`), then the field inside it (`iommus[1].geometry.walkers`); a field the file
    /// leaves to its default points at the entry, a platform-wide limit at the list.
    fn checked(path: &std::path::Path, source: &str, platform: Platform) -> Result<Platform, crate::error::InputError> {
        limits::check_platform(&platform).map_err(|(at, message)| {
            let index = crate::spans::SpanIndex::new(source);
            let entry = at.id.as_ref().and_then(|id| {
                let quoted = format!("\"{id}\"");
                index.entries.iter().find_map(|e| {
                    let k = e.path.strip_prefix(at.list)?.strip_prefix('[')?.strip_suffix("].id")?;
                    (source.get(e.start..e.end) == Some(quoted.as_str())).then(|| format!("{}[{k}]", at.list))
                })
            });
            let span_path = match (&entry, &at.field) {
                (Some(e), Some(f)) => format!("{e}.{f}"),
                (Some(e), None) => e.clone(),
                (None, _) => at.list.to_string(),
            };
            let location = match index.locate(&span_path).or_else(|| index.get(at.list)) {
                Some((start, _)) => {
                    let (line, col) = crate::spans::line_col(source, start);
                    crate::error::Location { path: path.to_path_buf(), line, col }
                }
                None => crate::error::Location::file(path),
            };
            crate::error::InputError::Invalid { at: location, message: format!("{at}: {message}") }
        })?;
        Ok(platform)
    }

    /// Gives an unclassified device `class` (the generator driving it says what it is) and,
    /// unless the topology set its tags, that class's default tags (`pcie/class.rs`).
    pub fn classify_device(&mut self, dev: DeviceId, class: crate::pcie::DeviceClass) {
        let d = &mut self.devices[dev.index()];
        if d.class.is_none() {
            d.class = Some(class);
            if !d.tags_set {
                d.link.tags = class.default_tags();
            }
        }
    }

    pub fn device_by_name(&self, name: &str) -> Option<DeviceId> {
        self.device_names.get(name).copied()
    }

    pub fn iommu_by_name(&self, name: &str) -> Option<IommuId> {
        self.iommu_names.get(name).copied()
    }

    pub fn bus_by_name(&self, name: &str) -> Option<BusId> {
        self.bus_names.get(name).copied()
    }

    /// Members of group `g`, sorted by name.
    pub fn devices_of_group(&self, g: GroupId) -> &[DeviceId] {
        self.groups.get(g.index()).map_or(&[], |g| &g.devices)
    }

    /// Every group, endpoint groups first then bridge-only ones (the numbering of
    /// `Bus::group`).
    pub fn all_groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.iter().chain(self.bridge_groups.iter())
    }

    /// Devices behind IOMMU `i`, sorted by name.
    pub fn devices_of_iommu(&self, i: IommuId) -> Vec<DeviceId> {
        let mut v: Vec<DeviceId> =
            (0..self.devices.len()).map(DeviceId::from_index).filter(|d| self.devices[d.index()].iommu == i).collect();
        v.sort_by(|a, b| self.devices[a.index()].name.cmp(&self.devices[b.index()].name));
        v
    }

    pub fn iommu(&self, i: IommuId) -> &IommuInstance {
        &self.iommus[i.index()]
    }

    pub fn device(&self, d: DeviceId) -> &Device {
        &self.devices[d.index()]
    }

    pub fn group(&self, g: GroupId) -> &Group {
        &self.groups[g.index()]
    }

    pub fn bus(&self, b: BusId) -> &Bus {
        &self.buses[b.index()]
    }
}

/// Keeps `docs/topology-format.md` in step with the schema: every field of every topology
/// struct and bus variant, and every caps/geometry/costs field with its per-kind default, must
/// appear in the table of its section, and the page may list nothing the schema lacks.
#[cfg(test)]
mod docs_tests {
    use std::collections::BTreeMap;

    use super::schema::{AcsSpec, BusSpec, DeviceSpec, IommuSpec, PciSpec, PcieType, ReportedGroup, SriovSpec, TopologyFile};
    use crate::iommu::params::{CapsOverrides, CostsOverrides, GeometryOverrides};
    use crate::iommu::{Caps, Costs, Geometry, IommuKind, IommuParams};
    use crate::schema::{enum_variants, struct_fields, variant_fields};

    const DOC: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/topology-format.md"));

    /// Section (first word of a `##`/`###` heading) → table rows (cells, first row = header).
    fn sections() -> BTreeMap<String, Vec<Vec<String>>> {
        let mut out: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
        let mut current = String::new();
        for line in DOC.lines() {
            if let Some(h) = line.strip_prefix("### ").or_else(|| line.strip_prefix("## ")) {
                current = h.split_whitespace().next().unwrap_or("").to_string();
                out.entry(current.clone()).or_default();
            } else if line.starts_with('|') && !line.starts_with("| ---") {
                let cells: Vec<String> =
                    line.trim().trim_matches('|').split(" | ").map(|c| c.trim().trim_matches('`').to_string()).collect();
                out.entry(current.clone()).or_default().push(cells);
            }
        }
        out
    }

    /// The names in the first column of a section's table (header row skipped).
    fn listed(secs: &BTreeMap<String, Vec<Vec<String>>>, section: &str) -> Vec<String> {
        let rows = secs.get(section).unwrap_or_else(|| panic!("docs: no section `{section}`"));
        rows.iter().skip(1).map(|r| r[0].clone()).collect()
    }

    fn assert_same(section: &str, doc: &[String], schema: &[&str]) {
        for f in schema {
            assert!(doc.iter().any(|d| d == f), "docs section `{section}` lacks `{f}`");
        }
        for d in doc {
            assert!(schema.contains(&d.as_str()), "docs section `{section}` lists `{d}`, which the schema lacks");
        }
    }

    #[test]
    fn every_struct_and_variant_field_is_documented() {
        let secs = sections();
        for (name, fields) in [
            struct_fields::<TopologyFile>(),
            struct_fields::<IommuSpec>(),
            struct_fields::<DeviceSpec>(),
            struct_fields::<PciSpec>(),
            struct_fields::<AcsSpec>(),
            struct_fields::<SriovSpec>(),
            struct_fields::<ReportedGroup>(),
        ] {
            assert!(!name.is_empty());
            assert_same(name, &listed(&secs, name), fields);
        }
        let (_, variants) = enum_variants::<BusSpec>();
        assert_eq!(variants.len(), 6);
        assert_same("Bus", &listed(&secs, "Bus"), variants);
        for v in variants {
            let fields = variant_fields::<BusSpec>(v);
            assert!(fields.contains(&"id"), "{v}");
            assert_same(v, &listed(&secs, v), fields);
        }
        assert_same("kind", &listed(&secs, "kind"), enum_variants::<IommuKind>().1);
        assert_same("pcie", &listed(&secs, "pcie"), enum_variants::<PcieType>().1);
    }

    /// The link and memory tables list every field with its default, and every preset is listed.
    #[test]
    fn link_memory_and_presets_are_documented() {
        let secs = sections();
        for (section, fields, over) in [
            ("link", crate::pcie::LinkParams::FIELDS, struct_fields::<crate::pcie::LinkOverrides>().1),
            ("memory", crate::pcie::MemoryParams::FIELDS, struct_fields::<crate::pcie::MemoryOverrides>().1),
        ] {
            assert_eq!(fields, over, "{section}");
            assert_same(section, &listed(&secs, section), fields);
            let defaults = if section == "link" {
                serde_json::to_value(crate::pcie::LinkParams::default())
            } else {
                serde_json::to_value(crate::pcie::MemoryParams::default())
            }
            .unwrap();
            for row in secs[section].iter().skip(1) {
                assert_eq!(row[2], defaults[&row[0]].to_string(), "docs {section}.{} default", row[0]);
            }
        }
        assert_same("iotlb", &listed(&secs, "iotlb"), &crate::iommu::presets::names());
        // Every device class with its default tags as the code has them.
        assert_same("class", &listed(&secs, "class"), enum_variants::<crate::pcie::DeviceClass>().1);
        for row in secs["class"].iter().skip(1) {
            let c: crate::pcie::DeviceClass = ron::from_str(&row[0]).expect("class name");
            assert_eq!(row[2], c.default_tags().to_string(), "docs class {} tags", row[0]);
        }
    }

    /// The override structs mirror the parameter structs, and the page lists every field with
    /// the default of each kind as the code has it.
    #[test]
    fn parameter_tables_match_fields_and_defaults() {
        let secs = sections();
        for (section, fields, over) in [
            ("caps", Caps::FIELDS, struct_fields::<CapsOverrides>().1),
            ("geometry", Geometry::FIELDS, struct_fields::<GeometryOverrides>().1),
            ("costs", Costs::FIELDS, struct_fields::<CostsOverrides>().1),
        ] {
            assert_eq!(fields, over, "{section}: overrides differ from the parameter struct");
            assert_same(section, &listed(&secs, section), fields);
            let rows = &secs[section];
            let header = &rows[0];
            for row in rows.iter().skip(1) {
                for (col, kind_name) in header.iter().enumerate().skip(2).take(IommuKind::ALL.len()) {
                    let kind: IommuKind = ron::from_str(kind_name).unwrap_or_else(|_| panic!("header `{kind_name}`"));
                    let want = default_cell(kind, section, &row[0]);
                    assert_eq!(row[col], want, "docs {section}.{} default for {kind_name}", row[0]);
                }
            }
        }
    }

    /// How the page writes a default.
    fn default_cell(kind: IommuKind, section: &str, field: &str) -> String {
        let p = IommuParams::defaults(kind);
        if field == "page_sizes" {
            return super::report::page_runs(p.caps.page_sizes);
        }
        let v = match section {
            "caps" => serde_json::to_value(&p.caps),
            "geometry" => serde_json::to_value(&p.geometry),
            _ => serde_json::to_value(&p.costs),
        }
        .unwrap();
        match &v[field] {
            serde_json::Value::String(s) => s.clone(),
            n if n.as_u64() == Some(u64::from(u32::MAX)) => "u32::MAX".into(),
            other => other.to_string(),
        }
    }
}
