//! `iommu-sim sweep FILE [-o OUT.jsonl] [--shard I/N] [-j N] [-q] [--emit slurm|parallel]`:
//! runs every (point, seed, strategy) of a sweep on all cores and writes one JSON line each
//! (docs/sweep-format.md).
//!
//! Lines are appended in item order as items finish (`exec::run` hands them over in order,
//! holding a few finished ones while an earlier item still runs), so the file is sorted as it
//! grows and a kill loses at most the items running or waiting. Re-running with the same
//! output skips the keys already there: an interrupted sweep resumes by appending, and its
//! final file is the same bytes as an uninterrupted one, whatever the number of workers. Only
//! when the new lines cannot simply follow the old ones (gaps left by Ctrl-C or by an
//! incomplete merge, lines of an edited sweep file) is the file rewritten sorted at the end.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use sim_core::sweep::{Grid, Record, Shard, exec};

use super::results_file::{self, Entry};
use super::{CmdResult, emit};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The sweep file (RON, docs/sweep-format.md; `-` = stdin, the scenario it names relative
    /// to the current folder).
    pub file: PathBuf,
    /// Results file (JSON Lines); resumed if it exists. Default: NAME.jsonl, or
    /// NAME.shard-I-of-N.jsonl for a shard, in the current directory. `-` = stdout (every
    /// line, in order; nothing to resume from).
    #[arg(short = 'o', long = "output", value_name = "FILE.jsonl")]
    pub output: Option<PathBuf>,
    /// Run only slice I of N (1-based). Inside a Slurm array job it defaults to the array task
    /// (SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_COUNT, SLURM_ARRAY_TASK_MIN).
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Worker threads (default: every core).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    pub jobs: Option<usize>,
    /// Print nothing on stderr but errors and warnings: no progress bar (it is also hidden
    /// when stderr is not a terminal), no summary.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print an `sbatch` array script (`slurm`) or a GNU parallel command line (`parallel`)
    /// that runs the sweep in shards, instead of running it.
    #[arg(long, value_name = "ENGINE")]
    pub emit: Option<emit::Engine>,
    #[command(flatten)]
    pub emit_opts: emit::Options,
    #[command(flatten)]
    pub budget: super::Budget,
}

pub fn run(args: Args) -> CmdResult {
    // `sweep -q` is this command's own flag (it shadows the global one): it means the same.
    if args.quiet {
        crate::out::set_quiet(true);
    }
    let grid = if super::io::is_std(&args.file) {
        if args.emit.is_some() {
            return Err("sweep - --emit: the emitted jobs read the sweep file by its path; save it to a file first".into());
        }
        Grid::load_text(std::path::Path::new("<stdin>"), &super::io::read_text(&args.file)?)?
    } else {
        Grid::load(&args.file)?
    };
    if let Some(engine) = args.emit {
        crate::out::print(&emit::render(engine, &args.file, &grid, &args.emit_opts)?)?;
        return Ok(Outcome::Success);
    }
    let shard = match &args.shard {
        Some(s) => Some(Shard::parse(s)?),
        None => Shard::from_slurm(|k| std::env::var(k).ok())?,
    };
    let output = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(match shard {
            Some(s) => format!("{}.shard-{}-of-{}.jsonl", grid.name, s.index, s.count),
            None => format!("{}.jsonl", grid.name),
        })
    });
    // One pool for everything, the up-front checks included, so `-j 1` is one core throughout.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.jobs.unwrap_or(0)).build()?;
    let summary = pool.install(|| -> Result<String, String> {
        grid.validate(args.budget.max_events).map_err(|e| e.to_string())?;
        if super::io::is_std(&output) {
            return run_to_stdout(&grid, shard).map_err(|e| e.to_string());
        }
        run_to_file(&grid, shard, &output, args.quiet).map_err(|e| e.to_string())
    })?;
    crate::out::note(&summary);
    if shard.is_none() && !super::io::is_std(&output) {
        let metrics = if grid.metrics.is_empty() { String::new() } else { format!(" --metrics {}", grid.metrics.join(",")) };
        crate::out::note(&format!("report: iommu-sim report {} -o {}.html{metrics}", output.display(), grid.name));
    }
    Ok(Outcome::Success)
}

