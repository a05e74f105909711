//! `iommu-sim merge SHARDS... -o results.jsonl`: combines shard results files into one,
//! sorted by item number — byte for byte what a single-machine `sweep` writes. Reports
//! duplicate keys (kept once when identical) and missing items; exits 1 when items are
//! missing or two lines of one key disagree (the merged file is still written), 2 when the
//! files belong to different sweeps.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;

use super::CmdResult;
use super::results_file::{self, Entry};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Shard results files (from `sweep --shard` or a Slurm array), any order (`-` = stdin,
    /// once).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// The merged results file (`-` = stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE.jsonl")]
    pub output: PathBuf,
}

pub fn run(args: Args) -> CmdResult {
    let mut scans = Vec::with_capacity(args.shards.len());
    let mut files = Vec::with_capacity(args.shards.len());
    if args.shards.iter().filter(|p| super::io::is_std(p)).count() > 1 {
        return Err("merge: `-` (stdin) can be given only once".into());
    }
    for path in &args.shards {
        let file: File = results_file::open(path)?;
        let scan = results_file::scan_file(&file, std::path::Path::new(&super::io::label(path)))?;
        if scan.torn_at.is_some() {
            eprintln!("{}: ignoring an incomplete last line (the shard was interrupted; rerun it to resume)", super::io::label(path));
        }
        files.push(file);
        scans.push(scan);
    }
    // Every line must come from the same sweep.
    let first = scans.iter().flat_map(|s| s.entries.first()).next().map(|e| e.head.clone());
    let Some(first) = first else { return Err("no results lines in the given files".into()) };
    for (scan, path) in scans.iter().zip(&args.shards) {
        if let Some(e) = scan.entries.iter().find(|e| e.head.grid != first.grid || e.head.of != first.of) {
            return Err(format!(
                "{}: item {} belongs to sweep \"{}\" (grid {}), not \"{}\" (grid {}) like {}: merge shards of one sweep only",
                path.display(),
                e.head.index,
                e.head.sweep,
                e.head.grid,
                first.sweep,
                first.grid,
                args.shards[0].display()
            )
            .into());
        }
    }

    let mut by_index: HashMap<u64, (usize, &Entry)> = HashMap::new();
    let (mut duplicates, mut conflicts) = (0usize, 0usize);
    for (s, scan) in scans.iter().enumerate() {
        for e in &scan.entries {
            match by_index.get(&e.head.index) {
                None => {
                    by_index.insert(e.head.index, (s, e));
                }
                Some(&(s0, e0)) => {
                    let same =
                        e0.head.key == e.head.key && results_file::read_line(&files[s0], e0)? == results_file::read_line(&files[s], e)?;
                    let (a, b) = (args.shards[s0].display(), args.shards[s].display());
                    if same {
                        duplicates += 1;
                        if duplicates <= 10 {
                            eprintln!("duplicate: item {} (key {}) in {a} and {b}, identical: kept once", e.head.index, e.head.key);
                        }
                    } else {
                        conflicts += 1;
                        eprintln!("conflict: item {} (key {}) differs between {a} and {b}: kept the first", e.head.index, e.head.key);
                    }
                }
            }
        }
    }
    let mut lines: Vec<(u64, usize, &Entry)> = by_index.into_iter().map(|(i, (s, e))| (i, s, e)).collect();
    lines.sort_by_key(|l| l.0);
    let missing: Vec<u64> = {
        let present: std::collections::BTreeSet<u64> = lines.iter().map(|l| l.0).collect();
        (0..first.of).filter(|i| !present.contains(i)).collect()
    };
    let out: Vec<(usize, &Entry, Option<String>)> = lines.iter().map(|&(_, s, e)| (s, e, None)).collect();
    results_file::write_sorted(&args.output, &files, &out)?;
    eprintln!(
        "merged {} of {} item(s) of sweep \"{}\" from {} file(s) into {}; {} duplicate(s), {} conflict(s), {} missing",
        lines.len(),
        first.of,
        first.sweep,
        args.shards.len(),
        args.output.display(),
        duplicates,
        conflicts,
        missing.len()
    );
    if !missing.is_empty() {
        eprintln!(
            "missing items: {}\n(to fill them in: iommu-sim sweep SWEEP.ron -o {} — it resumes from the merged file)",
            results_file::ranges(&missing, 12),
            args.output.display()
        );
    }
    Ok(if missing.is_empty() && conflicts == 0 { Outcome::Success } else { Outcome::Mismatch })
}
