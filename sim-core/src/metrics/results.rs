//! What a run produces: the JSON contract of `run --json` / `compare --json`
//! (contracts.md), also the input of `check` and of the HTML reports. Every value is an
//! integer, so results compare bit for bit.

use serde::{Deserialize, Serialize};

/// Which way a metric should move for a strategy to be better (used to mark the best value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Better {
    Lower,
    Higher,
    /// Informational; no best value.
    Neither,
}

/// Describes one metric: its JSON name, which way is better and what it means.
#[derive(Clone, Copy, Debug)]
pub struct MetricInfo {
    pub name: &'static str,
    pub better: Better,
    pub doc: &'static str,
}

macro_rules! metrics {
    ($( $(#[doc = $doc:literal])+ $name:ident : $better:ident, )*) => {
        /// Totals of one run, all integers (cycles unless the name says otherwise). The field
        /// set is the contract's, plus extras; fields are only ever added.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(default)]
        pub struct Metrics { $( $(#[doc = $doc])+ pub $name: u64, )* }

        impl Metrics {
            /// Every metric, in output order.
            pub const INFO: &'static [MetricInfo] = &[
                $( MetricInfo { name: stringify!($name), better: Better::$better, doc: concat!($($doc),+) }, )*
            ];

            /// The value of the metric called `name`.
            pub fn get(&self, name: &str) -> Option<u64> {
                match name {
                    $( stringify!($name) => Some(self.$name), )*
                    _ => None,
                }
            }

            /// `(name, value)` pairs in output order.
            pub fn values(&self) -> Vec<(&'static str, u64)> {
                vec![$( (stringify!($name), self.$name), )*]
            }
        }
    };
}

metrics! {
    /// Engine events processed.
    events: Neither,
    /// Domains ever allocated.
    domains_allocated: Lower,
    /// Most domains alive at once.
    domains_peak: Lower,
    /// Domains alive when the run ended.
    domains_final: Lower,
    /// Attach attempts against an existing domain.
    trial_attaches: Lower,
    /// Attach attempts refused as incompatible (the soft errno).
    soft_failures: Lower,
    /// Attach attempts refused with any other errno.
    hard_failures: Lower,
    /// Group attaches requested by the scenario that succeeded.
    attaches_ok: Higher,
    /// Group attaches requested by the scenario that failed.
    attaches_failed: Lower,
    /// Group detaches performed.
    detaches: Neither,
    /// Most page-table memory alive at once, all domains, in bytes.
    pagetable_bytes_peak: Lower,
    /// Page-table memory alive when the run ended, in bytes.
    pagetable_bytes_final: Lower,
    /// Map requests.
    maps: Neither,
    /// Unmap requests.
    unmaps: Neither,
    /// Map or unmap requests refused (overlap, out of range, nothing mapped).
    map_errors: Lower,
    /// Extra per-domain map operations because a container holds several domains.
    map_replications: Lower,
    /// Per-domain map operations replaying existing mappings into a domain added later.
    replayed_maps: Lower,
    /// CPU cycles spent attaching (domain allocation, context programming, trial attaches).
    cpu_cycles_attach: Lower,
    /// CPU cycles spent in map calls (PTE writes, table allocation, replay).
    cpu_cycles_map: Lower,
    /// CPU cycles spent in unmap calls (PTE clears, table frees).
    cpu_cycles_unmap: Lower,
    /// CPU cycles spent issuing and waiting for invalidations.
    cpu_cycles_invalidate: Lower,
    /// Page or range invalidation commands (each IOMMU instance reached counts once).
    invalidations_page: Lower,
    /// Domain-wide invalidation commands (each IOMMU instance reached counts once).
    invalidations_domain: Lower,
    /// Global invalidation commands.
    invalidations_global: Lower,
    /// Device-TLB (ATS) invalidations sent to devices.
    invalidations_devtlb: Lower,
    /// Lazy-mode flush-queue flushes.
    flushes: Neither,
    /// Device translation requests.
    translations: Neither,
    /// Translations served by an ATS device TLB without reaching the IOMMU.
    devtlb_hits: Higher,
    /// IOTLB hits.
    iotlb_hits: Higher,
    /// IOTLB misses.
    iotlb_misses: Lower,
    /// Page-table walks performed.
    walks: Lower,
    /// Page-table memory reads performed by walks.
    walk_reads: Lower,
    /// Cycles spent in page-table walks (reads, walk-cache lookups, overhead).
    walk_cycles: Lower,
    /// Cycles translations waited for a free walker (contention).
    walk_queue_cycles: Lower,
    /// Median per-translation latency seen by devices.
    dma_latency_p50: Lower,
    /// 99th-percentile per-translation latency.
    dma_latency_p99: Lower,
    /// Largest per-translation latency.
    dma_latency_max: Lower,
    /// Mean per-translation latency (rounded down).
    dma_latency_mean: Lower,
    /// DMA to an address not mapped (or not permitted) in the device's domain.
    faults: Lower,
    /// Translations served from an IOTLB entry whose mapping had already been unmapped.
    stale_translations: Lower,
    /// Kernel log lines the modelled drivers would have printed.
    log_lines: Lower,
    /// Faults injected by the scenario (allocation failures, late invalidations, ...).
    injected_faults: Neither,
    /// DMAs not issued because their device had been surprise-removed.
    dma_dropped: Neither,
    /// Bytes moved by device DMA (reads and writes, descriptors included).
    dma_bytes: Neither,
    /// Sum over devices of each one's achieved throughput in Mb/s (bytes over its active time).
    throughput_mbps: Higher,
    /// DMA requests with at least one TLP that waited on translation beyond a cache hit.
    translation_stalls: Lower,
    /// Cycles TLPs waited on translation beyond a cache hit (walks, walker queues, ATS trips).
    translation_stall_cycles: Lower,
    /// Requests generators dropped because the device had no free buffer (NIC packets).
    requests_dropped: Lower,
}

/// Per-IOMMU-instance figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct IommuResult {
    pub id: String,
    pub kind: String,
    pub translations: u64,
    pub iotlb_hits: u64,
    pub iotlb_misses: u64,
    pub iotlb_evictions: u64,
    pub walks: u64,
    pub walk_cache_hits: u64,
    pub walk_reads: u64,
    pub walk_cycles: u64,
    pub walk_queue_cycles: u64,
    /// Invalidation commands of any granularity received by this instance.
    pub invalidations: u64,
    pub invalidations_page: u64,
    pub invalidations_domain: u64,
    pub invalidations_global: u64,
    /// Domain tags (DIDs, ASIDs, context banks...) in use at the peak.
    pub domain_ids_peak: u64,
    pub faults: u64,
}

/// Per-device figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceResult {
    pub id: String,
    pub iommu: String,
    pub group: u64,
    pub translations: u64,
    pub devtlb_hits: u64,
    pub iotlb_hits: u64,
    pub iotlb_misses: u64,
    pub dma_latency_p50: u64,
    pub dma_latency_p99: u64,
    pub dma_latency_max: u64,
    pub dma_latency_mean: u64,
    /// Creation serial of the domain the device was last attached to, if any (the same serial
    /// means the same domain within one run).
    pub domain: Option<u64>,
    pub faults: u64,
    pub stale_translations: u64,
    /// DMA requests, TLPs and bytes in each direction (`crate::pcie`).
    pub dma_requests: u64,
    pub tlps: u64,
    pub bytes_read: u64,
    pub bytes_written: u64,
    /// Cycles from the device's first request to its last completion.
    pub active_cycles: u64,
    /// Achieved throughput over the active time, Mb/s (bytes · 8 / active ns · 1000).
    pub throughput_mbps: u64,
    /// Requests stalled on translation, and the cycles TLPs waited beyond a cache hit.
    pub stalled_requests: u64,
    pub stall_cycles: u64,
    /// Busier direction of the link over the active time, per mille.
    pub link_util_permille: u64,
}

/// Per-generator throughput: what was offered and what the closed loop achieved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GeneratorResult {
    pub id: String,
    /// `nic`, `nvme`, `accelerator`, `dma-engine`, `vm`.
    pub kind: String,
    pub device: Option<String>,
    /// Requests (packets, block requests, accesses) completed and their payload bytes.
    pub requests: u64,
    pub bytes: u64,
    /// Cycles from the first request to the last completion.
    pub active_cycles: u64,
    /// Offered payload rate in Mb/s (0: as fast as possible).
    pub offered_mbps: u64,
    /// Achieved payload rate over the active time, Mb/s.
    pub achieved_mbps: u64,
    /// Requests completed per second over the active time (packets/s, IOPS).
    pub achieved_per_sec: u64,
    /// Requests dropped (a NIC with every buffer held).
    pub dropped: u64,
    /// Cycles requests waited for the host (a busy CPU) before their buffer came back.
    pub backpressure_cycles: u64,
    /// Mean cycles from issue to DMA completion (NVMe: from submission until the host has
    /// handled the completion, its CPU work included).
    pub mean_request_latency: u64,
}

/// Mb/s for `bytes` over `cycles` ns (0 when nothing was active).
pub fn mbps(bytes: u64, cycles: u64) -> u64 {
    if cycles == 0 { 0 } else { (u128::from(bytes) * 8 * 1000 / u128::from(cycles)) as u64 }
}

/// One recorded fault (the first few of a run are kept; all are counted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRecord {
    pub cycle: u64,
    pub device: String,
    pub iova: u64,
    pub reason: String,
}

