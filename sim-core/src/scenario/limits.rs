//! Bounds a scenario file must respect (docs/limits.md): the check of `crate::limits`'
//! scenario bounds, kept apart from the loader so that `load.rs` stays about what the file means.

use crate::limits::{MAX_FLUSH_QUEUE, MAX_TIME};
use crate::scenario::schema::Scenario as ScenarioFile;
use crate::time::Cycle;
use crate::workload::schema::{Fault, Generator};

/// Bounds a scenario file must respect before anything is computed from it: times, queue
/// sizes, generator address ranges. The error is `(text to point at, message)`.
pub fn check_scenario(s: &ScenarioFile) -> Result<(), (String, String)> {
    let time = |v: Cycle, field: String| -> Result<(), (String, String)> {
        if v > MAX_TIME {
            let needle = format!("{}:", field.rsplit(".").next().unwrap_or(&field));
            return Err((needle, format!("{field}: {v} cycles is beyond the limit of 2^62 = {MAX_TIME} (docs/limits.md)")));
        }
        Ok(())
    };
    // Generators and faults are numbered in 16 bits inside events, script lines in 32.
    for (n, list) in [(s.generators.len(), "generators"), (s.faults.len(), "faults")] {
        if n > usize::from(u16::MAX) {
            return Err((list.into(), format!("{list}: {n} entries, at most {}", u16::MAX)));
        }
    }
    if s.events.len() > u32::MAX as usize {
        return Err(("events".into(), format!("events: {} lines, at most {}", s.events.len(), u32::MAX)));
    }
    for (i, c) in s.containers.iter().enumerate() {
        // Only a DMA-API domain has a flush queue (a VFIO container cannot be lazy).
        let crate::scenario::schema::Container::DmaApi { id, flush_queue, flush_timeout, .. } = c else { continue };
        if *flush_queue > MAX_FLUSH_QUEUE {
            return Err((
                "flush_queue".into(),
                format!("containers[{i}] \"{id}\".flush_queue: {flush_queue} is more than the limit of {MAX_FLUSH_QUEUE}"),
            ));
        }
        time(*flush_timeout, format!("containers[{i}].flush_timeout"))?;
    }
    for (i, e) in s.events.iter().enumerate() {
        time(e.at, format!("events[{i}].at"))?;
        if let Some(r) = e.repeat {
            time(r.every, format!("events[{i}].repeat.every"))?;
        }
    }
    for (i, g) in s.generators.iter().enumerate() {
        let at = |f: &str| format!("generators[{i}].{f}");
        match g {
            Generator::Nic { start, ring, iova_base, packet_bytes, .. } => {
                time(*start, at("start"))?;
                // The buffers span `ring + flush_queue` slots of whole pages (a lazy container's
                // queue at most MAX_FLUSH_QUEUE): they must fit below 2^64.
                let slots = u128::from(*ring) + u128::from(MAX_FLUSH_QUEUE);
                let buf = u128::from(packet_bytes.div_ceil(4096).max(1) * 4096);
                // An unset base is chosen by the container's IOVA allocator, which checks room.
                let base = iova_base.unwrap_or(0);
                if u128::from(base) + slots * buf > u128::from(u64::MAX) {
                    return Err((
                        "iova_base".into(),
                        format!("{}: {base:#x} leaves no room for the ring's buffers below 2^64", at("iova_base")),
                    ));
                }
            }
            Generator::Nvme { start, service, .. } => {
                time(*start, at("start"))?;
                time(*service, at("service"))?;
            }
            Generator::DmaEngine { start, .. } => time(*start, at("start"))?,
            Generator::Accelerator { start, buffers, buffer_bytes, iova_base, .. } => {
                time(*start, at("start"))?;
                // Buffers start 1 GiB apart (accel.rs `pitch`): all of them must fit below 2^64.
                let pitch = u128::from(*buffer_bytes).div_ceil(1 << 30) << 30;
                let base = iova_base.unwrap_or(0);
                if u128::from(base) + pitch * u128::from(*buffers) > u128::from(u64::MAX) {
                    return Err((
                        "buffer_bytes".into(),
                        format!("{}: {buffers} buffer(s) of {buffer_bytes:#x} bytes at {base:#x} overflow 64 bits", at("buffer_bytes")),
                    ));
                }
            }
            Generator::Vm { start, churn, .. } => {
                time(*start, at("start"))?;
                if let Some(c) = churn {
                    time(c.every, at("churn.every"))?;
                    time(c.down, at("churn.down"))?;
                }
            }
        }
    }
    for (i, f) in s.faults.iter().enumerate() {
        match f {
            Fault::AllocFail { at, .. } | Fault::ExhaustIds { at, .. } | Fault::Unplug { at, .. } => time(*at, format!("faults[{i}].at"))?,
            Fault::LateInvalidation { at, delay, .. } => {
                time(*at, format!("faults[{i}].at"))?;
                time(*delay, format!("faults[{i}].delay"))?;
            }
        }
    }
    Ok(())
}
