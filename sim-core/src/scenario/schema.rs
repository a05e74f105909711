//! What a scenario file says (RON). `load.rs` resolves names against the topology.

use serde::{Deserialize, Serialize};

pub use crate::spec::{Invalidation, Scope};
use crate::time::Cycle;

/// A scenario: a topology, a seed, containers and a timed script.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Name shown in outputs.
    pub name: String,
    /// Path of the topology file, relative to this scenario file.
    pub topology: String,
    /// Master seed of every random stream (overridable with `--seed`).
    #[serde(default)]
    pub seed: u64,
    /// Simulated time limit in cycles; events due later are not processed.
    #[serde(default = "default_duration")]
    pub duration: Cycle,
    /// The Linux kernel modelled: `"6.12"`, `"6.15.0"`, `"v6.1"` or `"proposed"` (default: the
    /// newest modelled release). Selects the drivers' attach rules, errnos and log lines
    /// (docs/kernel-versions.md); `--kernel` overrides it.
    #[serde(default)]
    pub kernel: Option<String>,
    /// Strategies to run (names as in contracts.md); empty = all.
    #[serde(default)]
    pub strategies: Vec<String>,
    /// The errno drivers return for an incompatible domain: `EINVAL` (merged, v6.2) or
    /// `EMEDIUMTYPE` (the 2022 series).
    #[serde(default)]
    pub soft_errno: SoftErrno,
    /// VFIO containers / iommufd IOASes (`Container`) and kernel drivers' DMA-API domains
    /// (`DmaApi`).
    #[serde(default)]
    pub containers: Vec<Container>,
    /// The timed script.
    #[serde(default)]
    pub events: Vec<ScriptEvent>,
    /// Workload generators running beside the script.
    #[serde(default)]
    pub generators: Vec<crate::workload::schema::Generator>,
    /// Faults to inject.
    #[serde(default)]
    pub faults: Vec<crate::workload::schema::Fault>,
    /// Per-metric tolerances for `iommu-sim check --tolerant`, in per-mille of the expected
    /// value (`{"dma_latency_p99": 50}` = ±5.0 %). Keys are metric names (`Metrics::INFO`).
    /// Plain `check` ignores them: it is exact (docs/expected-format.md).
    #[serde(default, deserialize_with = "crate::limits::unique_keys")]
    pub tolerances: std::collections::BTreeMap<String, u32>,
}

fn default_duration() -> Cycle {
    // 1 s at the 1 GHz reference clock.
    1_000_000_000
}

/// Which errno means "incompatible, try another domain".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SoftErrno {
    /// As merged for v6.2 ("iommu: Define EINVAL as device/domain incompatibility").
    #[default]
    EINVAL,
    /// As proposed in the 2022 series ("iommu: Return -EMEDIUMTYPE for incompatible domain").
    EMEDIUMTYPE,
}