/// The outcome of one strategy on one scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunResult {
    pub strategy: String,
    /// The Linux kernel the run modelled ("6.17", "6.15.0", "proposed"; docs/kernel-versions.md).
    /// Empty in results written before the kernel axis.
    pub kernel: String,
    /// 16 hex digits (engine/digest.rs).
    pub digest: String,
    pub metrics: Metrics,
    pub iommus: Vec<IommuResult>,
    pub devices: Vec<DeviceResult>,
    /// The first faults of the run, in order (at most [`RunResult::FAULT_LOG_LIMIT`]).
    pub fault_log: Vec<FaultRecord>,
    /// Per-translation latency distribution as `(upper bound in cycles, count)` buckets.
    pub latency_buckets: Vec<(u64, u64)>,
    /// Per-generator throughput, in scenario order.
    pub generators: Vec<GeneratorResult>,
    /// The run was stopped early (Ctrl-C): every number covers only the events processed.
    /// Absent (false) for complete runs.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
    /// Operations the scenario asked for that were due after its `duration` and so never ran
    /// (script lines counting each remaining repeat, generator wake-ups, faults). Not a
    /// metric (it is not in expected files): a warning that the scenario ends too early.
    pub events_after_duration: u64,
}

impl RunResult {
    /// How many faults are kept with their details; the rest are only counted.
    pub const FAULT_LOG_LIMIT: usize = 32;
}