/// Runs the items of `shard` (all without one) not yet in `output` on the current rayon pool,
/// appending them in item order (then sorting `output` only if the old lines are not all
/// before the new ones). Returns a one-line summary.
pub fn run_to_file(grid: &Grid, shard: Option<Shard>, output: &Path, quiet: bool) -> Result<String, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let wanted: Vec<u64> = (0..grid.items()).filter(|&i| shard.is_none_or(|s| s.contains(i))).collect();
    let index_of: HashMap<String, u64> = wanted.iter().map(|&i| (grid.key(&grid.item(i)), i)).collect();

    // What is already there (resume).
    let mut done = vec![false; wanted.len()];
    let position = |index: u64| match shard {
        Some(s) => (index / s.count) as usize,
        None => index as usize,
    };
    let mut reused = 0;
    // Whether the lines already there are this grid's, each once, ascending: then new lines,
    // which come in item order, can follow them without a rewrite.
    let mut in_order = true;
    let mut last_index: Option<u64> = None;
    if output.exists() {
        let scan = results_file::scan(output)?;
        if let Some(at) = scan.torn_at {
            eprintln!("{}: dropping an incomplete last line (a run was interrupted while writing it)", output.display());
            OpenOptions::new().write(true).open(output)?.set_len(at)?;
        }
        for e in &scan.entries {
            let Some(&index) = index_of.get(&e.head.key) else {
                return Err(format!(
                    "{}: line for item {} of sweep \"{}\" (key {}) is not part of this {}: write elsewhere (-o) or remove the file",
                    output.display(),
                    e.head.index,
                    e.head.sweep,
                    e.head.key,
                    if shard.is_some() { "shard" } else { "sweep" }
                )
                .into());
            };
            let slot = &mut done[position(index)];
            in_order &= !*slot
                && last_index.is_none_or(|l| l < index)
                && e.head.index == index
                && e.head.grid == grid.id
                && e.head.of == grid.items();
            last_index = Some(index);
            reused += usize::from(!*slot);
            *slot = true;
        }
    }
    let pending: Vec<u64> = wanted.iter().copied().filter(|&i| !done[position(i)]).collect();
    in_order &= match (last_index, pending.first()) {
        (Some(l), Some(&p)) => l < p,
        _ => true,
    };

    // Run, appending each line as it finishes.
    let file = Mutex::new(OpenOptions::new().create(true).append(true).open(output).map_err(|e| format!("{}: {e}", output.display()))?);
    let bar = progress(pending.len() as u64, quiet);
    let write_error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    let written = std::sync::atomic::AtomicUsize::new(0);
    // Called in item order, one at a time.
    let done_fn = |record: Record| {
        let mut line = record.to_line();
        line.push('\n');
        let mut f = file.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = f.write_all(line.as_bytes()) {
            write_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
        }
        drop(f);
        written.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        bar.inc(1);
    };
    exec::run(grid, &pending, &done_fn)?;
    bar.finish_and_clear();
    if let Some(e) = write_error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(format!("{}: cannot write: {e}", output.display()).into());
    }
    let file = file.into_inner().unwrap_or_else(|p| p.into_inner());
    if sim_core::budget::stop_requested() {
        return Err(format!(
            "interrupted: {} finished item(s) are in {}; run the same command again to resume",
            reused + written.load(std::sync::atomic::Ordering::Relaxed),
            output.display()
        )
        .into());
    }

    if in_order && written.load(std::sync::atomic::Ordering::Relaxed) == pending.len() {
        // Already sorted: every old line before every new one, no gaps among the new.
        file.sync_all().map_err(|e| format!("{}: cannot write: {e}", output.display()))?;
    } else {
        drop(file);
        finalize(grid, output, &index_of)?;
    }
    Ok(format!(
        "sweep \"{}\"{}: {} item(s) run, {} already present, in {:.1} s; wrote {}",
        grid.name,
        shard.map_or_else(String::new, |s| format!(" shard {s}")),
        pending.len(),
        reused,
        start.elapsed().as_secs_f64(),
        output.display()
    ))
}

