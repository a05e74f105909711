//! Resolving a scenario against its topology: names become ids, the script is sorted by time
//! (file order breaks ties), and every reference is checked so that a run never meets an
//! unknown id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::schema::{self, Dir, Op, Prot, SoftErrno};
use crate::error::{InputError, Location, parse_ron};
use crate::ids::{ContainerId, DeviceId};
use crate::spec::{Action, ContainerKind, ContainerSpec, Invalidation, Line, MIN_PAGE, PROT_READ, PROT_WRITE, backing_shift};
use crate::strategy::StrategyName;
use crate::time::Cycle;
use crate::topology::Platform;
use crate::workload::{FaultSpec, GenSpec};

/// A scenario ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub path: PathBuf,
    /// The `topology` field as written (relative to the scenario's folder).
    pub topology_file: String,
    pub platform: Platform,
    pub seed: u64,
    pub duration: Cycle,
    pub strategies: Vec<StrategyName>,
    /// The kernel modelled (the file's `kernel`, default the newest; the CLI's `--kernel`
    /// replaces it before a run). `sim::run` reads it from here.
    pub kernel: crate::linux::Kernel,
    pub soft_errno: SoftErrno,
    pub containers: Vec<ContainerSpec>,
    /// Sorted by `at`; ties keep file order.
    pub script: Vec<Line>,
    /// Workload generators, in file order.
    pub generators: Vec<GenSpec>,
    /// Injected faults, in file order.
    pub faults: Vec<FaultSpec>,
    /// `check --tolerant` tolerances in per-mille, by metric name (sorted; names checked
    /// against `Metrics::INFO`).
    pub tolerances: Vec<(&'static str, u32)>,
}

