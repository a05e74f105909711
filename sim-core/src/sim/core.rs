//! The simulation state and the operations strategies and script events use: allocate, attach,
//! detach and free domains; map and unmap through containers. Everything here charges its CPU
//! cost and updates the streamed counters in place.

use crate::container::{Container, Mapping};
use crate::domain::{Attachment, Domain};
use crate::ids::{ContainerId, DeviceId, DomainId, GroupId, IommuId};
use crate::iommu::domain_props::DomainProps;
use crate::iommu::instance::Instance;
use crate::iommu::iotlb::Iotlb;
use crate::linux::attach::{self as linux_attach, DomainState, Master};
use crate::linux::{Era, Errno, Kernel};
use crate::metrics::{FaultRecord, Histogram, Metrics, RunResult};
use crate::pagetable::{Format, PageTable, Prot};
use crate::scenario::Scenario;
use crate::spec::ProtBits;
use crate::time::Cycle;
use crate::topology::Platform;

pub use super::state::{DeferredInvalidation, DeviceState, GroupState, Injected};

/// Everything a run mutates.
pub struct Core<'s> {
    pub platform: &'s Platform,
    pub scenario: &'s Scenario,
    pub now: Cycle,
    pub seed: u64,
    /// The kernel modelled (`scenario.kernel`): its drivers decide attaches (`linux/`).
    pub kernel: Kernel,
    /// The errno that means "incompatible, try another domain" to the series' VFIO flow and
    /// iommufd: `EINVAL`, or `EMEDIUMTYPE` in the 2022 series' what-if (`soft_errno`).
    pub soft: Errno,
    /// What-if: every refusal is final (`what-if-hard-fail`).
    pub all_hard: bool,
    /// Cross-instance sharing what-if (shared-across-instances).
    pub sharing: bool,
    /// Superpages (2M/1G bits) every VT-d unit of the platform has: a VT-d domain's leaf
    /// sizes before v6.13 (`domain_update_iommu_superpage`).
    vtd_common_superpages: u64,
    pub instances: Vec<Instance>,
    /// Domain-ID pools (DIDs, ASIDs, context banks...); `Instance::pool` indexes them.
    pub id_pools: crate::linux::id_pools::IdPools,
    pub devices: Vec<DeviceState>,
    pub groups: Vec<GroupState>,
    pub domains: Vec<Option<Domain>>,
    free_slots: Vec<DomainId>,
    next_serial: u64,
    pub containers: Vec<Container>,
    pub m: Metrics,
    pub pt_live: u64,
    pub domains_live: u64,
    pub latency: Histogram,
    pub fault_log: Vec<FaultRecord>,
    /// Kernel log lines printed during the current event, handed to the observer (if any)
    /// and cleared after each event (`iommu/klog.rs`).
    pub log: Vec<crate::linux::klog::LogRecord>,
    pub injected: Injected,
    /// Per device: its PCIe link, tags and throughput counters (`crate::pcie`).
    pub ports: Vec<crate::pcie::Port>,
    /// Per device: the DMA path's constants (`crate::sim::transfer::DevicePath`).
    pub paths: Vec<crate::sim::transfer::DevicePath>,
    /// Whether DMA is translated, or one of the no-translation baselines.
    pub bypass: crate::sim::transfer::Bypass,
    /// Per instance, its ATS devices in device order: whose device TLBs an invalidation on
    /// that instance reaches, without scanning every device (issue 15: a scan per trial
    /// detach made vfio-type1's attach search cubic in groups).
    pub ats_by_iommu: Vec<Vec<DeviceId>>,
}

