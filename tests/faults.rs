//! Fault injection seen from outside: each fault kind is injected and its effect shows in the
//! results, the simulation carries on, and the accounting holds (maps == unmaps for generator
//! traffic, no domain or page-table memory left at the end).
//!
//! Scenarios run on the bundled arm-server topology: NIC 0000:01:00.0/.1 (smmu0, one group,
//! ATS), GPU 0001:01:00.0 (smmu1), NVMe 0002:03:00.0 / 0002:04:00.0 (smmu2).

mod common;

use common::*;

use sim_core::linux::Errno;
use sim_core::metrics::RunResult;
use sim_core::scenario::Scenario;
use sim_core::sim::{EventKind, EventRecord, Observer, run};
use sim_core::strategy::StrategyName;

fn scenario(text: &str) -> Scenario {
    arm_server_scenario("tests/data/generators/faults.ron", text)
}

/// Keeps every record.
#[derive(Default)]
struct Records(Vec<EventRecord>);

impl Observer for Records {
    fn event(&mut self, rec: &EventRecord) {
        self.0.push(*rec);
    }
}

fn run_with(s: &Scenario, n: StrategyName) -> (RunResult, Vec<EventRecord>) {
    let mut recs = Records::default();
    let r = run(s, n, s.seed, Some(&mut recs));
    (r, recs.0)
}

fn dev(s: &Scenario, name: &str) -> u64 {
    s.platform.device_by_name(name).expect("device").0 as u64
}

/// Attach outcomes (`errno << 32` on failure) of a device, in order.
fn attach_outcomes(s: &Scenario, recs: &[EventRecord], name: &str) -> Vec<u64> {
    let d = dev(s, name);
    recs.iter().filter(|r| r.kind == EventKind::Attach && r.a == d).map(|r| r.outcome).collect()
}

fn assert_clean_end(r: &RunResult) {
    let m = &r.metrics;
    assert_eq!(m.domains_final, 0, "{}: domains left", r.strategy);
    assert_eq!(m.pagetable_bytes_final, 0, "{}: page-table memory left", r.strategy);
    assert_eq!(m.maps, m.unmaps, "{}: maps and unmaps differ", r.strategy);
    assert_eq!(m.map_errors, 0, "{}", r.strategy);
}

#[test]
fn alloc_fail_gives_enomem_then_recovers() {
    // Every allocation in [1000, 3000) fails: vm1 (at 2000) gets ENOMEM for its GPU, vm2 (at
    // 4000) allocates normally; vm1's churn re-plugs the GPU at 12 000, after the window.
    let s = scenario(&format!(
        r#"Scenario(name: "f", topology: "unused", seed: 1, duration: 100_000,
            containers: [Container(id: "vm1"), Container(id: "vm2")],
            generators: [
                Vm(id: "vm1", container: "vm1", start: 2000, stop: 50_000, ram_bytes: 0x10_0000, devices: ["{GPU}"],
                   churn: (every: 10_000, down: 2_000)),
                Vm(id: "vm2", container: "vm2", start: 4000, stop: 50_000, ram_bytes: 0x10_0000, devices: ["{NVME}"]),
            ],
            faults: [AllocFail(at: 1000, until: 3000)])"#
    ));
    for n in StrategyName::ALL {
        let (r, recs) = run_with(&s, n);
        let m = &r.metrics;
        assert_eq!(m.injected_faults, 1, "{n:?}: one failed allocation");
        assert_eq!(m.attaches_failed, 1, "{n:?}");
        let gpu = attach_outcomes(&s, &recs, GPU);
        assert_eq!(gpu[0], Errno::ENOMEM.code() << 32, "{n:?}: the GPU's first attach is refused with ENOMEM");
        assert!(gpu[1..].iter().all(|&o| o >> 32 == 0 && o > 0), "{n:?}: re-plugs after the window succeed: {gpu:?}");
        assert!(attach_outcomes(&s, &recs, NVME).iter().all(|&o| o >> 32 == 0));
        assert_clean_end(&r);
    }
    // every: 2 fails every second allocation of the window: of four single-group VMs
    // starting inside it, two fail.
    let s = scenario(&format!(
        r#"Scenario(name: "f", topology: "unused", duration: 100_000,
            containers: [Container(id: "a"), Container(id: "b"), Container(id: "c"), Container(id: "d")],
            generators: [
                Vm(id: "a", container: "a", start: 1000, stop: 50_000, ram_bytes: 0x1000, devices: ["{NIC}"]),
                Vm(id: "b", container: "b", start: 1100, stop: 50_000, ram_bytes: 0x1000, devices: ["{GPU}"]),
                Vm(id: "c", container: "c", start: 1200, stop: 50_000, ram_bytes: 0x1000, devices: ["{NVME}"]),
                Vm(id: "d", container: "d", start: 1300, stop: 50_000, ram_bytes: 0x1000, devices: ["{NVME2}"]),
            ],
            faults: [AllocFail(at: 0, until: 10_000, every: 2)])"#
    ));
    let (r, _) = run_with(&s, StrategyName::PerGroup);
    assert_eq!((r.metrics.attaches_failed, r.metrics.injected_faults, r.metrics.attaches_ok), (2, 2, 2));
    assert_clean_end(&r);
}

