//! `iommu-sim` (no arguments) / `iommu-sim demo`: the bundled default scenario under every
//! strategy, the comparison table on stdout and `report.html` in the current folder. The
//! scenario and every bundled topology are compiled into the binary, so this works from any
//! folder with nothing else installed.

use std::path::{Path, PathBuf};

use sim_core::scenario::Scenario;
use sim_core::topology::Platform;

use super::{CmdResult, table};
use crate::Outcome;

/// The default scenario, as shipped in `scenarios/default.ron`.
const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.ron");

/// Every bundled topology, by the file name a scenario refers to.
const TOPOLOGIES: &[(&str, &str)] = &[
    ("arm-server.ron", include_str!("../../topologies/arm-server.ron")),
    ("arm-soc.ron", include_str!("../../topologies/arm-soc.ron")),
    ("epyc.ron", include_str!("../../topologies/epyc.ron")),
    ("mixed-arm.ron", include_str!("../../topologies/mixed-arm.ron")),
    ("xeon-2s.ron", include_str!("../../topologies/xeon-2s.ron")),
];

#[derive(clap::Args, Debug, Default)]
pub struct Args {
    /// Where to write the HTML report (`-` = stdout, instead of the table).
    #[arg(short, long, default_value = "report.html")]
    pub output: Option<PathBuf>,
    /// Print the results as JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// One table of exact values however wide (default: compact values, split to fit 100 columns).
    #[arg(long)]
    pub wide: bool,
}

/// The embedded default scenario, resolved against its embedded topology.
pub fn default_scenario() -> Result<Scenario, Box<dyn std::error::Error>> {
    let label = Path::new("scenarios/default.ron");
    let parsed: sim_core::scenario::schema::Scenario = sim_core::error::parse_ron(label, DEFAULT_SCENARIO)?;
    let file = Path::new(&parsed.topology).file_name().and_then(|f| f.to_str()).unwrap_or_default();
    let (name, text) = TOPOLOGIES
        .iter()
        .find(|(n, _)| *n == file)
        .ok_or_else(|| format!("the default scenario names topology {}, which is not bundled", parsed.topology))?;
    let platform = Platform::parse(&Path::new("topologies").join(name), text)?;
    Ok(Scenario::from_parts(label, DEFAULT_SCENARIO, platform)?)
}

pub fn run(args: Args) -> CmdResult {
    let scenario = default_scenario()?;
    let results = match super::observe::Progress::bar(&scenario, scenario.strategies.len()) {
        None => sim_core::runner::run_all(&scenario, &scenario.strategies, scenario.seed),
        Some(bar) => {
            let (results, _) = super::run::run_watched(
                &scenario,
                &scenario.strategies,
                scenario.seed,
                super::run::Watching { trace: None, log: false, bar: Some(bar.clone()), baselines: true },
            )?;
            bar.finish_and_clear();
            results
        }
    };
    super::warn_after_duration(&results, scenario.duration);
    let to_stdout = args.output.as_deref().is_some_and(super::io::is_std);
    if args.json && !to_stdout {
        crate::outln!("{}", serde_json::to_string_pretty(&results)?)?;
    } else if !to_stdout {
        crate::out::print(&table::render(&results, args.wide))?;
    }
    let output = args.output.unwrap_or_else(|| PathBuf::from("report.html"));
    let html = reports::try_render(&[(scenario.name.as_str(), results)])?;
    super::io::write_text(&output, &html)?;
    Ok(Outcome::Success)
}
