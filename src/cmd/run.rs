//! `iommu-sim run SCENARIO [--strategy NAME] [--seed N] [--json] [--trace FILE]`: runs one
//! scenario under every strategy it lists (or the one named) and prints a summary.

use std::path::{Path, PathBuf};

use sim_core::metrics::{Results, RunResult};
use sim_core::scenario::Scenario;
use sim_core::strategy::StrategyName;
use sim_core::trace::{TraceHeader, TraceWriter};

use super::observe::{LogLine, Progress, Watch};
use super::{CmdResult, table};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (RON; `-` = stdin, its topology path relative to the current folder).
    pub scenario: PathBuf,
    /// Run only this strategy instead of every strategy the scenario lists.
    #[arg(long, value_parser = super::strategy_values())]
    pub strategy: Option<String>,
    /// Model this Linux kernel instead of the scenario's `kernel` ("6.12", "6.15.0", "v6.1",
    /// "proposed"; docs/kernel-versions.md).
    #[arg(long, value_name = "V", value_parser = super::KernelValue)]
    pub kernel: Option<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print JSON (contracts.md) instead of the readable summary.
    #[arg(long)]
    pub json: bool,
    /// One table of exact values however wide (default: compact values, split to fit 100 columns).
    #[arg(long)]
    pub wide: bool,
    /// Stream every processed event to this binary trace file (docs/trace-format.md). With
    /// several strategies, one file per strategy beside it: `out.trace` →
    /// `out.per-group.trace`, ... (`out` → `out.per-group.trace`). `-` = stdout (one strategy
    /// only, never a terminal); the summary then goes to stderr.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,
    /// Also write the results JSON (what `--json` prints; contracts.md) to this file
    /// (`-` = stdout, instead of the summary).
    #[arg(short = 'o', long = "output", value_name = "FILE.json")]
    pub output: Option<PathBuf>,
    /// Print the kernel log lines the modelled drivers would print (what `log_lines` counts),
    /// per strategy, with the Linux source of each, after the summary (on stderr with --json).
    #[arg(long)]
    pub log: bool,
    /// Skip the two no-translation baselines (identity domain, IOMMU off) that are run beside
    /// every scenario that moves data: faster, but the throughput table has no reference.
    #[arg(long)]
    pub no_baselines: bool,
    #[command(flatten)]
    pub budget: super::Budget,
}

pub fn run(args: Args) -> CmdResult {
    let mut scenario = super::io::load_scenario(&args.scenario)?;
    super::apply_kernel(&mut scenario, args.kernel.as_deref())?;
    let strategies = match &args.strategy {
        Some(s) => super::strategies_for(scenario.kernel, vec![super::parse_strategy(s)?], true)?,
        None => super::strategies_for(scenario.kernel, scenario.strategies.clone(), false)?,
    };
    let seed = args.seed.unwrap_or(scenario.seed);
    let trace_to_stdout = args.trace.as_deref().is_some_and(super::io::is_std);
    if trace_to_stdout {
        check_trace_to_stdout(&strategies)?;
        if args.output.as_deref().is_some_and(super::io::is_std) {
            return Err("run: --trace - and -o - would both write stdout; give one of them a file name".into());
        }
    }
    args.budget.check(&scenario)?;
    let bar = Progress::bar(&scenario, strategies.len());
    let (results, logs) = if args.trace.is_none() && !args.log && bar.is_none() {
        (sim_core::runner::run_all_with(&scenario, &strategies, seed, !args.no_baselines), Vec::new())
    } else {
        let watch = Watching { trace: args.trace.as_deref(), log: args.log, bar: bar.clone(), baselines: !args.no_baselines };
        run_watched(&scenario, &strategies, seed, watch)?
    };
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    super::warn_after_duration(&results, scenario.duration);
    let json_to_stdout = args.output.as_deref().is_some_and(super::io::is_std);
    if let Some(path) = &args.output {
        super::io::write_text(path, &format!("{}\n", serde_json::to_string_pretty(&results)?))?;
    }
    // With `--trace -` stdout carries the trace: everything else goes to stderr.
    let summary = if args.json { format!("{}\n", serde_json::to_string_pretty(&results)?) } else { table::render(&results, args.wide) };
    if trace_to_stdout {
        eprint!("{summary}")
    } else if !json_to_stdout {
        crate::out::print(&summary)?
    }
    if args.log {
        let text = render_log(&strategies, &logs);
        // Keep stdout pure JSON with --json.
        if args.json || trace_to_stdout || json_to_stdout { eprint!("{text}") } else { crate::out::print(&text)? }
    }
    Ok(Outcome::Success)
}

