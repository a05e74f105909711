//! `iommu-sim trace-diff A B [--context N]`: the first event at which two traces (written by
//! `run --trace`) diverge, with the events before it, decoded readably. Both files are read in
//! lockstep, so memory stays constant whatever their length. Exit 0 if identical, 1 if they
//! differ (events or header), 2 if a file is not a readable trace.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use sim_core::sim::EventRecord;
use sim_core::trace::{TraceError, TraceHeader, TraceReader, describe, differing_fields};

use super::CmdResult;
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// First trace file (`-` = stdin).
    pub a: PathBuf,
    /// Second trace file (`-` = stdin; only one of the two can be).
    pub b: PathBuf,
    /// Identical events to show before the first difference (at most 10000).
    #[arg(long, default_value_t = 3)]
    pub context: usize,
}

/// Most context events kept (and printed): the window is held in memory.
const MAX_CONTEXT: usize = 10_000;

/// A trace reader over the file, or over stdin for `-` (traces are read front to back, so a
/// pipe works: `ssh host cat run.trace | iommu-sim trace-diff - local.trace`).
fn open(path: &Path) -> Result<TraceReader<Box<dyn std::io::Read>>, String> {
    let input: Box<dyn std::io::Read> = if super::io::is_std(path) {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else {
        Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?))
    };
    TraceReader::new(input).map_err(|e| format!("{}: {e}", super::io::label(path)))
}

fn next<R: std::io::Read>(r: &mut TraceReader<R>, path: &Path) -> Result<Option<EventRecord>, String> {
    r.next_event().map_err(|e: TraceError| format!("{}: {e}", super::io::label(path)))
}

fn summary(h: &TraceHeader) -> String {
    format!("scenario {}, topology {}, strategy {}, seed {}", h.scenario, h.topology, h.strategy, h.seed)
}

pub fn run(args: Args) -> CmdResult {
    if args.context > MAX_CONTEXT {
        return Err(format!("--context {}: at most {MAX_CONTEXT} events of context", args.context).into());
    }
    if super::io::is_std(&args.a) && super::io::is_std(&args.b) {
        return Err("trace-diff: only one of the two traces can be `-` (stdin)".into());
    }
    let mut ra = open(&args.a)?;
    let mut rb = open(&args.b)?;
    let (ha, hb) = (ra.header().clone(), rb.header().clone());
    crate::outln!("A: {} ({})", super::io::label(&args.a), summary(&ha))?;
    crate::outln!("B: {} ({})", super::io::label(&args.b), summary(&hb))?;
    let mut differs = false;
    for (what, x, y) in [
        ("scenario", &ha.scenario, &hb.scenario),
        ("topology", &ha.topology, &hb.topology),
        ("strategy", &ha.strategy, &hb.strategy),
        ("seed", &ha.seed.to_string(), &hb.seed.to_string()),
    ] {
        if x != y {
            crate::outln!("header: {what} differs: {x} → {y}")?;
            differs = true;
        }
    }
    if ha.devices != hb.devices || ha.containers != hb.containers {
        crate::outln!("header: device or container name tables differ (each side is decoded with its own)")?;
        differs = true;
    }

    let mut context: VecDeque<(u64, EventRecord)> = VecDeque::with_capacity(args.context.min(64) + 1);
    let mut index: u64 = 0;
    loop {
        let ea = next(&mut ra, &args.a)?;
        let eb = next(&mut rb, &args.b)?;
        if ea == eb {
            let Some(e) = ea else { break };
            if args.context > 0 {
                if context.len() == args.context {
                    context.pop_front();
                }
                context.push_back((index, e));
            }
            index += 1;
            continue;
        }
        crate::outln!("first difference at event #{index} (events are numbered from 0; {index} identical before it):")?;
        for (i, e) in &context {
            crate::outln!("    #{i} {}", describe(e, &ha))?;
        }
        match ea {
            Some(e) => crate::outln!("  A #{index} {}", describe(&e, &ha))?,
            None => crate::outln!("  A ends after {index} events")?,
        }
        match eb {
            Some(e) => crate::outln!("  B #{index} {}", describe(&e, &hb))?,
            None => crate::outln!("  B ends after {index} events")?,
        }
        if let (Some(x), Some(y)) = (ea, eb) {
            crate::outln!("  differs in: {}", differing_fields(&x, &y).join(", "))?;
        }
        return Ok(Outcome::Mismatch);
    }
    if differs {
        crate::outln!("events identical ({index} events), headers differ")?;
        return Ok(Outcome::Mismatch);
    }
    crate::outln!("identical: {index} events")?;
    Ok(Outcome::Success)
}