impl<'s> Core<'s> {
    pub fn new(scenario: &'s Scenario, seed: u64, all_hard: bool, sharing: bool) -> Core<'s> {
        let platform = &scenario.platform;
        let vtd_common_superpages = platform
            .iommus
            .iter()
            .filter(|i| i.kind == crate::iommu::IommuKind::IntelVtd)
            .fold(crate::iommu::PageSizes::SZ_2M | crate::iommu::PageSizes::SZ_1G, |acc, i| acc & i.params.caps.page_sizes.0);
        let instances: Vec<Instance> = platform.iommus.iter().map(|i| Instance::new(&i.name, &i.params, seed)).collect();
        let id_pools = crate::linux::id_pools::IdPools::for_platform(&platform.iommus);
        let devices = platform
            .devices
            .iter()
            .map(|d| {
                let g = &platform.iommus[d.iommu.index()].params.geometry;
                DeviceState {
                    domain: None,
                    devtlb: d.ats.then(|| {
                        Iotlb::new(
                            g.devtlb_entries,
                            g.devtlb_ways,
                            crate::iommu::Replacement::Lru,
                            crate::engine::SimRng::for_source(seed, &format!("devtlb:{}", d.name)),
                        )
                    }),
                    attached: false,
                    latency: Histogram::default(),
                    translations: 0,
                    devtlb_hits: 0,
                    iotlb_hits: 0,
                    iotlb_misses: 0,
                    faults: 0,
                    stale: 0,
                    last_domain: None,
                    removed: false,
                }
            })
            .collect();
        let containers = scenario.containers.iter().enumerate().map(|(i, c)| Container::new(c.clone(), i)).collect();
        let mut ats_by_iommu = vec![Vec::new(); platform.iommus.len()];
        for (i, d) in platform.devices.iter().enumerate().filter(|(_, d)| d.ats) {
            ats_by_iommu[d.iommu.index()].push(DeviceId::from_index(i));
        }
        Core {
            platform,
            scenario,
            now: 0,
            seed,
            kernel: scenario.kernel,
            soft: match scenario.soft_errno {
                crate::scenario::SoftErrno::EINVAL => Errno::EINVAL,
                crate::scenario::SoftErrno::EMEDIUMTYPE => Errno::EMEDIUMTYPE,
            },
            all_hard,
            sharing,
            vtd_common_superpages,
            instances,
            id_pools,
            devices,
            groups: vec![GroupState::default(); platform.groups.len()],
            domains: Vec::new(),
            free_slots: Vec::new(),
            next_serial: 0,
            containers,
            m: Metrics::default(),
            pt_live: 0,
            domains_live: 0,
            latency: Histogram::default(),
            fault_log: Vec::new(),
            log: Vec::new(),
            injected: Injected { late: vec![None; platform.iommus.len()], ..Injected::default() },
            ports: platform.devices.iter().map(|d| crate::pcie::Port::new(&d.link)).collect(),
            paths: (0..platform.devices.len()).map(|d| crate::sim::transfer::DevicePath::new(platform, d)).collect(),
            bypass: crate::sim::transfer::Bypass::None,
            ats_by_iommu,
        }
    }

    // ----- lookups -------------------------------------------------------------------------

    #[inline]
    pub fn domain(&self, d: DomainId) -> &Domain {
        self.domains[d.index()].as_ref().expect("live domain")
    }

    #[inline]
    pub fn domain_mut(&mut self, d: DomainId) -> &mut Domain {
        self.domains[d.index()].as_mut().expect("live domain")
    }

    /// The instance a group sits behind.
    #[inline]
    pub fn group_iommu(&self, g: GroupId) -> IommuId {
        self.platform.groups[g.index()].iommu
    }

    /// The domains of a container, in the order they joined it.
    pub fn container_domains(&self, c: ContainerId) -> &[DomainId] {
        &self.containers[c.index()].domains
    }

    /// The properties a domain allocated for `g` would have.
    pub fn props_for_group(&self, g: GroupId) -> Result<DomainProps, Errno> {
        let iommu = self.group_iommu(g);
        let inst = &self.platform.iommus[iommu.index()];
        let format = Format::for_instance(inst.kind, &inst.params.caps).map_err(|_| Errno::ENODEV)?;
        Ok(linux_attach::alloc_props(self.kernel, inst.kind, iommu, &inst.params.caps, format.page_sizes, self.vtd_common_superpages))
    }

    /// What the attach check reads of a domain besides its properties: the end of its highest
    /// mapping (its container's; a fresh domain has none yet).
    fn domain_state(&self, d: DomainId) -> DomainState {
        let max_mapped_end = self
            .domain(d)
            .container
            .and_then(|c| self.containers[c.index()].mappings.last_key_value().map(|(&iova, m)| iova + m.size))
            .unwrap_or(0);
        DomainState { max_mapped_end, stage2: false }
    }

    /// The driver's verdict under the modelled kernel, without side effects: used by
    /// `compat-index` to choose a domain without trial attaches.
    pub fn is_compatible(&self, d: DomainId, g: GroupId) -> bool {
        let iommu = self.group_iommu(g);
        let inst = &self.platform.iommus[iommu.index()];
        let st = self.domain_state(d);
        linux_attach::check(self.kernel, self.sharing, &self.domain(d).props, st, inst.kind, iommu, &inst.params.caps, Master::default())
            .is_ok()
    }

    // ----- domains ---------------------------------------------------------------------------

    /// Allocates a paging domain for the device(s) of group `g` (`iommu_paging_domain_alloc`):
    /// the format and properties come from the group's instance.
    pub fn alloc_domain(&mut self, g: GroupId) -> Result<DomainId, Errno> {
        if let Some(until) = self.injected.alloc_fail_until
            && self.now < until
        {
            self.injected.alloc_attempts += 1;
            if self.injected.alloc_attempts.is_multiple_of(u64::from(self.injected.alloc_fail_every.max(1))) {
                self.m.injected_faults += 1;
                return Err(Errno::ENOMEM);
            }
        }
        let props = self.props_for_group(g)?;
        let iommu = self.group_iommu(g);
        let inst = &self.platform.iommus[iommu.index()];
        let mut format = Format::for_instance(inst.kind, &inst.params.caps).map_err(|_| Errno::ENODEV)?;
        // The kernel may restrict the leaf sizes (VT-d before v6.13: the platform's common
        // superpages; first-stage domains).
        format.page_sizes = crate::iommu::PageSizes(format.page_sizes.0 & props.page_sizes.0);
        // AMD-Vi: the domain id comes from the platform-wide pool now, not at attach
        // (`protection_domain_alloc` → `pdom_id_alloc`); a full pool fails the allocation.
        let alloc_tag = if self.id_pools.tag_at_alloc(iommu) {
            let pool = self.id_pools.pool(iommu);
            Some(self.id_pools.alloc(pool)?)
        } else {
            None
        };
        let table = PageTable::new(format);
        let costs = &inst.params.costs;
        self.m.cpu_cycles_attach += costs.cpu_domain_alloc + costs.cpu_table_alloc * table.tables();
        self.pt_add(table.table_bytes());
        let serial = self.next_serial;
        self.next_serial += 1;
        let domain = Domain {
            serial,
            props,
            table,
            container: None,
            attachments: Vec::new(),
            groups: Vec::new(),
            ats_devices: Vec::new(),
            alloc_tag,
            unmap_epoch: 0,
            shifts: [0; 8],
            shifts_levels: 0,
        };
        let id = match self.free_slots.pop() {
            Some(id) => {
                self.domains[id.index()] = Some(domain);
                id
            }
            None => {
                self.domains.push(Some(domain));
                DomainId::from_index(self.domains.len() - 1)
            }
        };
        self.domain_mut(id).refresh_shifts();
        self.m.domains_allocated += 1;
        self.domains_live += 1;
        self.m.domains_peak = self.m.domains_peak.max(self.domains_live);
        Ok(id)
    }

    /// Frees a domain that no group uses any more (`iommu_domain_free`): its page table goes.
    pub fn free_domain(&mut self, d: DomainId) {
        let mut domain = self.domains[d.index()].take().expect("live domain");
        debug_assert!(domain.groups.is_empty());
        let costs = &self.platform.iommus[domain.props.owner.index()].params.costs;
        let before = domain.table.table_bytes();
        let stats = domain.table.destroy();
        self.m.cpu_cycles_attach += costs.cpu_domain_alloc / 2 + costs.cpu_table_free * stats.tables_freed;
        self.pt_sub(before);
        if let Some(c) = domain.container {
            self.containers[c.index()].domains.retain(|&x| x != d);
        }
        if let Some(tag) = domain.alloc_tag {
            let pool = self.id_pools.pool(domain.props.owner);
            self.id_pools.free(pool, tag);
        }
        self.free_slots.push(d);
        self.domains_live -= 1;
    }

    /// Attaches group `g` to domain `d` (`iommu_attach_group`). `trial` marks an attempt
    /// against an existing domain (counted in `trial_attaches`). On refusal nothing changes
    /// and the errno is returned; soft/hard failures and log lines are counted here.
    pub fn attach(&mut self, d: DomainId, g: GroupId, trial: bool) -> Result<(), Errno> {
        let iommu = self.group_iommu(g);
        let platform: &'s Platform = self.platform;
        let inst = &platform.iommus[iommu.index()];
        let costs = &inst.params.costs;
        if trial {
            self.m.trial_attaches += 1;
        }
        let st = self.domain_state(d);
        let verdict = linux_attach::check(
            self.kernel,
            self.sharing,
            &self.domain(d).props,
            st,
            inst.kind,
            iommu,
            &inst.params.caps,
            Master::default(),
        );
        let mut log_lines = 1;
        let mut refused_rule = None;
        let result = match verdict {
            Err(refusal) => {
                log_lines = refusal.log_lines();
                refused_rule = Some(refusal.rule);
                Err(refusal.errno(self.kernel.era(), self.soft))
            }
            Ok(()) => {
                // A domain's first group on an instance takes a tag from that instance's ID space
                // (VT-d `domain_attach_iommu`, SMMUv2 context bank) — unless the domain already
                // holds a tag of the same pool: SMMUv3 ASIDs are global, one per domain, valid
                // on every SMMUv3 it reaches; AMD domain ids were taken at allocation.
                // `linux/id_pools.rs::usable_ids` has the sources.
                if self.domain(d).tag_on(iommu).is_none() {
                    let pool = self.id_pools.pool(iommu);
                    let held = match self.domain(d).alloc_tag {
                        // AMD-Vi: the domain's own id, the same behind every unit.
                        Some(tag) if self.id_pools.tag_at_alloc(iommu) => Some(tag),
                        _ => self.domain(d).attachments.iter().find(|a| self.id_pools.pool(a.iommu) == pool).map(|a| a.tag),
                    };
                    match held.map_or_else(|| self.id_pools.alloc(pool), Ok) {
                        Ok(tag) => {
                            self.domain_mut(d).attachments.push(Attachment { iommu, tag, groups: 0 });
                            Ok(())
                        }
                        Err(errno) => Err(errno),
                    }
                } else {
                    Ok(())
                }
            }
        };
        if let Err(errno) = result {
            // The driver looked at the domain before refusing: a fraction of an attach.
            self.m.cpu_cycles_attach += costs.cpu_attach / 4;
            if self.is_soft(errno) {
                self.m.soft_failures += 1;
            } else {
                self.m.hard_failures += 1;
            }
            // A refusal by an attach rule prints what its driver prints in this kernel
            // (`linux/rules.rs`); any other failure (ID space full...) one line.
            self.m.log_lines += log_lines;
            if log_lines > 0 {
                let domain_owner = self.domain(d).props.owner;
                self.log.push(crate::linux::klog::LogRecord { cycle: self.now, group: g, iommu, domain_owner, errno, rule: refused_rule });
            }
            return Err(errno);
        }
        // VT-d before v6.13 adapts the domain to the unit (`prepare_domain_attach_device`,
        // `domain_update_iommu_cap`): narrower, fewer levels, coherent only if all units are.
        let unit_levels = Format::for_instance(inst.kind, &inst.params.caps).map_or(u8::MAX, |f| f.levels);
        let table_levels = self.domain(d).table.levels();
        let caps = &inst.params.caps;
        let mut props = self.domain(d).props;
        if let Some(levels) = linux_attach::adapt_on_attach(self.kernel, &mut props, inst.kind, caps, unit_levels, table_levels) {
            let dom = self.domain_mut(d);
            let before = dom.table.table_bytes();
            let freed = dom.table.shed_levels(levels);
            let after = dom.table.table_bytes();
            dom.refresh_shifts();
            self.m.cpu_cycles_attach += costs.cpu_table_free * freed;
            self.pt_sub(before - after);
        }
        self.domain_mut(d).props = props;
        // Program a context entry / STE per device of the group, then invalidate the
        // context cache.
        let devices = self.platform.groups[g.index()].devices.len() as u64;
        self.m.cpu_cycles_attach += costs.cpu_attach * devices + costs.cpu_context_invalidate;
        let dom = self.domain_mut(d);
        let tag = dom.tag_on(iommu).expect("tag allocated above");
        for a in dom.attachments.iter_mut().filter(|a| a.iommu == iommu) {
            a.groups += 1;
        }
        dom.groups.push(g);
        for &dev in &self.platform.groups[g.index()].devices {
            if self.platform.devices[dev.index()].ats {
                self.domain_mut(d).ats_devices.push(dev);
            }
            self.devices[dev.index()].domain = Some((d, tag));
            self.devices[dev.index()].last_domain = Some(self.domains[d.index()].as_ref().map_or(0, |x| x.serial));
        }
        self.groups[g.index()].domain = Some(d);
        Ok(())
    }

    /// Detaches group `g` from domain `d`: clears its context entries, flushes the domain from
    /// the instance's caches when the domain leaves that instance, and releases the tag.
    pub fn detach(&mut self, d: DomainId, g: GroupId) {
        let iommu = self.group_iommu(g);
        let costs = self.platform.iommus[iommu.index()].params.costs.clone();
        let devices = self.platform.groups[g.index()].devices.len() as u64;
        self.m.cpu_cycles_attach += costs.cpu_attach * devices + costs.cpu_context_invalidate;
        let group_devices = &self.platform.groups[g.index()].devices;
        for &dev in group_devices {
            self.devices[dev.index()].domain = None;
            if let Some(tlb) = self.devices[dev.index()].devtlb.as_mut() {
                tlb.invalidate_all();
            }
        }
        let dom = self.domain_mut(d);
        dom.groups.retain(|&x| x != g);
        dom.ats_devices.retain(|dev| !group_devices.contains(dev));
        let mut released = None;
        if let Some(pos) = dom.attachments.iter().position(|a| a.iommu == iommu) {
            dom.attachments[pos].groups -= 1;
            if dom.attachments[pos].groups == 0 {
                released = Some(dom.attachments.remove(pos).tag);
            }
        }
        if let Some(tag) = released {
            self.flush_tag_on(iommu, tag);
            // The tag goes back to its pool when no other attachment of the domain shares it
            // (an id taken at allocation goes back when the domain is freed).
            let pool = self.id_pools.pool(iommu);
            let still_used = self.domain(d).attachments.iter().any(|a| self.id_pools.pool(a.iommu) == pool);
            if !still_used && !self.id_pools.tag_at_alloc(iommu) {
                self.id_pools.free(pool, tag);
            }
        }
        self.groups[g.index()].domain = None;
    }

    /// Adds a freshly attached domain to a container, replaying every existing mapping into it
    /// (`vfio_iommu_replay`, iommufd `iopt_fill_domain`).
    ///
    /// A mapping the new domain cannot represent (beyond its input or output width: a narrower
    /// instance joined late) is not mapped at all and counts as a `map_error` (issue 16: a map
    /// that cannot be represented is never a success); a DMA to it from the new domain's
    /// devices then faults "not mapped". (Linux refuses the whole attach instead, -EINVAL from
    /// `vfio_iommu_aper_conflict` in `vfio_iommu_type1_attach_group`; the simulator keeps the
    /// attach and records the loss.)
    pub fn join_container(&mut self, d: DomainId, c: ContainerId) {
        self.domain_mut(d).container = Some(c);
        let mappings: Vec<(u64, Mapping)> = self.containers[c.index()].mappings.iter().map(|(&k, &v)| (k, v)).collect();
        let base = self.containers[c.index()].phys_base;
        for (iova, m) in mappings {
            self.m.replayed_maps += 1;
            let phys = base.checked_add(iova);
            let fits = phys.is_some_and(|p| self.domain(d).table.format().representable(iova, p, m.size));
            if !fits || !self.map_mapping(d, iova, phys.unwrap_or_default(), m) {
                self.m.map_errors += 1;
            }
        }
        self.containers[c.index()].domains.push(d);
    }

    // ----- map / unmap ----------------------------------------------------------------------

    /// Maps a user mapping into one domain: one `iommu_map` per physically contiguous chunk
    /// (`vfio_pin_map_dma` maps each contiguous run of pinned pages separately), so a range
    /// backed by small pages gets small IOMMU pages and pays a call per chunk.
    pub fn map_mapping(&mut self, d: DomainId, iova: u64, phys: u64, m: Mapping) -> bool {
        if m.backing_shift == 0 || m.size >> m.backing_shift <= 1 {
            return self.map_into(d, iova, phys, m.size, m.prot);
        }
        let chunk = 1u64 << m.backing_shift;
        let mut ok = true;
        for off in (0..m.size).step_by(chunk as usize) {
            ok &= self.map_into(d, iova + off, phys + off, chunk, m.prot);
        }
        ok
    }

    /// Maps one physically contiguous range into one domain and charges the CPU cost.
    pub fn map_into(&mut self, d: DomainId, iova: u64, phys: u64, size: u64, prot: ProtBits) -> bool {
        let owner = self.domain(d).props.owner;
        let costs = &self.platform.iommus[owner.index()].params.costs;
        let (call, pte, alloc) = (costs.cpu_map_call, costs.cpu_pte_write, costs.cpu_table_alloc);
        let dom = self.domain_mut(d);
        let before = dom.table.table_bytes();
        let r = dom.table.map(iova, phys, size, Prot(prot));
        let after = dom.table.table_bytes();
        dom.refresh_shifts();
        self.pt_add(after - before);
        match r {
            Ok(s) => {
                self.m.cpu_cycles_map += call + pte * s.ptes_written + alloc * s.tables_allocated;
                true
            }
            Err(_) => {
                self.m.cpu_cycles_map += call;
                false
            }
        }
    }

    /// Unmaps from one domain, charging the CPU cost; the caller invalidates. Returns the
    /// commands a driver without range invalidation sends for it
    /// ([`crate::pagetable::table::UnmapStats::tlbi_units`]).
    pub fn unmap_from(&mut self, d: DomainId, iova: u64, size: u64) -> u64 {
        let owner = self.domain(d).props.owner;
        let costs = &self.platform.iommus[owner.index()].params.costs;
        let (call, pte, alloc, free) = (costs.cpu_map_call, costs.cpu_pte_write, costs.cpu_table_alloc, costs.cpu_table_free);
        let dom = self.domain_mut(d);
        let before = dom.table.table_bytes();
        let s = dom.table.unmap(iova, size);
        dom.unmap_epoch = dom.unmap_epoch.wrapping_add(1);
        let after = dom.table.table_bytes();
        if after >= before {
            self.pt_add(after - before);
        } else {
            self.pt_sub(before - after);
        }
        self.m.cpu_cycles_unmap += call + pte * s.ptes_cleared + alloc * s.tables_allocated + free * s.tables_freed;
        s.tlbi_units(self.domain(d).table.format().granule_shift)
    }

    // ----- bookkeeping ----------------------------------------------------------------------

    /// All CPU cycles charged so far.
    #[inline]
    pub fn cpu_cycles(&self) -> u64 {
        self.m.cpu_cycles_attach + self.m.cpu_cycles_map + self.m.cpu_cycles_unmap + self.m.cpu_cycles_invalidate
    }

    fn pt_add(&mut self, bytes: u64) {
        self.pt_live += bytes;
        self.m.pagetable_bytes_peak = self.m.pagetable_bytes_peak.max(self.pt_live);
    }

    fn pt_sub(&mut self, bytes: u64) {
        self.pt_live -= bytes;
    }

    /// True if `errno` means "incompatible, try another domain" to the series' VFIO flow and
    /// iommufd (never in the `what-if-hard-fail` world).
    pub fn is_soft(&self, errno: Errno) -> bool {
        !self.all_hard && errno == self.soft
    }

    /// The era of the modelled kernel.
    pub fn era(&self) -> Era {
        self.kernel.era()
    }

    /// Records a fault (counted always; details kept for the first few).
    pub fn record_fault(&mut self, dev: DeviceId, iova: u64, reason: &'static str, cycle: Cycle) {
        self.m.faults += 1;
        self.devices[dev.index()].faults += 1;
        let iommu = self.platform.devices[dev.index()].iommu;
        self.instances[iommu.index()].counters.faults += 1;
        if self.fault_log.len() < RunResult::FAULT_LOG_LIMIT {
            self.fault_log.push(FaultRecord {
                cycle,
                device: self.platform.devices[dev.index()].name.clone(),
                iova,
                reason: reason.to_string(),
            });
        }
    }
}

/// What the strategies (Linux's VFIO / iommufd behaviour, `strategy/`) may do: the
/// operations above, through a trait so that `strategy/` never imports the simulation.
impl crate::strategy::Domains for Core<'_> {
    fn alloc_domain(&mut self, g: GroupId) -> Result<DomainId, Errno> {
        Core::alloc_domain(self, g)
    }
    fn attach(&mut self, d: DomainId, g: GroupId, trial: bool) -> Result<(), Errno> {
        Core::attach(self, d, g, trial)
    }
    fn detach(&mut self, d: DomainId, g: GroupId) {
        Core::detach(self, d, g)
    }
    fn free_domain(&mut self, d: DomainId) {
        Core::free_domain(self, d)
    }
    fn join_container(&mut self, d: DomainId, c: ContainerId) {
        Core::join_container(self, d, c)
    }
    fn container_domains(&self, c: ContainerId) -> &[DomainId] {
        Core::container_domains(self, c)
    }
    fn is_compatible(&self, d: DomainId, g: GroupId) -> bool {
        Core::is_compatible(self, d, g)
    }
    fn is_soft(&self, e: Errno) -> bool {
        Core::is_soft(self, e)
    }
    fn props(&self, d: DomainId) -> DomainProps {
        self.domain(d).props
    }
    fn kernel(&self) -> Kernel {
        self.kernel
    }
}
