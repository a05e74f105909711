//! What scenario files say about generators and injected faults.

use serde::{Deserialize, Serialize};

use super::address::Pattern;
use super::arrival::Arrivals;
use crate::time::Cycle;

/// A NIC's traffic rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rate {
    /// Packets per second.
    PacketsPerSec(u64),
    /// Gigabits per second of packet payload (packets/s = Gb/s · 10^9 / (8 · packet_bytes)).
    Gbps(u64),
}

/// How an accelerator walks its buffers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    /// Each access continues where the last ended, wrapping over all buffers.
    #[default]
    Streaming,
    /// Each access starts `stride` bytes after the last one (modulo the buffers' total size).
    Strided(u64),
    /// Each access starts at a uniformly random `access_bytes`-aligned offset.
    Random,
}

/// Hot-plug churn of a VM's devices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Churn {
    /// Cycles between unplugs (one random device of the VM each time).
    pub every: Cycle,
    /// Cycles the device stays unplugged before it is attached again.
    pub down: Cycle,
}

fn default_ring() -> u32 {
    256
}
fn default_packet() -> u64 {
    1500
}
fn default_qd() -> u32 {
    32
}
fn default_block() -> u64 {
    4096
}
fn default_ws() -> u64 {
    1 << 30
}
fn default_service() -> Cycle {
    10_000
}
fn default_true() -> bool {
    true
}
fn default_buffers() -> u32 {
    1
}
fn default_buffer_bytes() -> u64 {
    1 << 30
}
fn default_access_bytes() -> u64 {
    1 << 16
}
fn default_reads() -> u32 {
    700
}

/// A seeded workload process with its own random stream (`gen:<id>`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Generator {
    /// A NIC doing per-packet DMA-API map → DMA → unmap (or page-pool recycling).
    Nic {
        id: String,
        device: String,
        container: String,
        #[serde(default)]
        start: Cycle,
        #[serde(default)]
        stop: Option<Cycle>,
        rate: Rate,
        #[serde(default = "default_packet")]
        packet_bytes: u64,
        #[serde(default = "default_ring")]
        ring: u32,
        #[serde(default)]
        arrivals: Arrivals,
        #[serde(default)]
        page_pool: bool,
        /// Where this generator's IOVAs start; absent: allocated in its container (`iova.rs`).
        #[serde(default)]
        iova_base: Option<u64>,
        /// CPUs running the driver's per-packet DMA-API work (map, unmap, invalidation).
        #[serde(default = "default_cpus")]
        cpus: u32,
    },
    /// An NVMe drive: requests of `block_bytes` over a working set, up to `queue_depth`
    /// outstanding, each completing `service` cycles later.
    Nvme {
        id: String,
        device: String,
        container: String,
        #[serde(default)]
        start: Cycle,
        #[serde(default)]
        stop: Option<Cycle>,
        iops: u64,
        #[serde(default = "default_qd")]
        queue_depth: u32,
        #[serde(default = "default_block")]
        block_bytes: u64,
        #[serde(default)]
        pattern: Pattern,
        #[serde(default = "default_ws")]
        working_set: u64,
        #[serde(default = "default_reads")]
        reads_per_mille: u32,
        #[serde(default = "default_true")]
        map_per_request: bool,
        #[serde(default = "default_service")]
        service: Cycle,
        #[serde(default)]
        arrivals: Arrivals,
        /// Where this generator's IOVAs start; absent: allocated in its container (`iova.rs`).
        #[serde(default)]
        iova_base: Option<u64>,
        /// CPUs submitting requests and handling their completions.
        #[serde(default = "default_cpus")]
        cpus: u32,
        /// Host CPU cycles per request before the doorbell (block layer + `nvme_queue_rq`),
        /// besides the DMA API's map.
        #[serde(default = "default_nvme_submit_cpu")]
        submit_cpu: Cycle,
        /// Host CPU cycles per completion (interrupt, `nvme_irq`, block-layer completion),
        /// besides the DMA API's unmap and invalidation.
        #[serde(default = "default_nvme_complete_cpu")]
        complete_cpu: Cycle,
    },
    /// A GPU-like accelerator: large long-lived buffers and many translations per mapping.
    Accelerator {
        id: String,
        device: String,
        container: String,
        #[serde(default)]
        start: Cycle,
        #[serde(default)]
        stop: Option<Cycle>,
        #[serde(default = "default_buffers")]
        buffers: u32,
        #[serde(default = "default_buffer_bytes")]
        buffer_bytes: u64,
        #[serde(default)]
        access: Access,
        #[serde(default = "default_access_bytes")]
        access_bytes: u64,
        rate: u64,
        #[serde(default)]
        arrivals: Arrivals,
        /// Where this generator's IOVAs start; absent: allocated in its container (`iova.rs`).
        #[serde(default)]
        iova_base: Option<u64>,
        /// The buffers lie in memory already mapped by someone else (a passed-through device
        /// DMAing into guest RAM that a `Vm` mapped): the accelerator maps and unmaps nothing.
        #[serde(default)]
        premapped: bool,
        /// Accesses in flight at most (closed loop).
        #[serde(default = "default_outstanding")]
        outstanding: u32,
    },
    /// A VM's lifecycle: attach its devices and map guest RAM at `start`, optional hot-plug
    /// churn, unmap and detach at `stop`.
    Vm {
        id: String,
        container: String,
        devices: Vec<String>,
        #[serde(default)]
        start: Cycle,
        #[serde(default)]
        stop: Option<Cycle>,
        ram_bytes: u64,
        #[serde(default)]
        ram_iova: u64,
        /// Backing page size of guest RAM (`"4K"`, `"2M"`, `"1G"`): the IOMMU cannot map it
        /// with larger pages. Default: contiguous. The same name and meaning as `Map`'s
        /// `backing` (`ram_page`, its first name, is still accepted).
        #[serde(default, alias = "ram_page")]
        backing: Option<String>,
        #[serde(default)]
        churn: Option<Churn>,
    },
    /// A PCIe-microbenchmark DMA engine: `outstanding` requests of `request_bytes` in flight,
    /// sequential or random over a window, closed loop.
    DmaEngine {
        id: String,
        device: String,
        container: String,
        #[serde(default)]
        start: Cycle,
        #[serde(default)]
        stop: Option<Cycle>,
        #[serde(default)]
        dir: super::dma_engine::DmaDir,
        #[serde(default)]
        pattern: super::dma_engine::DmaPattern,
        #[serde(default = "default_request")]
        request_bytes: u64,
        #[serde(default = "default_window")]
        window_bytes: u64,
        #[serde(default = "default_outstanding")]
        outstanding: u32,
        /// Stop after this many bytes (default: run until `stop`).
        #[serde(default)]
        total_bytes: Option<u64>,
        /// Where the window starts; absent: allocated in its container (`iova.rs`).
        #[serde(default)]
        iova_base: Option<u64>,
        /// Backing page size of the window (`"4K"`, `"2M"`, `"1G"`); default contiguous.
        #[serde(default)]
        page: Option<String>,
        #[serde(default)]
        premapped: bool,
    },
}