/// `--trace -` writes one binary trace on stdout: refused for several strategies (their
/// traces would be interleaved in one stream) and when stdout is a terminal.
fn check_trace_to_stdout(strategies: &[StrategyName]) -> Result<(), String> {
    use std::io::IsTerminal as _;
    if strategies.len() > 1 {
        let names: Vec<String> = strategies.iter().map(ToString::to_string).collect();
        return Err(format!(
            "--trace -: stdout can carry the trace of one strategy, but this run has {} ({}); \
             pick one with `--strategy NAME`, or give a file name to get one trace per strategy",
            strategies.len(),
            names.join(", ")
        ));
    }
    if std::io::stdout().is_terminal() {
        return Err("--trace -: the trace is binary and stdout is a terminal; redirect it (`> run.trace`) or pipe it \
                    (`| iommu-sim trace-diff - other.trace`)"
            .into());
    }
    Ok(())
}

/// The `--log` section: per strategy, each line with its cycle and its source in Linux.
fn render_log(strategies: &[StrategyName], logs: &[Vec<LogLine>]) -> String {
    use std::fmt::Write as _;
    let mut out = String::from("\nkernel log (the lines the modelled drivers print; log_lines counts them):\n");
    for (name, lines) in strategies.iter().zip(logs) {
        if lines.is_empty() {
            let _ = writeln!(out, "[{name}] (nothing)");
            continue;
        }
        let _ = writeln!(out, "[{name}]");
        for l in lines {
            let _ = writeln!(out, "  [cycle {:>12}] {}\n  {:>22} source: {}", l.cycle, l.text, "", l.source);
        }
    }
    out
}

/// The trace file of `strategy`: `file` itself when only one strategy runs, else
/// `STEM.STRATEGY.trace` beside it, whatever its extension (`out.trace` and `out` →
/// `out.vfio-type1.trace`).
pub fn trace_path(file: &Path, strategy: StrategyName, several: bool) -> PathBuf {
    if !several {
        return file.to_path_buf();
    }
    let stem = file.file_stem().map_or_else(|| "trace".into(), |s| s.to_string_lossy().into_owned());
    file.with_file_name(format!("{stem}.{strategy}.trace"))
}

/// Refuses trace paths that are folders or would overwrite an input (the scenario or its
/// topology), before anything runs.
fn check_trace_paths(scenario: &Scenario, paths: &[PathBuf]) -> Result<(), String> {
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    };
    let topology = scenario.path.parent().unwrap_or(Path::new(".")).join(&scenario.topology_file);
    for p in paths {
        if p.is_dir() || p.file_name().is_none() {
            return Err(format!("--trace {}: is a folder; give a file name (e.g. {}/run.trace)", p.display(), p.display()));
        }
        for input in [&scenario.path, &topology] {
            if same(p, input) {
                return Err(format!("--trace {}: would overwrite the input file {}", p.display(), input.display()));
            }
        }
    }
    Ok(())
}