#[test]
fn exhausted_ids_give_ebusy_hard_failures() {
    // At 1000 another user takes smmu2's free ids but one: the first VM's NVMe gets the last
    // id, the second VM's NVMe (another container, so it needs its own domain) finds the
    // global ASID xarray full: EBUSY (`xa_alloc`), a hard failure under every strategy.
    let s = scenario(&format!(
        r#"Scenario(name: "f", topology: "unused", duration: 100_000,
            containers: [Container(id: "a"), Container(id: "b")],
            generators: [
                Vm(id: "a", container: "a", start: 2000, stop: 50_000, ram_bytes: 0x10_0000, devices: ["{NVME}"]),
                Vm(id: "b", container: "b", start: 3000, stop: 50_000, ram_bytes: 0x10_0000, devices: ["{NVME2}"]),
            ],
            faults: [ExhaustIds(at: 1000, iommu: "smmu2", leave: 1)])"#
    ));
    for n in StrategyName::ALL {
        let (r, recs) = run_with(&s, n);
        let m = &r.metrics;
        assert_eq!(m.injected_faults, 1, "{n:?}");
        assert_eq!(m.attaches_failed, 1, "{n:?}");
        assert_eq!(m.hard_failures, 1, "{n:?}: EBUSY is a hard failure");
        assert!(m.log_lines >= 1, "{n:?}: the failure is logged");
        assert!(attach_outcomes(&s, &recs, NVME)[0] >> 32 == 0, "{n:?}: the last id was left for the first VM");
        assert_eq!(attach_outcomes(&s, &recs, NVME2)[0], Errno::EBUSY.code() << 32, "{n:?}");
        assert_clean_end(&r);
    }
}