fn default_cpus() -> u32 {
    1
}
/// Host CPU per NVMe I/O in the kernel driver: one core is saturated at about 800 000 IOPS
/// (Jens Axboe, block-layer maintainer, as quoted in "After 30+ years, is Linux disk I/O
/// finally fast enough?", floedb.ai, 2026), i.e. 1 250 ns per I/O; split evenly between
/// submission and completion (assumed).
pub const NVME_SUBMIT_CPU: Cycle = 625;
/// See [`NVME_SUBMIT_CPU`].
pub const NVME_COMPLETE_CPU: Cycle = 625;
fn default_nvme_submit_cpu() -> Cycle {
    NVME_SUBMIT_CPU
}
fn default_nvme_complete_cpu() -> Cycle {
    NVME_COMPLETE_CPU
}
fn default_outstanding() -> u32 {
    32
}
fn default_request() -> u64 {
    4096
}
fn default_window() -> u64 {
    1 << 20
}

/// A fault the scenario injects.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Fault {
    /// Domain allocations in `[at, until)` fail with `ENOMEM` (every `every`-th one; 1 = all).
    AllocFail {
        at: Cycle,
        #[serde(default)]
        until: Option<Cycle>,
        #[serde(default = "one")]
        every: u32,
    },
    /// At `at`, take every free domain id of an instance but `leave` (its ID space runs out).
    ExhaustIds {
        at: Cycle,
        iommu: String,
        #[serde(default)]
        leave: u32,
    },
    /// At `at`, the device is surprise-removed: its group is detached at once (in-flight
    /// requests still complete and unmap), and it issues no more DMA.
    Unplug { at: Cycle, device: String },
    /// Invalidations sent to an instance in `[at, until)` complete `delay` cycles late: the
    /// CPU waits longer in the sync, and the IOTLB keeps the old entries until then.
    LateInvalidation {
        at: Cycle,
        #[serde(default)]
        until: Option<Cycle>,
        iommu: String,
        delay: Cycle,
    },
}

fn one() -> u32 {
    1
}
