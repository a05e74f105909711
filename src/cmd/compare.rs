//! `iommu-sim compare SCENARIO [--strategies a,b,...] [--kernels 6.1,6.12,...] [--json]`: the
//! same seeded workload under each strategy (and, with `--kernels`, each Linux kernel), side by
//! side (runs in parallel; the output is identical to a sequential run).

use std::path::PathBuf;

use sim_core::linux::Kernel;

use super::{CmdResult, table};
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The scenario file (RON; `-` = stdin, its topology path relative to the current folder).
    pub scenario: PathBuf,
    /// Comma-separated strategies to compare (default: every strategy the scenario lists).
    #[arg(long, value_delimiter = ',', value_parser = super::strategy_values())]
    pub strategies: Vec<String>,
    /// One strategy (the same as `--strategies S`; handy with `--kernels`).
    #[arg(long, conflicts_with = "strategies", value_parser = super::strategy_values())]
    pub strategy: Option<String>,
    /// Model this Linux kernel instead of the scenario's `kernel` ("6.12", "6.15.0", "v6.1",
    /// "proposed"; docs/kernel-versions.md).
    #[arg(long, value_name = "V", conflicts_with = "kernels", value_parser = super::KernelValue)]
    pub kernel: Option<String>,
    /// Comma-separated kernels to put side by side ("6.1,6.12,6.17"): every strategy runs on
    /// each; columns are `strategy@kernel`, oldest kernel first as given.
    #[arg(long, value_delimiter = ',', value_name = "V,...", value_parser = super::KernelValue)]
    pub kernels: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print JSON (contracts.md) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// One table of exact values however wide (default: compact values, split to fit 100 columns).
    #[arg(long)]
    pub wide: bool,
    /// Also write an HTML performance report of the comparison to this file (`-` = stdout,
    /// instead of the table; with --set or --seeds: the sweep report).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Sweep a parameter: `PATH=V1,V2,...` (repeatable; paths as in docs/sweep-format.md).
    #[arg(long = "set", value_name = "PATH=V1,V2,...")]
    pub set: Vec<String>,
    /// Run every point with each of these seeds: `A..B` (both included) or one seed.
    #[arg(long, value_name = "A..B", conflicts_with = "seed")]
    pub seeds: Option<String>,
    /// Also write the results to this file: the JSON of `--json` (contracts.md); with
    /// --set/--seeds, JSON Lines (resumable, like `sweep -o`). `-` = stdout, instead of the table.
    #[arg(short = 'o', long = "output", value_name = "FILE.jsonl")]
    pub output: Option<PathBuf>,
    /// Skip the two no-translation baselines (identity domain, IOMMU off) run beside every
    /// scenario that moves data: faster, but the throughput table has no reference.
    #[arg(long, conflicts_with_all = ["set", "seeds"])]
    pub no_baselines: bool,
    #[command(flatten)]
    pub budget: super::Budget,
}

pub fn run(args: Args) -> CmdResult {
    if !args.set.is_empty() || args.seeds.is_some() {
        let strategies = args.strategies.iter().map(|s| super::parse_strategy(s)).collect::<Result<Vec<_>, _>>()?;
        let grid = if super::io::is_std(&args.scenario) {
            let text = super::io::read_text(&args.scenario)?;
            sim_core::sweep::Grid::from_cli_text(
                std::path::Path::new("<stdin>"),
                Some(&text),
                &args.set,
                args.seeds.as_deref(),
                strategies,
            )?
        } else {
            sim_core::sweep::Grid::from_cli(&args.scenario, &args.set, args.seeds.as_deref(), strategies)?
        };
        return super::sweep::compare_grid(&grid, args.budget, args.output.as_deref(), args.html.as_deref(), args.json);
    }
    let mut scenario = super::io::load_scenario(&args.scenario)?;
    super::apply_kernel(&mut scenario, args.kernel.as_deref())?;
    args.budget.check(&scenario)?;
    let named: Vec<&String> = args.strategy.iter().chain(&args.strategies).collect();
    let explicit = !named.is_empty();
    let strategies =
        if explicit { named.iter().map(|s| super::parse_strategy(s)).collect::<Result<Vec<_>, _>>()? } else { scenario.strategies.clone() };
    let seed = args.seed.unwrap_or(scenario.seed);
    let kernels = if args.kernels.is_empty() {
        vec![scenario.kernel]
    } else {
        let mut ks = Vec::new();
        for k in &args.kernels {
            let k = Kernel::parse(k).map_err(|e| format!("--kernels: {e}"))?;
            if ks.contains(&k) {
                return Err(format!("--kernels: {k} is listed twice").into());
            }
            ks.push(k);
        }
        ks
    };
    let mut results = None;
    for &k in &kernels {
        let mut s = scenario.clone();
        s.set_kernel(k).map_err(|e| e.to_string())?;
        let list = super::strategies_for(k, strategies.clone(), explicit && kernels.len() == 1)?;
        let r = sim_core::runner::run_all_with(&s, &list, seed, !args.no_baselines);
        match &mut results {
            None => results = Some(r),
            Some(all) => all.runs.extend(r.runs),
        }
    }
    let results = results.expect("at least one kernel");
    if let Some(path) = &args.html {
        let html = reports::try_render(&[(results.scenario.as_str(), results.clone())])?;
        super::io::write_text(path, &html)?;
    }
    super::warn_after_duration(&results, scenario.duration);
    if let Some(path) = &args.output {
        if args.html.as_deref().is_some_and(super::io::is_std) && super::io::is_std(path) {
            return Err("compare: --html - and -o - would both write stdout; give one of them a file name".into());
        }
        super::io::write_text(path, &format!("{}\n", serde_json::to_string_pretty(&results)?))?;
    }
    if args.html.as_deref().is_some_and(super::io::is_std) || args.output.as_deref().is_some_and(super::io::is_std) {
        return Ok(Outcome::Success);
    }
    if args.json {
        crate::outln!("{}", serde_json::to_string_pretty(&results)?)?;
    } else {
        crate::out::print(&table::render(&results, args.wide))?;
    }
    Ok(Outcome::Success)
}