/// A DMA-API domain is one group's default domain: every device attached to it must be in the
/// same IOMMU group. Its default mode (when the file names none) follows the Kconfig default of
/// the group's IOMMU architecture: `IOMMU_DEFAULT_DMA_LAZY if X86` (drivers/iommu/Kconfig, since
/// v5.15; before, `intel_iommu_strict`/`amd_iommu_unmap_flush` defaulted to lazy on x86 and
/// arm-smmu to strict), so VT-d and AMD-Vi are lazy, the Arm SMMUs and virtio-iommu strict
/// (virtio-iommu had no flush queue support before v6.7, and its architecture is unknown here).
fn dma_api_groups(
    containers: &mut [ContainerSpec],
    default_mode: &[usize],
    script: &[Line],
    platform: &Platform,
    invalid: &dyn Fn(&str, String) -> InputError,
) -> Result<(), InputError> {
    let mut group_of: Vec<Option<(crate::ids::GroupId, DeviceId)>> = vec![None; containers.len()];
    for line in script {
        let Action::Attach { device, container } = line.action else { continue };
        let spec = &containers[container.index()];
        if spec.kind != ContainerKind::DmaApi {
            continue;
        }
        let g = platform.devices[device.index()].group;
        match group_of[container.index()] {
            None => group_of[container.index()] = Some((g, device)),
            Some((first, other)) if first != g => {
                let (a, b) = (&platform.devices[other.index()].name, &platform.devices[device.index()].name);
                return Err(invalid(
                    &format!("\"{}\"", spec.name),
                    format!(
                        "containers: DMA-API domain \"{}\" is one IOMMU group's default domain, but \"{a}\" and \"{b}\" \
                         are in different groups (Linux gives every group its own default domain): declare one DmaApi per group",
                        spec.name
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    for &i in default_mode {
        if let Some((g, _)) = group_of[i] {
            let kind = platform.iommus[platform.groups[g.index()].iommu.index()].kind;
            if matches!(kind, crate::iommu::IommuKind::IntelVtd | crate::iommu::IommuKind::AmdVi) {
                containers[i].invalidation = Invalidation::Lazy;
            }
        }
    }
    for c in containers.iter() {
        if c.invalidation == Invalidation::Lazy && (c.flush_queue < 2 || !c.flush_queue.is_power_of_two() || c.flush_timeout == 0) {
            return Err(invalid(
                &format!("\"{}\"", c.name),
                format!(
                    "containers: lazy DMA-API domain \"{}\" needs flush_queue a power of two ≥ 2 (the ring is indexed by \
                     a mask, dma-iommu.c fq_ring_add) and flush_timeout ≥ 1",
                    c.name
                ),
            ));
        }
    }
    Ok(())
}

impl Scenario {
    /// Reads a scenario file and the topology it names.
    pub fn load(path: &Path) -> Result<Scenario, InputError> {
        Scenario::load_text(path, &InputError::read(path)?)
    }

    /// [`Scenario::load`] of text already read (stdin: `path` is its label, e.g. `<stdin>`,
    /// whose empty parent puts the topology relative to the current folder).
    pub fn load_text(path: &Path, source: &str) -> Result<Scenario, InputError> {
        let source = source.to_string();
        let parsed: schema::Scenario = parse_ron(path, &source)?;
        let topo_path = path.parent().unwrap_or(Path::new(".")).join(&parsed.topology);
        if !topo_path.exists() {
            return Err(InputError::Invalid {
                at: Location::of_message(path, &source, "topology", &format!("\"{}\"", parsed.topology)),
                message: format!("topology: file \"{}\" not found (resolved to {})", parsed.topology, topo_path.display()),
            });
        }
        // The groups are formed with the PCI quirks of the scenario's kernel (the v5.9 PCH
        // ACS regression); an unparsable `kernel` is reported by `resolve`.
        let kernel = parsed.kernel.as_deref().and_then(|t| crate::linux::Kernel::parse(t).ok()).unwrap_or_default();
        Scenario::load_with(path, &source, parsed, &topo_path, kernel)
    }

    fn load_with(
        path: &Path,
        source: &str,
        parsed: schema::Scenario,
        topo_path: &Path,
        kernel: crate::linux::Kernel,
    ) -> Result<Scenario, InputError> {
        let topo_source = InputError::read(topo_path)?;
        let platform = Platform::parse_for_kernel(topo_path, &topo_source, kernel.pci_quirks())?;
        Scenario::resolve(path, source, parsed, platform)
    }

    /// Replaces the kernel (the CLI's `--kernel`). When the new release applies other PCI
    /// quirks than the one the platform was built for (`topology::quirks::same_quirks`), the
    /// scenario is loaded again from its file so that its groups, and every check made on
    /// them, are that release's.
    pub fn set_kernel(&mut self, kernel: crate::linux::Kernel) -> Result<(), InputError> {
        if !crate::topology::quirks::same_quirks(self.kernel.pci_quirks(), kernel.pci_quirks()) {
            let source = InputError::read(&self.path)?;
            let parsed: schema::Scenario = parse_ron(&self.path, &source)?;
            let topo_path = self.path.parent().unwrap_or(Path::new(".")).join(&parsed.topology);
            *self = Scenario::load_with(&self.path.clone(), &source, parsed, &topo_path, kernel)?;
        }
        self.kernel = kernel;
        Ok(())
    }

    /// Parses scenario text whose topology is already loaded (the embedded default scenario).
    pub fn from_parts(path: &Path, source: &str, platform: Platform) -> Result<Scenario, InputError> {
        let parsed: schema::Scenario = parse_ron(path, source)?;
        Scenario::resolve(path, source, parsed, platform)
    }

    /// [`Scenario::from_parts`] for text already parsed into `parsed` (the fuzz target reads
    /// the topology name first and must not parse twice).
    pub fn from_parsed(path: &Path, source: &str, parsed: schema::Scenario, platform: Platform) -> Result<Scenario, InputError> {
        Scenario::resolve(path, source, parsed, platform)
    }

    fn resolve(path: &Path, source: &str, s: schema::Scenario, platform: Platform) -> Result<Scenario, InputError> {
        let invalid =
            |needle: &str, message: String| InputError::Invalid { at: Location::of_message(path, source, &message, needle), message };
        super::limits::check_scenario(&s).map_err(|(needle, message)| invalid(&needle, message))?;

        let kernel = match &s.kernel {
            None => crate::linux::Kernel::default(),
            Some(text) => crate::linux::Kernel::parse(text).map_err(|e| invalid(&format!("\"{text}\""), format!("kernel: {e}")))?,
        };

        let mut strategies = Vec::new();
        for (i, name) in s.strategies.iter().enumerate() {
            let n = StrategyName::parse(name).map_err(|e| invalid(&format!("\"{name}\""), format!("strategies[{i}]: {e}")))?;
            if strategies.contains(&n) {
                return Err(invalid(&format!("\"{name}\""), format!("strategies[{i}]: `{name}` is listed twice")));
            }
            strategies.push(n);
        }
        if strategies.is_empty() {
            strategies = StrategyName::ALL.to_vec();
        }

        let mut containers: Vec<ContainerSpec> = Vec::new();
        // Name → id: duplicate checks and lookups are logarithmic (issue 15: no load-time
        // check may be quadratic).
        let mut container_ids: BTreeMap<&str, ContainerId> = BTreeMap::new();
        // DMA-API domains whose mode is the architecture's default, decided once the script
        // says which group they belong to.
        let mut default_mode: Vec<usize> = Vec::new();
        for (i, c) in s.containers.iter().enumerate() {
            let id = c.id();
            let here = format!("\"{id}\"");
            if id.is_empty() {
                return Err(invalid("Container", format!("containers[{i}]: empty id")));
            }
            if container_ids.insert(id, ContainerId::from_index(i)).is_some() {
                return Err(invalid(&here, format!("containers[{i}] \"{id}\": duplicate container id")));
            }
            let spec = match c {
                schema::Container::Container { invalidation, granularity, .. } => {
                    if *invalidation == Invalidation::Lazy {
                        return Err(invalid(
                            &here,
                            format!(
                                "containers[{i}] \"{id}\": a VFIO container / iommufd IOAS cannot be lazy: VFIO and iommufd \
                                 domains are unmanaged and have no flush queue (vfio_iommu_type1.c vfio_unmap_unpin syncs \
                                 the IOTLB before unpinning). A kernel driver's lazy DMA-API domain is \
                                 `DmaApi(id: \"{id}\", invalidation: Lazy)`"
                            ),
                        ));
                    }
                    ContainerSpec {
                        name: id.to_string(),
                        kind: ContainerKind::Vfio,
                        invalidation: *invalidation,
                        flush_queue: 0,
                        flush_timeout: 0,
                        granularity: *granularity,
                    }
                }
                schema::Container::DmaApi { invalidation, flush_queue, flush_timeout, granularity, .. } => {
                    if invalidation.is_none() {
                        default_mode.push(i);
                    }
                    let mode = invalidation.unwrap_or(Invalidation::Strict);
                    ContainerSpec {
                        name: id.to_string(),
                        kind: ContainerKind::DmaApi,
                        invalidation: mode,
                        flush_queue: *flush_queue,
                        flush_timeout: *flush_timeout,
                        granularity: *granularity,
                    }
                }
            };
            containers.push(spec);
        }
        if containers.len() > u16::MAX as usize {
            return Err(invalid("containers", "more than 65535 containers".into()));
        }

        let device = |i: usize, field: &str, name: &str| -> Result<DeviceId, InputError> {
            platform.device_by_name(name).ok_or_else(|| {
                invalid(&format!("\"{name}\""), format!("events[{i}].{field}: device \"{name}\" is not in topology \"{}\"", platform.name))
            })
        };
        let container = |i: usize, name: &str| -> Result<ContainerId, InputError> {
            container_ids.get(name).copied().ok_or_else(|| {
                invalid(&format!("\"{name}\""), format!("events[{i}].container: container \"{name}\" is not declared in `containers`"))
            })
        };
        let range = |i: usize, what: &str, iova: u64, size: u64| -> Result<(), InputError> {
            let needle = format!("{what}(");
            if size == 0 {
                return Err(invalid(&needle, format!("events[{i}].size: a {what} of 0 bytes")));
            }
            if !iova.is_multiple_of(MIN_PAGE) || !size.is_multiple_of(MIN_PAGE) {
                return Err(invalid(&needle, format!("events[{i}].iova: {what} iova {iova:#x} size {size:#x} is not 4 KiB aligned")));
            }
            if iova.checked_add(size).is_none() {
                return Err(invalid(&needle, format!("events[{i}]: {what} iova {iova:#x} + size {size:#x} overflows 64 bits")));
            }
            Ok(())
        };

        let mut script = Vec::with_capacity(s.events.len());
        for (i, e) in s.events.iter().enumerate() {
            let action = match &e.op {
                Op::Attach { device: d, container: c } => Action::Attach { device: device(i, "device", d)?, container: container(i, c)? },
                Op::Detach { device: d } => Action::Detach { device: device(i, "device", d)? },
                Op::Map { container: c, iova, size, prot, backing } => {
                    range(i, "Map", *iova, *size)?;
                    let prot = match prot {
                        Prot::Read => PROT_READ,
                        Prot::Write => PROT_WRITE,
                        Prot::ReadWrite => PROT_READ | PROT_WRITE,
                    };
                    let backing_shift = backing_shift(backing.as_deref(), *iova, *size)
                        .map_err(|m| invalid("backing", format!("events[{i}].backing: {m}")))?;
                    Action::Map { container: container(i, c)?, iova: *iova, size: *size, prot, backing_shift }
                }
                Op::Unmap { container: c, iova, size } => {
                    range(i, "Unmap", *iova, *size)?;
                    Action::Unmap { container: container(i, c)?, iova: *iova, size: *size }
                }
                Op::Dma { device: d, iova, bytes, dir } => {
                    if *bytes == 0 || iova.checked_add(*bytes).is_none() {
                        return Err(invalid("Dma(", format!("events[{i}]: Dma of {bytes} bytes at {iova:#x} is empty or overflows")));
                    }
                    Action::Dma { device: device(i, "device", d)?, iova: *iova, bytes: *bytes, write: *dir == Dir::Write }
                }
            };
            let (count, every, stride, wrap) = match e.repeat {
                None => (1, 1, 0, u64::MAX),
                Some(r) if r.count >= 1 && r.every >= 1 && r.wrap != Some(0) => {
                    if r.stride % MIN_PAGE != 0 && !matches!(action, Action::Dma { .. }) {
                        return Err(invalid("stride", format!("events[{i}].repeat.stride: {:#x} is not 4 KiB aligned", r.stride)));
                    }
                    let wrap = r.wrap.unwrap_or(u64::MAX);
                    let span = u128::from(r.stride) * u128::from(r.count.saturating_sub(1)).min(u128::from(wrap));
                    let base = match action {
                        Action::Map { iova, size, .. } | Action::Unmap { iova, size, .. } => u128::from(iova) + u128::from(size),
                        Action::Dma { iova, bytes, .. } => u128::from(iova) + u128::from(bytes),
                        _ => 0,
                    };
                    if base + span.min(u128::from(wrap)) > u128::from(u64::MAX) {
                        return Err(invalid("stride", format!("events[{i}].repeat: the strided addresses overflow 64 bits")));
                    }
                    (r.count, r.every, r.stride, wrap)
                }
                Some(_) => return Err(invalid("repeat", format!("events[{i}].repeat: count and every must be ≥ 1, wrap ≥ 1"))),
            };
            script.push(Line { at: e.at, count, every, stride, wrap, action });
        }
        script.sort_by_key(|l| l.at); // stable: ties keep file order
        dma_api_groups(&mut containers, &default_mode, &script, &platform, &invalid)?;

        let generators = crate::workload::load::generators(&s.generators, &platform, &containers, &invalid)?;
        let faults = crate::workload::load::faults(&s.faults, &platform, &invalid)?;
        // A device the topology did not classify is what its first generator drives (its
        // class defaults, e.g. PCIe tags: `pcie/class.rs`).
        let mut platform = platform;
        for g in &generators {
            if let Some((dev, class)) = g.device_class() {
                platform.classify_device(dev, class);
            }
        }
        let mut tolerances = Vec::with_capacity(s.tolerances.len());
        for (name, &permille) in &s.tolerances {
            let info = crate::metrics::Metrics::INFO.iter().find(|i| i.name == name).ok_or_else(|| {
                invalid(
                    &format!("\"{name}\""),
                    format!("tolerances: unknown metric \"{name}\" (see `Metrics::INFO`, docs/expected-format.md)"),
                )
            })?;
            tolerances.push((info.name, permille));
        }

        Ok(Scenario {
            name: s.name,
            path: path.to_path_buf(),
            topology_file: s.topology,
            platform,
            seed: s.seed,
            // Saturated (docs/limits.md): times beyond it cannot be represented safely.
            duration: s.duration.min(crate::limits::MAX_TIME),
            strategies,
            kernel,
            soft_errno: s.soft_errno,
            containers,
            script,
            generators,
            faults,
            tolerances,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::Scenario;
    use crate::topology::Platform;

    const TOPO: &str = include_str!("../../../topologies/arm-server.ron");
    const BUNDLED: [&str; 4] = [
        include_str!("../../../scenarios/default.ron"),
        include_str!("../../../scenarios/fault-storm.ron"),
        include_str!("../../../scenarios/vm-four-smmuv3.ron"),
        include_str!("../../../scenarios/hotplug-churn-vm.ron"),
    ];

    fn platform() -> Platform {
        Platform::parse(Path::new("arm-server.ron"), TOPO).expect("bundled topology")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Arbitrary text is an error or a scenario, never a panic.
        #[test]
        fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
            let _ = Scenario::from_parts(Path::new("s.ron"), &src, platform());
        }

        /// A bundled scenario cut anywhere or with one byte replaced never panics, and a
        /// located error points into the file. (Whatever still loads is also run briefly:
        /// mutated numbers must not panic the simulation either.)
        #[test]
        fn mutated_bundled_scenarios_never_panic(which in 0usize..4, cut in 0usize..20_000, pos in 0usize..20_000, byte in 0u8..128) {
            let src = BUNDLED[which];
            let cut = src.char_indices().map(|(i, _)| i).nth(cut % src.chars().count()).unwrap_or(0);
            let _ = Scenario::from_parts(Path::new("s.ron"), &src[..cut], platform());
            let mut bytes = src.as_bytes().to_vec();
            let p = pos % bytes.len();
            if bytes[p].is_ascii() {
                bytes[p] = byte;
            }
            let text = String::from_utf8(bytes).unwrap_or_default();
            match Scenario::from_parts(Path::new("s.ron"), &text, platform()) {
                Err(crate::error::InputError::Invalid { at, .. } | crate::error::InputError::Parse { at, .. }) => {
                    prop_assert!(at.line <= text.lines().count() + 1);
                }
                Ok(mut s) => {
                    s.duration = s.duration.min(200_000);
                    let _ = crate::sim::run(&s, crate::strategy::StrategyName::CompatIndex, s.seed, None);
                }
                Err(_) => {}
            }
        }
    }
}