#[test]
fn unplug_mid_dma_drops_later_dma_and_still_unmaps_in_flight_requests() {
    // NVMe requests take 200 us each (up to 32 in flight, mapped per request); the drive is
    // surprise-removed at 1 ms with requests in flight. A script transfer from the drive
    // (a DMA every 10 us, 0.8-1.2 ms) straddles the removal; the NIC keeps running.
    let s = scenario(&format!(
        r#"Scenario(name: "f", topology: "unused", seed: 3, duration: 3_000_000,
            containers: [Container(id: "vm")],
            events: [(at: 800_000, repeat: (count: 40, every: 10_000, stride: 4096), op: Dma(device: "{NVME}", iova: 0x0, bytes: 4096, dir: Write))],
            generators: [
                Vm(id: "vm", container: "vm", stop: 2_900_000, ram_bytes: 0x100_0000, devices: ["{NIC}", "{NVME}"]),
                Nic(id: "nic", device: "{NIC}", container: "vm", start: 1000, stop: 2_500_000, rate: PacketsPerSec(200_000)),
                Nvme(id: "nvme", device: "{NVME}", container: "vm", start: 1000, stop: 2_500_000, iops: 100_000, service: 200_000,
                     arrivals: Poisson, pattern: Uniform, working_set: 0x100_0000),
            ],
            faults: [Unplug(at: 1_000_000, device: "{NVME}")])"#
    ));
    let unplug = 1_000_000;
    for n in StrategyName::ALL {
        let (r, recs) = run_with(&s, n);
        let m = &r.metrics;
        assert_eq!(m.injected_faults, 1, "{n:?}");
        assert_eq!(m.dma_dropped, 20, "{n:?}: the 20 script DMAs from 1.0 ms on are dropped");
        let nvme = dev(&s, NVME);
        let dropped: Vec<&EventRecord> =
            recs.iter().filter(|r| r.kind == EventKind::Dma && r.a & 0xffff_ffff == nvme && r.outcome == u64::MAX).collect();
        assert_eq!(dropped.len(), 20);
        assert!(dropped.iter().all(|r| r.cycle >= unplug));
        // In-flight requests complete and unmap after the removal (their maps are balanced).
        let nvme_base = 0x20_0000_0000u64;
        let late_unmaps = recs
            .iter()
            .filter(|r| r.kind == EventKind::Unmap && r.cycle > unplug && r.b >= nvme_base && r.b < nvme_base + 0x100_0000)
            .count();
        assert!(late_unmaps > 5, "{n:?}: {late_unmaps} in-flight requests unmapped after the unplug");
        // The drive issues nothing new; the rest of the system carries on.
        assert!(!recs.iter().any(|r| r.kind == EventKind::Map && r.cycle > unplug && r.b >= nvme_base && r.b < nvme_base + 0x100_0000));
        let nic = dev(&s, NIC);
        assert!(
            recs.iter().any(|r| r.kind == EventKind::Dma && r.a & 0xffff_ffff == nic && r.cycle > 2_000_000),
            "{n:?}: the NIC still runs"
        );
        if n != StrategyName::WhatIfHardFail {
            // (hard-fail refuses the drive behind smmu2 in the NIC's container: its DMA faults.)
            assert_eq!(m.faults, 0, "{n:?}: nothing faults: dropped DMA is not translated");
        }
        assert_clean_end(&r);
    }
}

/// A strict NIC (ring of 16 buffers, 400 k packets/s, per-packet map/unmap, 64 CPUs so the
/// closed loop never drops a packet even when each sync waits the injected delay) and a rogue
/// read of one of its ring pages every 1 us (odd slots are TX buffers, mapped readable, so a
/// cached entry still serves them), optionally with late invalidations on smmu0.
fn late_scenario(fault: &str) -> Scenario {
    scenario(&format!(
        r#"Scenario(name: "f", topology: "unused", seed: 5, duration: 3_000_000,
            containers: [Container(id: "vm", invalidation: Strict)],
            events: [(at: 500_000, repeat: (count: 2000, every: 1_000, stride: 8192, wrap: 0x1_0000),
                      op: Dma(device: "{NIC}", iova: 0x10_0000_1000, bytes: 4096, dir: Read))],
            generators: [
                Vm(id: "vm", container: "vm", stop: 2_900_000, ram_bytes: 0x10_0000, devices: ["{NIC}"]),
                Nic(id: "nic", device: "{NIC}", container: "vm", start: 1000, stop: 2_800_000, rate: PacketsPerSec(400_000), ring: 16, cpus: 64),
            ],
            faults: [{fault}])"#
    ))
}

