//! Resolving generator and fault declarations against the platform and containers: names
//! become ids and every value is range-checked, so a run never meets an impossible request.

use std::collections::{BTreeMap, BTreeSet};

use super::accel::{AccelSpec, MAX_BUFFERS};
use super::iova;
use super::nic::NicSpec;
use super::nvme::NvmeSpec;
use super::schema::{Churn, Fault, Generator};
use super::vm::{MAX_DEVICES, VmSpec};
use super::{FaultSpec, GenSpec};
use crate::error::InputError;
use crate::ids::{ContainerId, DeviceId, IommuId};
use crate::spec::{ContainerSpec, Invalidation};
use crate::time::Cycle;
use crate::topology::Platform;

type Invalid<'a> = dyn Fn(&str, String) -> InputError + 'a;

const PAGE: u64 = 4096;

pub fn generators(
    gens: &[Generator],
    platform: &Platform,
    containers: &[ContainerSpec],
    invalid: &Invalid<'_>,
) -> Result<Vec<GenSpec>, InputError> {
    let mut out: Vec<GenSpec> = Vec::with_capacity(gens.len());
    // Whether each generator named its IOVA base (else `iova::assign` places it).
    let mut explicit: Vec<bool> = Vec::with_capacity(gens.len());
    // Name → container and the set of generator ids seen so far: every check below is a
    // logarithmic lookup, so loading is O(n log n) in generators and containers (it used to
    // compare each id with every earlier one).
    let container_ids: BTreeMap<&str, ContainerId> =
        containers.iter().enumerate().map(|(k, c)| (c.name.as_str(), ContainerId::from_index(k))).collect();
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for (i, g) in gens.iter().enumerate() {
        let at = |field: &str| format!("generators[{i}].{field}");
        let device = |name: &str| -> Result<DeviceId, InputError> {
            platform.device_by_name(name).ok_or_else(|| {
                invalid(&format!("\"{name}\""), format!("{}: device \"{name}\" is not in topology \"{}\"", at("device"), platform.name))
            })
        };
        let container = |name: &str| -> Result<ContainerId, InputError> {
            container_ids.get(name).copied().ok_or_else(|| {
                invalid(&format!("\"{name}\""), format!("{}: container \"{name}\" is not declared in `containers`", at("container")))
            })
        };
        let check = |ok: bool, field: &str, what: &str| -> Result<(), InputError> {
            if ok { Ok(()) } else { Err(invalid(field, format!("{}: {what}", at(field)))) }
        };
        let window = |start: Cycle, stop: Option<Cycle>| check(stop.is_none_or(|s| s > start), "stop", "must be after start");
        let spec = match g {
            Generator::Nic { id, device: d, container: c, start, stop, rate, packet_bytes, ring, arrivals, page_pool, iova_base, cpus } => {
                check((1..=1024).contains(cpus), "cpus", "must be 1..=1024")?;
                explicit.push(iova_base.is_some());
                let iova_base = &iova_base.unwrap_or(iova::NIC_BASE);
                window(*start, *stop)?;
                check((1..=65536).contains(packet_bytes), "packet_bytes", "must be 1..=65536")?;
                check(*ring >= 1 && *ring <= 1 << 20, "ring", "must be 1..=1048576")?;
                check(iova_base % PAGE == 0, "iova_base", "must be 4 KiB aligned")?;
                let pps = NicSpec::packets_per_sec(*rate, *packet_bytes);
                check(pps >= 1, "rate", "must be at least 1 packet per second")?;
                let container = container(c)?;
                let cs = &containers[container.index()];
                let window = if cs.invalidation == Invalidation::Lazy { ring + cs.flush_queue } else { *ring };
                GenSpec::Nic(NicSpec {
                    id: id.clone(),
                    device: device(d)?,
                    container,
                    start: *start,
                    stop: *stop,
                    packets_per_sec: pps,
                    packet_bytes: *packet_bytes,
                    ring: *ring,
                    arrivals: *arrivals,
                    page_pool: *page_pool,
                    iova_base: *iova_base,
                    window,
                    cpus: *cpus,
                })
            }
            Generator::Nvme {
                id,
                device: d,
                container: c,
                start,
                stop,
                iops,
                queue_depth,
                block_bytes,
                pattern,
                working_set,
                reads_per_mille,
                map_per_request,
                service,
                arrivals,
                iova_base,
                cpus,
                submit_cpu,
                complete_cpu,
            } => {
                check((1..=1024).contains(cpus), "cpus", "must be 1..=1024")?;
                check(*submit_cpu <= 1_000_000_000, "submit_cpu", "must be at most 1 s of CPU per request")?;
                check(*complete_cpu <= 1_000_000_000, "complete_cpu", "must be at most 1 s of CPU per request")?;
                explicit.push(iova_base.is_some());
                let iova_base = &iova_base.unwrap_or(iova::NVME_BASE);
                window(*start, *stop)?;
                check(*iops >= 1, "iops", "must be ≥ 1")?;
                check((1..=4096).contains(queue_depth), "queue_depth", "must be 1..=4096")?;
                check(*block_bytes > 0 && block_bytes % PAGE == 0, "block_bytes", "must be a positive multiple of 4 KiB")?;
                check(
                    block_bytes.checked_mul(u64::from(*queue_depth)).is_some_and(|need| *working_set >= need)
                        && working_set % block_bytes == 0,
                    "working_set",
                    "must be a multiple of block_bytes holding at least queue_depth blocks",
                )?;
                check(*reads_per_mille <= 1000, "reads_per_mille", "must be 0..=1000")?;
                check(*service >= 1, "service", "must be ≥ 1 cycle")?;
                check(
                    iova_base % PAGE == 0 && iova_base.checked_add(*working_set).and_then(|e| e.checked_add(4 << 20)).is_some(),
                    "iova_base",
                    "must be 4 KiB aligned and leave room for the working set and the queues",
                )?;
                GenSpec::Nvme(NvmeSpec {
                    id: id.clone(),
                    device: device(d)?,
                    container: container(c)?,
                    start: *start,
                    stop: *stop,
                    iops: *iops,
                    queue_depth: *queue_depth,
                    block_bytes: *block_bytes,
                    pattern: *pattern,
                    working_set: *working_set,
                    reads_per_mille: *reads_per_mille,
                    map_per_request: *map_per_request,
                    service: *service,
                    arrivals: *arrivals,
                    iova_base: *iova_base,
                    cpus: *cpus,
                    submit_cpu: *submit_cpu,
                    complete_cpu: *complete_cpu,
                })
            }
            Generator::Accelerator {
                id,
                device: d,
                container: c,
                start,
                stop,
                buffers,
                buffer_bytes,
                access,
                access_bytes,
                rate,
                arrivals,
                iova_base,
                premapped,
                outstanding,
            } => {
                check((1..=4096).contains(outstanding), "outstanding", "must be 1..=4096")?;
                explicit.push(iova_base.is_some());
                let iova_base = &iova_base.unwrap_or(iova::ACCEL_BASE);
                window(*start, *stop)?;
                check((1..=MAX_BUFFERS).contains(buffers), "buffers", &format!("must be 1..={MAX_BUFFERS}"))?;
                check(*buffer_bytes > 0 && buffer_bytes % PAGE == 0, "buffer_bytes", "must be a positive multiple of 4 KiB")?;
                check(*access_bytes > 0, "access_bytes", "must be ≥ 1")?;
                check(*rate >= 1, "rate", "must be ≥ 1 access per second")?;
                check(iova_base % PAGE == 0, "iova_base", "must be 4 KiB aligned")?;
                let spec = AccelSpec {
                    id: id.clone(),
                    device: device(d)?,
                    container: container(c)?,
                    start: *start,
                    stop: *stop,
                    buffers: *buffers,
                    buffer_bytes: *buffer_bytes,
                    access: *access,
                    access_bytes: *access_bytes,
                    rate: *rate,
                    arrivals: *arrivals,
                    iova_base: *iova_base,
                    premapped: *premapped,
                    outstanding: *outstanding,
                };
                let end = u128::from(*iova_base) + u128::from(spec.pitch()) * u128::from(*buffers);
                check(end <= u128::from(u64::MAX), "iova_base", "the buffers overflow 64 bits")?;
                GenSpec::Accel(spec)
            }
            Generator::DmaEngine {
                id,
                device: d,
                container: c,
                start,
                stop,
                dir,
                pattern,
                request_bytes,
                window_bytes,
                outstanding,
                total_bytes,
                iova_base,
                page,
                premapped,
            } => {
                explicit.push(iova_base.is_some());
                let iova_base = &iova_base.unwrap_or(iova::DMA_ENGINE_BASE);
                window(*start, *stop)?;
                check((1..=1 << 30).contains(request_bytes), "request_bytes", "must be 1..=1 GiB")?;
                check(
                    *window_bytes >= *request_bytes && window_bytes % PAGE == 0,
                    "window_bytes",
                    "must be a multiple of 4 KiB holding at least one request",
                )?;
                check((1..=super::dma_engine::MAX_OUTSTANDING).contains(outstanding), "outstanding", "must be 1..=4096")?;
                check(total_bytes.is_none_or(|b| b > 0), "total_bytes", "must be ≥ 1")?;
                check(
                    iova_base % PAGE == 0 && iova_base.checked_add(*window_bytes).is_some(),
                    "iova_base",
                    "must be 4 KiB aligned and leave room for the window",
                )?;
                let backing_shift = crate::spec::backing_shift(page.as_deref(), *iova_base, *window_bytes)
                    .map_err(|m| invalid("page", format!("{}: {m}", at("page"))))?;
                GenSpec::DmaEngine(super::dma_engine::DmaEngineSpec {
                    id: id.clone(),
                    device: device(d)?,
                    container: container(c)?,
                    start: *start,
                    stop: *stop,
                    dir: *dir,
                    pattern: *pattern,
                    request_bytes: *request_bytes,
                    window_bytes: *window_bytes,
                    outstanding: *outstanding,
                    total_bytes: total_bytes.unwrap_or(0),
                    iova_base: *iova_base,
                    backing_shift,
                    premapped: *premapped,
                })
            }
            Generator::Vm { id, container: c, devices, start, stop, ram_bytes, ram_iova, backing, churn } => {
                explicit.push(true);
                window(*start, *stop)?;
                check(!devices.is_empty() && devices.len() <= MAX_DEVICES, "devices", &format!("must list 1..={MAX_DEVICES} devices"))?;
                check(*ram_bytes > 0 && ram_bytes % PAGE == 0, "ram_bytes", "must be a positive multiple of 4 KiB")?;
                check(
                    ram_iova % PAGE == 0 && ram_iova.checked_add(*ram_bytes).is_some(),
                    "ram_iova",
                    "must be 4 KiB aligned and leave room for the RAM",
                )?;
                if let Some(Churn { every, down }) = churn {
                    check(*every >= 1 && *down >= 1, "churn", "every and down must be ≥ 1")?;
                }
                let ram_page_shift = crate::spec::backing_shift(backing.as_deref(), *ram_iova, *ram_bytes)
                    .map_err(|m| invalid("backing", format!("{}: {m}", at("backing"))))?;
                let devices = devices.iter().map(|d| device(d)).collect::<Result<Vec<_>, _>>()?;
                let container = container(c)?;
                check(
                    containers[container.index()].kind == crate::spec::ContainerKind::Vfio,
                    "container",
                    &format!("\"{c}\" is a DMA-API domain; a VM's devices are assigned through VFIO: use a `Container`"),
                )?;
                GenSpec::Vm(VmSpec {
                    id: id.clone(),
                    container,
                    devices,
                    start: *start,
                    stop: *stop,
                    ram_bytes: *ram_bytes,
                    ram_iova: *ram_iova,
                    ram_page_shift,
                    churn: *churn,
                })
            }
        };
        if spec.id().is_empty() || !ids.insert(spec.id().to_string()) {
            return Err(invalid(&format!("\"{}\"", spec.id()), format!("generators[{i}]: id \"{}\" is empty or used twice", spec.id())));
        }
        out.push(spec);
    }
    let names: Vec<String> = containers.iter().map(|c| c.name.clone()).collect();
    iova::assign(&mut out, &explicit, &names, invalid)?;
    Ok(out)
}