/// `sweep FILE -o -`: every item of `shard` (all without one) printed as a JSON line on
/// stdout in item order, as they finish (`sweep x.ron -o - | jq ...`). Nothing is resumed.
fn run_to_stdout(grid: &Grid, shard: Option<Shard>) -> Result<String, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let wanted: Vec<u64> = (0..grid.items()).filter(|&i| shard.is_none_or(|s| s.contains(i))).collect();
    let error: Mutex<Option<std::io::Error>> = Mutex::new(None);
    exec::run(grid, &wanted, &|record: Record| {
        if let Err(e) = crate::outln!("{}", record.to_line()) {
            error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
        }
    })?;
    if let Some(e) = error.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(format!("<stdout>: cannot write: {e}").into());
    }
    if sim_core::budget::stop_requested() {
        return Err("interrupted: the lines printed are the items finished; nothing to resume from stdout".into());
    }
    Ok(format!(
        "sweep \"{}\"{}: {} item(s) run in {:.1} s; printed on stdout",
        grid.name,
        shard.map_or_else(String::new, |s| format!(" shard {s}")),
        wanted.len(),
        start.elapsed().as_secs_f64()
    ))
}

/// Rewrites `output` sorted by item number, one line per key; lines written under another
/// grid (the sweep file changed but kept these points) are re-numbered.
fn finalize(grid: &Grid, output: &Path, index_of: &HashMap<String, u64>) -> Result<(), Box<dyn std::error::Error>> {
    let scan = results_file::scan(output)?;
    let source = File::open(output)?;
    let mut seen = std::collections::HashSet::new();
    let mut lines: Vec<(u64, usize, &Entry, Option<String>)> = Vec::new();
    for e in &scan.entries {
        if !seen.insert(e.head.key.as_str()) {
            continue;
        }
        let index = index_of[&e.head.key];
        let replacement = if e.head.grid != grid.id || e.head.index != index || e.head.of != grid.items() {
            let mut record: Record = serde_json::from_slice(&results_file::read_line(&source, e)?)?;
            let item = grid.item(index);
            record.sweep = grid.name.clone();
            record.grid = grid.id.clone();
            record.index = index;
            record.of = grid.items();
            record.point = item.point;
            record.coords =
                grid.point_label(item.point).into_iter().map(|(axis, value)| sim_core::sweep::record::Coord { axis, value }).collect();
            Some(record.to_line())
        } else {
            None
        };
        lines.push((index, 0, e, replacement));
    }
    lines.sort_by_key(|l| l.0);
    let lines: Vec<(usize, &Entry, Option<String>)> = lines.into_iter().map(|(_, s, e, r)| (s, e, r)).collect();
    results_file::write_sorted(output, &[source], &lines)?;
    Ok(())
}

/// A progress bar with ETA on a terminal; hidden with `-q` or when stderr is not a terminal.
fn progress(total: u64, quiet: bool) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} runs, ETA {eta}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// `compare SCENARIO --set PATH=V1,V2 --seeds A..B`: runs the grid (into `output` when given,
/// resumable like `sweep`) and prints per point and strategy the mean over seeds of a few
/// headline metrics, or the JSON lines with `--json`; `html`: the sweep report too.
pub fn compare_grid(grid: &Grid, budget: super::Budget, output: Option<&Path>, html: Option<&Path>, json: bool) -> CmdResult {
    grid.validate(budget.max_events)?;
    // `-o -`: the JSON lines on stdout, as `--json` prints them.
    let json = json || output.is_some_and(super::io::is_std);
    let output = output.filter(|p| !super::io::is_std(p));
    let records: Vec<Record> = match output {
        Some(path) => {
            crate::out::note(&run_to_file(grid, None, path, crate::out::quiet())?);
            let text = std::fs::read_to_string(path)?;
            text.lines().map(serde_json::from_str).collect::<Result<_, _>>()?
        }
        None => {
            let all: Vec<u64> = (0..grid.items()).collect();
            let out = Mutex::new(Vec::new());
            exec::run(grid, &all, &|r| out.lock().unwrap_or_else(|p| p.into_inner()).push(r))?;
            if sim_core::budget::stop_requested() {
                return Err("interrupted: no table (results would be partial)".into());
            }
            // In item order already (exec::run).
            out.into_inner().unwrap_or_else(|p| p.into_inner())
        }
    };
    if let Some(path) = html {
        super::io::write_text(path, &reports::sweep::render(&records, &grid.metrics))?;
        if super::io::is_std(path) {
            return Ok(Outcome::Success);
        }
    }
    if json {
        let mut text = String::new();
        for r in &records {
            text.push_str(&r.to_line());
            text.push('\n');
        }
        crate::out::print(&text)?;
    } else {
        crate::out::print(&summary_table(grid, &records))?;
    }
    Ok(Outcome::Success)
}

