//! The end of a run: the streamed counters and histograms become the [`RunResult`] of the
//! JSON contract (totals, per-IOMMU and per-device figures, latency percentiles).

use super::Simulation;
use crate::metrics::{DeviceResult, GeneratorResult, Histogram, IommuResult, RunResult, mbps};
use crate::strategy::StrategyName;

impl Simulation<'_, '_> {
    /// Consumes the simulation into its results.
    pub(super) fn finish(self, name: StrategyName) -> RunResult {
        let mut core = self.core;
        core.settle_counters();
        let mut m = core.m.clone();
        m.domains_final = core.domains_live;
        m.pagetable_bytes_final = core.pt_live;
        let mut all = Histogram::default();
        for d in &core.devices {
            all.merge(&d.latency);
        }
        m.dma_latency_p50 = all.percentile(500);
        m.dma_latency_p99 = all.percentile(990);
        m.dma_latency_max = all.max();
        m.dma_latency_mean = all.mean();
        let platform = core.platform;
        let iommus = platform
            .iommus
            .iter()
            .zip(&core.instances)
            .enumerate()
            .map(|(i, (info, inst))| {
                let c = &inst.counters;
                IommuResult {
                    id: info.name.clone(),
                    kind: info.kind.as_str().to_string(),
                    translations: c.translations,
                    iotlb_hits: c.iotlb_hits,
                    iotlb_misses: c.iotlb_misses,
                    iotlb_evictions: inst.iotlb.stats().evictions,
                    walks: c.walks,
                    walk_cache_hits: c.walk_cache_hits,
                    walk_reads: c.walk_reads,
                    walk_cycles: c.walk_cycles,
                    walk_queue_cycles: c.walk_queue_cycles,
                    invalidations: c.invalidations_page + c.invalidations_domain + c.invalidations_global,
                    invalidations_page: c.invalidations_page,
                    invalidations_domain: c.invalidations_domain,
                    invalidations_global: c.invalidations_global,
                    domain_ids_peak: u64::from(core.id_pools.peak(core.id_pools.pool(crate::ids::IommuId::from_index(i)))),
                    faults: c.faults,
                }
            })
            .collect();
        let devices: Vec<DeviceResult> = platform
            .devices
            .iter()
            .zip(&core.devices)
            .zip(&core.ports)
            .map(|((info, d), p)| DeviceResult {
                id: info.name.clone(),
                iommu: platform.iommus[info.iommu.index()].name.clone(),
                group: info.group.0 as u64,
                translations: d.translations,
                devtlb_hits: d.devtlb_hits,
                iotlb_hits: d.iotlb_hits,
                iotlb_misses: d.iotlb_misses,
                dma_latency_p50: d.latency.percentile(500),
                dma_latency_p99: d.latency.percentile(990),
                dma_latency_max: d.latency.max(),
                dma_latency_mean: d.latency.mean(),
                domain: d.last_domain,
                faults: d.faults,
                stale_translations: d.stale,
                dma_requests: p.c.requests,
                tlps: p.c.tlps,
                bytes_read: p.c.bytes_read,
                bytes_written: p.c.bytes_written,
                active_cycles: p.c.active_cycles(),
                throughput_mbps: mbps(p.c.bytes_read + p.c.bytes_written, p.c.active_cycles()),
                stalled_requests: p.c.stalled_requests,
                stall_cycles: p.c.stall_cycles,
                link_util_permille: if p.c.active_cycles() == 0 { 0 } else { p.c.busy_up_ps.max(p.c.busy_down_ps) / p.c.active_cycles() },
            })
            .collect();
        m.dma_bytes = devices.iter().map(|d| d.bytes_read + d.bytes_written).sum();
        m.throughput_mbps = devices.iter().map(|d| d.throughput_mbps).sum();
        m.translation_stalls = devices.iter().map(|d| d.stalled_requests).sum();
        m.translation_stall_cycles = devices.iter().map(|d| d.stall_cycles).sum();
        let generators: Vec<GeneratorResult> = core
            .scenario
            .generators
            .iter()
            .zip(&self.gens)
            .map(|(spec, g)| {
                let s = &g.stats;
                let active = s.first.map_or(0, |f| s.last.saturating_sub(f));
                GeneratorResult {
                    id: spec.id().to_string(),
                    kind: spec.kind().to_string(),
                    device: g.device().map(|d| platform.devices[d.index()].name.clone()),
                    requests: s.requests,
                    bytes: s.bytes,
                    active_cycles: active,
                    offered_mbps: spec.offered_mbps(),
                    achieved_mbps: mbps(s.bytes, active),
                    achieved_per_sec: if active == 0 { 0 } else { (u128::from(s.requests) * 1_000_000_000 / u128::from(active)) as u64 },
                    dropped: s.dropped,
                    backpressure_cycles: s.backpressure_cycles,
                    mean_request_latency: s.latency_sum.checked_div(s.issued).unwrap_or(0),
                }
            })
            .collect();
        m.requests_dropped = generators.iter().map(|g| g.dropped).sum();
        RunResult {
            strategy: name.as_str().to_string(),
            kernel: core.kernel.to_string(),
            digest: self.digest.hex(),
            metrics: m,
            iommus,
            devices,
            fault_log: core.fault_log,
            latency_buckets: all.buckets().collect(),
            generators,
            interrupted: self.interrupted,
            events_after_duration: self.after_duration,
        }
    }
}
