//! The end of a run: the streamed counters and histograms become the [`RunResult`] of the
//! JSON contract (totals, per-IOMMU and per-device figures, latency percentiles).

use super::Simulation;
use crate::metrics::{DeviceResult, Histogram, IommuResult, RunResult};
use crate::strategy::StrategyName;

impl Simulation<'_, '_> {
    /// Consumes the simulation into its results.
    pub(super) fn finish(self, name: StrategyName) -> RunResult {
        let core = self.core;
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
            .map(|(info, inst)| {
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
                    domain_ids_peak: u64::from(core.id_pools[inst.pool].peak()),
                    faults: c.faults,
                }
            })
            .collect();
        let devices = platform
            .devices
            .iter()
            .zip(&core.devices)
            .map(|(info, d)| DeviceResult {
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
            })
            .collect();
        RunResult {
            strategy: name.as_str().to_string(),
            kernel: core.kernel.to_string(),
            digest: self.digest.hex(),
            metrics: m,
            iommus,
            devices,
            fault_log: core.fault_log,
            latency_buckets: all.buckets().collect(),
            interrupted: self.interrupted,
            events_after_duration: self.after_duration,
        }
    }
}