impl Results {
    /// The runs span several kernels (`compare --kernels`).
    pub fn several_kernels(&self) -> bool {
        self.runs.windows(2).any(|w| w[0].kernel != w[1].kernel)
    }

    /// A copy for display: when the runs span several kernels, each run's label becomes
    /// `strategy@kernel` so tables and reports show versions side by side.
    pub fn labelled_by_kernel(&self) -> Results {
        let mut r = self.clone();
        if self.several_kernels() {
            for run in &mut r.runs {
                run.strategy = format!("{}@{}", run.strategy, run.kernel);
            }
        }
        r
    }
}

/// Version of the JSON layout; bumped when a field is renamed or removed.
pub const SCHEMA: u32 = 1;

/// The platform as reports draw it: instances, bus tree, devices and groups, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformSummary {
    pub iommus: Vec<PlatformIommu>,
    pub buses: Vec<PlatformBus>,
    pub devices: Vec<PlatformDevice>,
    /// Groups in id order; each a list of device names (sorted).
    pub groups: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformIommu {
    pub id: String,
    pub kind: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformBus {
    pub id: String,
    pub kind: String,
    pub parent: Option<String>,
    pub iommu: Option<String>,
    pub acs: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlatformDevice {
    pub id: String,
    pub parent: String,
    pub iommu: String,
    pub group: u64,
    pub ats: bool,
}

/// Everything `run --json` and `compare --json` print.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Results {
    pub schema: u32,
    pub scenario: String,
    pub topology: String,
    pub seed: u64,
    pub runs: Vec<RunResult>,
    /// The no-translation references of the same scenario: an identity (passthrough) default
    /// domain and the IOMMU off (`crate::sim::transfer::Bypass`), run under the first strategy.
    pub baselines: Vec<RunResult>,
    /// The platform, so a report can draw it from saved results alone.
    pub platform: PlatformSummary,
}