/// One strategy's run with its trace streamed to stdout (`--trace -`); a reader that closes the
/// pipe early (`| head -c 100`) ends the trace quietly.
fn run_to_stdout(
    scenario: &Scenario,
    name: StrategyName,
    seed: u64,
    log: bool,
    bar: Option<std::sync::Arc<indicatif::ProgressBar>>,
) -> Result<(RunResult, Vec<LogLine>), String> {
    let fail = |e: std::io::Error| format!("<stdout>: cannot write trace: {e}");
    let out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout());
    let mut w = match TraceWriter::new(out, &TraceHeader::for_run(scenario, name, seed)) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => None,
        other => Some(other.map_err(fail)?),
    };
    let mut watch = Watch {
        scenario,
        trace: w.as_mut().map(|w| w as &mut dyn sim_core::sim::Observer),
        log: log.then(Vec::new),
        progress: bar.map(Progress::new),
    };
    let run = sim_core::sim::run(scenario, name, seed, Some(&mut watch));
    let lines = watch.log.take().unwrap_or_default();
    match w.map(TraceWriter::finish) {
        Some(Err(e)) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(fail(e)),
        _ => {}
    }
    Ok((run, lines))
}

/// Results and, per strategy, its kernel log lines.
pub type Watched = (Results, Vec<Vec<LogLine>>);

/// What [`run_watched`] observes, and whether it also runs the baselines.
pub struct Watching<'a> {
    /// Trace file (one per strategy beside it with several), `-` = stdout.
    pub trace: Option<&'a Path>,
    /// Collect the kernel log lines.
    pub log: bool,
    pub bar: Option<std::sync::Arc<indicatif::ProgressBar>>,
    /// Run the no-translation baselines too (`runner::run_all`).
    pub baselines: bool,
}

/// Like `runner::run_all`, with an observer on each run: trace writer, kernel log, progress
/// (strategies still run in parallel; each writes its own trace). Results and logs come back
/// in strategy order.
pub fn run_watched(
    scenario: &Scenario,
    strategies: &[StrategyName],
    seed: u64,
    w: Watching<'_>,
) -> Result<Watched, Box<dyn std::error::Error>> {
    use rayon::prelude::*;
    let Watching { trace, log, bar, baselines } = w;
    let several = strategies.len() > 1;
    let to_stdout = trace.is_some_and(super::io::is_std);
    if to_stdout {
        check_trace_to_stdout(strategies)?;
    } else if let Some(file) = trace {
        let mut paths: Vec<PathBuf> = strategies.iter().map(|&s| trace_path(file, s, several)).collect();
        paths.push(file.to_path_buf());
        check_trace_paths(scenario, &paths)?;
    }
    let runs = strategies
        .par_iter()
        .map(|&name| -> Result<(RunResult, Vec<LogLine>), String> {
            if to_stdout {
                return run_to_stdout(scenario, name, seed, log, bar.clone());
            }
            let mut writer = match trace {
                None => None,
                Some(file) => {
                    let path = trace_path(file, name, several);
                    let w = TraceWriter::create(&path, &TraceHeader::for_run(scenario, name, seed))
                        .map_err(|e| format!("{}: cannot write trace: {e}", path.display()))?;
                    Some((path, w))
                }
            };
            let mut watch = Watch {
                scenario,
                trace: writer.as_mut().map(|(_, w)| w as &mut dyn sim_core::sim::Observer),
                log: log.then(Vec::new),
                progress: bar.clone().map(Progress::new),
            };
            let run = sim_core::sim::run(scenario, name, seed, Some(&mut watch));
            let lines = watch.log.take().unwrap_or_default();
            if let Some((path, w)) = writer {
                w.commit().map_err(|e| format!("{}: cannot write trace: {e}", path.display()))?;
            }
            Ok((run, lines))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let (runs, logs): (Vec<RunResult>, Vec<Vec<LogLine>>) = runs.into_iter().unzip();
    let mut results = sim_core::runner::results(scenario, seed, runs);
    if baselines {
        results.baselines = sim_core::runner::baselines(scenario, strategies, seed);
    }
    Ok((results, logs))
}