#[test]
fn late_invalidation_serves_stale_translations_only_inside_its_window() {
    let (at, until, delay) = (1_000_000u64, 2_000_000u64, 30_000u64);
    let clean = late_scenario("");
    let late = late_scenario(&format!(r#"LateInvalidation(at: {at}, until: {until}, iommu: "smmu0", delay: {delay})"#));
    for n in StrategyName::ALL {
        let (base, _) = run_with(&clean, n);
        assert_eq!(base.metrics.stale_translations, 0, "{n:?}: strict never serves stale entries on time");
        let (r, recs) = run_with(&late, n);
        let m = &r.metrics;
        assert!(m.stale_translations > 0, "{n:?}: late invalidations leave stale entries to hit");
        // Every stale hit is a rogue read inside [at, until + delay): an invalidation sent
        // before `until` completes at most `delay` later.
        for rec in recs.iter().filter(|r| r.kind == EventKind::Dma && r.outcome != u64::MAX && (r.outcome >> 56) > 0) {
            assert!(rec.cycle >= at && rec.cycle < until + delay, "{n:?}: stale hit at {} outside the window {rec:?}", rec.cycle);
        }
        // Each delayed invalidation is an injected fault, and its sync waits `delay` longer:
        // nothing else about the CPU work changes.
        assert!(m.injected_faults > 300, "{n:?}: {} delayed invalidations", m.injected_faults);
        assert_eq!(m.requests_dropped, 0, "{n:?}: the NIC carried every packet");
        assert_eq!(m.cpu_cycles_invalidate, base.metrics.cpu_cycles_invalidate + delay * m.injected_faults, "{n:?}");
        assert_eq!(m.invalidations_page, base.metrics.invalidations_page, "{n:?}");
        assert_eq!((m.maps, m.unmaps), (base.metrics.maps, base.metrics.unmaps));
        // The delayed completions are recorded.
        assert!(recs.iter().any(|r| r.kind == EventKind::InvalidationDone));
        assert_clean_end(&r);
    }
}

#[test]
fn the_fault_storm_scenario_keeps_its_accounting() {
    // scenarios/fault-storm.ron injects every kind at once: every strategy still ends with no
    // domain and no page-table memory, maps balanced, and each fault visible.
    let s = Scenario::load(&root().join("scenarios/fault-storm.ron")).unwrap_or_else(|e| panic!("{e}"));
    for n in StrategyName::ALL {
        let r = run(&s, n, s.seed, None);
        assert_clean_end(&r);
        let m = &r.metrics;
        assert!(m.injected_faults > 3, "{n:?}");
        assert!(m.attaches_failed >= 2, "{n:?}: ENOMEM and ENOSPC");
        assert!(m.hard_failures >= 1, "{n:?}");
        assert!(m.dma_dropped > 0, "{n:?}");
        assert!(m.stale_translations > 0, "{n:?}");
    }
}

#[test]
fn a_generator_whose_device_was_unplugged_before_its_start_never_runs() {
    // The NVMe is removed at 1 000, its generator starts at 5 000: no request, no map, no
    // DMA (not even a dropped one). The NIC, removed at 1 000 too, sends no packet either.
    let s = scenario(&format!(
        r#"Scenario(name: "f", topology: "unused", duration: 200_000,
            containers: [Container(id: "vm")],
            generators: [
                Vm(id: "vm", container: "vm", stop: 150_000, ram_bytes: 0x10_0000, devices: ["{NIC}", "{NVME}"]),
                Nvme(id: "nvme", device: "{NVME}", container: "vm", start: 5000, iops: 1_000_000),
                Nvme(id: "spdk", device: "{NVME}", container: "vm", start: 5000, iops: 1_000_000, map_per_request: false, iova_base: 0x30_0000_0000),
                Nic(id: "nic", device: "{NIC}", container: "vm", start: 5000, rate: PacketsPerSec(1_000_000), page_pool: true),
            ],
            faults: [Unplug(at: 1000, device: "{NVME}"), Unplug(at: 1000, device: "{NIC}")])"#
    ));
    for n in StrategyName::ALL {
        let (r, recs) = run_with(&s, n);
        assert_eq!(r.metrics.dma_dropped, 0, "{n:?}");
        assert!(!recs.iter().any(|r| r.kind == EventKind::Dma), "{n:?}");
        assert_eq!((r.metrics.maps, r.metrics.unmaps), (1, 1), "{n:?}: only the VM's RAM");
        assert_clean_end(&r);
    }
}