/// One row per point and strategy: the mean over seeds of headline metrics.
fn summary_table(grid: &Grid, records: &[Record]) -> String {
    use std::fmt::Write as _;
    const COLS: [&str; 5] = ["domains_peak", "pagetable_bytes_peak", "iotlb_hit_permille", "dma_latency_mean", "faults"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header: Vec<String> = grid.axes.iter().map(|a| a.label.clone()).collect();
    header.extend(["strategy".to_string(), "seeds".to_string()]);
    header.extend(COLS.iter().map(|c| format!("{c} (mean)")));
    rows.push(header);
    let mut groups: std::collections::BTreeMap<(u64, usize), Vec<&Record>> = Default::default();
    for r in records {
        let s = grid.strategies.iter().position(|s| s.to_string() == r.strategy).unwrap_or(0);
        groups.entry((r.point, s)).or_default().push(r);
    }
    for ((point, _), rs) in &groups {
        let mut row: Vec<String> = grid.point_label(*point).into_iter().map(|(_, v)| v).collect();
        row.push(rs[0].strategy.clone());
        row.push(rs.len().to_string());
        for c in COLS {
            let sum: u128 = rs.iter().map(|r| u128::from(r.metric(c).unwrap_or(0))).sum();
            row.push((sum / rs.len() as u128).to_string());
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len()).map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0)).collect();
    let mut out = format!(
        "sweep of {} ({} points × {} seeds × {} strategies)\n",
        grid.scenario_path.display(),
        grid.points(),
        grid.seeds.count(),
        grid.strategies.len()
    );
    for row in &rows {
        for (i, (v, w)) in row.iter().zip(&widths).enumerate() {
            let _ = if i == 0 { write!(out, "{v:<w$}") } else { write!(out, "  {v:>w$}") };
        }
        out.push('\n');
    }
    out
}

/// `report results.jsonl -o sweep.html [--csv F] [--metrics a,b]`: the sweep report, when the
/// inputs are sweep results (a `.jsonl` name, or a first line that is a results line); `None`
/// for ordinary results files.
pub fn report(
    inputs: &[PathBuf],
    stdin: Option<&str>,
    output: &Path,
    csv: Option<&Path>,
    metrics: &[String],
) -> Result<Option<Outcome>, Box<dyn std::error::Error>> {
    // `-`: the text of stdin, read once by the caller.
    let read = |p: &Path| -> Result<String, String> {
        match stdin {
            Some(t) if super::io::is_std(p) => Ok(t.to_string()),
            _ => std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display())),
        }
    };
    let is_sweep = |p: &Path| {
        p.extension().is_some_and(|e| e == "jsonl")
            || read(p).ok().and_then(|t| t.lines().next().map(|l| serde_json::from_str::<results_file::Head>(l).is_ok())).unwrap_or(false)
    };
    if !inputs.iter().any(|p| is_sweep(p)) {
        if csv.is_some() || !metrics.is_empty() {
            return Err("--csv and --metrics apply to sweep results (JSON Lines from `iommu-sim sweep`)".into());
        }
        return Ok(None);
    }
    if super::io::is_std(output) && csv.is_some_and(super::io::is_std) {
        return Err("report: -o - and --csv - would both write stdout; give one of them a file name".into());
    }
    let mut records: Vec<Record> = Vec::new();
    for path in inputs {
        let text = read(path)?;
        let name = super::io::label(path);
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            records.push(serde_json::from_str(line).map_err(|e| format!("{name}:{}: not a sweep results line: {e}", i + 1))?);
        }
    }
    if records.is_empty() {
        return Err("no results lines in the given files".into());
    }
    for m in metrics {
        if !reports::sweep::metric_names().contains(&m.as_str()) {
            return Err(format!("--metrics: unknown metric \"{m}\"").into());
        }
    }
    super::io::write_text(output, &reports::sweep::render(&records, metrics))?;
    if let Some(csv) = csv {
        super::io::write_text(csv, &reports::sweep::csv(&records))?;
    }
    Ok(Some(Outcome::Success))
}