pub fn faults(faults: &[Fault], platform: &Platform, invalid: &Invalid<'_>) -> Result<Vec<FaultSpec>, InputError> {
    let iommu = |i: usize, name: &str| -> Result<IommuId, InputError> {
        platform.iommu_by_name(name).ok_or_else(|| {
            invalid(&format!("\"{name}\""), format!("faults[{i}].iommu: \"{name}\" is not an IOMMU of topology \"{}\"", platform.name))
        })
    };
    faults
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let until_ok = |at: Cycle, until: Option<Cycle>| {
                if until.is_some_and(|u| u <= at) {
                    Err(invalid("until", format!("faults[{i}].until: must be after `at`")))
                } else {
                    Ok(until.unwrap_or(Cycle::MAX))
                }
            };
            Ok(match f {
                Fault::AllocFail { at, until, every } => {
                    if *every == 0 {
                        return Err(invalid("every", format!("faults[{i}].every: must be ≥ 1")));
                    }
                    FaultSpec::AllocFail { at: *at, until: until_ok(*at, *until)?, every: *every }
                }
                Fault::ExhaustIds { at, iommu: name, leave } => FaultSpec::ExhaustIds { at: *at, iommu: iommu(i, name)?, leave: *leave },
                Fault::Unplug { at, device } => FaultSpec::Unplug {
                    at: *at,
                    device: platform.device_by_name(device).ok_or_else(|| {
                        invalid(
                            &format!("\"{device}\""),
                            format!("faults[{i}].device: \"{device}\" is not in topology \"{}\"", platform.name),
                        )
                    })?,
                },
                Fault::LateInvalidation { at, until, iommu: name, delay } => {
                    if *delay == 0 {
                        return Err(invalid("delay", format!("faults[{i}].delay: must be ≥ 1 cycle")));
                    }
                    FaultSpec::LateInvalidation { at: *at, until: until_ok(*at, *until)?, iommu: iommu(i, name)?, delay: *delay }
                }
            })
        })
        .collect()
}
