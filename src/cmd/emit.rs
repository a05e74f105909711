//! `sweep FILE --emit slurm|parallel`: the job description that runs a sweep in shards on an
//! engine users already have, instead of a scheduler of our own. Every path in it is absolute
//! (the binary, the sweep file, the output directory), so it runs from any directory.
//!
//! - Slurm: an `sbatch` array script, one task per shard (`--array=1-N%K`, at most K at once);
//!   each task runs `sweep` with no `--shard`, which reads its slice from the array variables.
//! - GNU parallel: one command line; `--joblog` with `--resume` makes a rerun skip the shards
//!   that finished (and each shard resumes its own results file).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sim_core::sweep::Grid;

/// Which engine to write for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    Slurm,
    Parallel,
}

/// What `--emit` writes into the job description.
#[derive(clap::Args, Debug, Default)]
pub struct Options {
    /// With --emit: the number of shards (array tasks / parallel jobs).
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub shards: u64,
    /// With --emit slurm: at most K array tasks run at once (`%K`); default: all.
    #[arg(long, value_name = "K")]
    pub throttle: Option<u64>,
    /// With --emit: worker threads per shard (`--cpus-per-task`; parallel: `sweep -j`).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub cpus_per_task: u64,
    /// With --emit slurm: memory per task (`--mem`, e.g. 2G).
    #[arg(long, value_name = "SIZE")]
    pub mem: Option<String>,
    /// With --emit slurm: time limit per task (`--time`, e.g. 01:00:00).
    #[arg(long, value_name = "TIME")]
    pub time: Option<String>,
    /// With --emit slurm: the partition (`--partition`).
    #[arg(long, value_name = "NAME")]
    pub partition: Option<String>,
    /// With --emit parallel: how many shards run at once (`parallel --jobs`); default: all.
    #[arg(long, value_name = "N")]
    pub parallel_jobs: Option<u64>,
    /// With --emit: where shard results, logs and the joblog go (created); default:
    /// NAME-shards in the current directory.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

/// Quotes a word for a POSIX shell when it needs it.
fn sh(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+=:,%@".contains(c)) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

fn absolute(p: &Path) -> Result<PathBuf, String> {
    std::path::absolute(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// The job description. Creates the output directory (Slurm opens log files there before the
/// task starts).
pub fn render(engine: Engine, file: &Path, grid: &Grid, o: &Options) -> Result<String, Box<dyn std::error::Error>> {
    if o.shards == 0 || o.cpus_per_task == 0 {
        return Err("--shards and --cpus-per-task must be ≥ 1".into());
    }
    let exe = std::env::current_exe()?;
    let (exe, file) = (sh(&exe.to_string_lossy()), sh(&absolute(file)?.to_string_lossy()));
    let dir = absolute(&o.out_dir.clone().unwrap_or_else(|| PathBuf::from(format!("{}-shards", grid.name))))?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let d = dir.to_string_lossy().into_owned();
    let n = o.shards;
    let merged = sh(&format!("{d}/results.jsonl"));
    let mut s = String::new();
    match engine {
        Engine::Slurm => {
            let throttle = o.throttle.map_or_else(String::new, |k| format!("%{k}"));
            let _ = writeln!(s, "#!/bin/bash");
            let _ = writeln!(s, "#SBATCH --job-name={}", sh(&format!("iommu-sim-{}", grid.name)));
            let _ = writeln!(s, "#SBATCH --array=1-{n}{throttle}");
            let _ = writeln!(s, "#SBATCH --ntasks=1");
            let _ = writeln!(s, "#SBATCH --cpus-per-task={}", o.cpus_per_task);
            for (flag, v) in [("mem", &o.mem), ("time", &o.time), ("partition", &o.partition)] {
                if let Some(v) = v {
                    let _ = writeln!(s, "#SBATCH --{flag}={}", sh(v));
                }
            }
            let _ = writeln!(s, "#SBATCH --output={}", sh(&format!("{d}/slurm-%A_%a.out")));
            let _ =
                writeln!(s, "# iommu-sim sweep \"{}\": {} items in {n} shards. Submit with `sbatch THIS_FILE`;", grid.name, grid.items());
            let _ = writeln!(s, "# when every task is done:  {exe} merge {}/shard-*.jsonl -o {merged}", sh(&d));
            let _ = writeln!(s, "# A failed or cancelled task can simply be resubmitted: its shard file resumes.");
            let _ = writeln!(s, "set -euo pipefail");
            let _ = writeln!(
                s,
                "exec {exe} sweep {file} -j \"${{SLURM_CPUS_PER_TASK:-1}}\" -o {}\"/shard-${{SLURM_ARRAY_TASK_ID}}.jsonl\"",
                sh(&d)
            );
        }
        Engine::Parallel => {
            let jobs = o.parallel_jobs.unwrap_or(n);
            let shards: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
            let _ =
                writeln!(s, "# iommu-sim sweep \"{}\": {} items in {n} shards; rerun the same line to resume.", grid.name, grid.items());
            let _ = writeln!(
                s,
                "parallel --will-cite --jobs {jobs} --halt soon,fail=1 --joblog {} --resume {exe} sweep {file} -j {} --shard {{}}/{n} -o {} ::: {} && {exe} merge {}/shard-*.jsonl -o {merged}",
                sh(&format!("{d}/parallel.joblog")),
                o.cpus_per_task,
                sh(&format!("{d}/shard-{{}}.jsonl")),
                shards.join(" "),
                sh(&d),
            );
        }
    }
    Ok(s)
}