/// What devices are attached to: a VFIO container / iommufd IOAS, or a kernel driver's DMA-API
/// domain. The two are different things in Linux, so they are different variants here: only a
/// DMA-API domain has a flush queue (`IOMMU_DOMAIN_DMA_FQ`); VFIO and iommufd allocate
/// `IOMMU_DOMAIN_UNMANAGED` paging domains (`iommu_paging_domain_alloc`), which are always
/// strict — `vfio_iommu_type1.c:vfio_unmap_unpin` syncs the IOTLB before it unpins the pages,
/// so a VFIO container that asks for `Lazy` is refused at load with the reason.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Container {
    /// A VFIO container or iommufd IOAS (a VM, a user-space driver): a set of user mappings;
    /// every map goes into every domain of the container. Unmaps are always strict.
    Container {
        /// Name the script refers to.
        id: String,
        /// `Strict` (the only mode VFIO/iommufd have) or `None` (an experiment: no
        /// invalidation at all). `Lazy` is refused: use a `DmaApi` domain.
        #[serde(default)]
        invalidation: Invalidation,
        /// Force the granularity of this container's invalidations (an experiment).
        #[serde(default)]
        granularity: Scope,
    },
    /// A kernel driver's DMA-API domain: the default domain of one IOMMU group, used through
    /// `dma_map_*`/`dma_unmap_*` (`drivers/iommu/dma-iommu.c`). One group only: Linux gives
    /// every group its own default domain (`iommu_group_alloc_default_domain`), so no
    /// reuse strategy applies to it.
    DmaApi {
        /// Name the script and generators refer to.
        id: String,
        /// `Strict`, `Lazy` (the flush queue, `IOMMU_DOMAIN_DMA_FQ`) or `None` (an
        /// experiment). Default: the Kconfig default of the IOMMU's architecture
        /// (`CONFIG_IOMMU_DEFAULT_DMA_LAZY` on x86, strict elsewhere; drivers/iommu/Kconfig).
        #[serde(default)]
        invalidation: Option<Invalidation>,
        /// Lazy: entries of the (per-CPU) flush queue ring (`IOVA_DEFAULT_FQ_SIZE`, dma-iommu.c);
        /// the ring holds one fewer, so a full ring flushes on the `flush_queue`-th unmap.
        #[serde(default = "default_fq_size")]
        flush_queue: u32,
        /// Lazy: the flush timer, armed by the first unmap after it last fired
        /// (`IOVA_DEFAULT_FQ_TIMEOUT` = 10 ms, dma-iommu.c).
        #[serde(default = "default_fq_timeout")]
        flush_timeout: Cycle,
        /// Force the granularity of this domain's invalidations (an experiment).
        #[serde(default)]
        granularity: Scope,
    },
}

impl Container {
    /// The name the script refers to.
    pub fn id(&self) -> &str {
        match self {
            Container::Container { id, .. } | Container::DmaApi { id, .. } => id,
        }
    }
}

fn default_fq_size() -> u32 {
    256
}

fn default_fq_timeout() -> Cycle {
    crate::time::ms(10)
}

/// One line of the script.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptEvent {
    /// Cycle of the (first) occurrence.
    pub at: Cycle,
    /// Repeat the operation: `count` occurrences in all, `every` cycles apart. Expanded
    /// lazily, so a million repetitions cost no memory.
    #[serde(default)]
    pub repeat: Option<Repeat>,
    /// The operation.
    pub op: Op,
}

/// Repetition of a script line.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repeat {
    /// Occurrences in all (≥ 1).
    pub count: u64,
    /// Cycles between occurrences (≥ 1).
    pub every: Cycle,
    /// Bytes the address (`iova` of Map/Unmap/Dma) advances per occurrence (default 0).
    #[serde(default)]
    pub stride: u64,
    /// The advance wraps around after this many bytes (default: never). With a stride, this
    /// sweeps a working set: e.g. `stride: 4096, wrap: 0x4000_0000` touches 1 GiB page by page.
    #[serde(default)]
    pub wrap: Option<u64>,
}

/// Access permission of a mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Prot {
    Read,
    Write,
    #[default]
    ReadWrite,
}

/// Direction of a DMA, from the device's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Dir {
    /// The device reads memory (needs read permission).
    Read,
    /// The device writes memory (needs write permission).
    Write,
}

/// A script operation.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Op {
    /// Attach the device's IOMMU group to a container (the whole group, as VFIO does).
    Attach { device: String, container: String },
    /// Detach the device; its group leaves the container when its last attached device does.
    Detach { device: String },
    /// Map `[iova, iova + size)` into every domain of the container.
    Map {
        container: String,
        iova: u64,
        size: u64,
        #[serde(default)]
        prot: Prot,
        /// Size of the physically contiguous chunks behind the range (the backing page size,
        /// e.g. `"4K"` for ordinary guest RAM, `"2M"`/`"1G"` for hugepages). VFIO maps each
        /// contiguous chunk with its own `iommu_map`, so the IOMMU cannot use pages larger
        /// than this. Default: none, the whole range is contiguous.
        #[serde(default)]
        backing: Option<String>,
    },
    /// Unmap `[iova, iova + size)` from every domain of the container.
    Unmap { container: String, iova: u64, size: u64 },
    /// The device accesses `bytes` bytes at `iova`: one translation per page touched.
    Dma { device: String, iova: u64, bytes: u64, dir: Dir },
}
