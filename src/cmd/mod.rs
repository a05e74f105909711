//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod completions;
pub mod demo;
pub mod emit;
pub mod io;
pub mod merge;
pub mod observe;
pub mod report;
pub mod results_file;
pub mod run;
pub mod sweep;
pub mod table;
pub mod topology;
pub mod trace_diff;

/// What a subcommand returns on failure: bad input or usage (exit 2).
pub type CmdResult = Result<crate::Outcome, Box<dyn std::error::Error>>;

/// `--max-events N`: the work budget of one strategy's run (sim_core::budget, docs/limits.md).
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Budget {
    /// Refuse runs estimated above N work units per strategy (events + DMA pages +
    /// page-table entries; docs/limits.md).
    #[arg(long, value_name = "N", default_value_t = sim_core::budget::DEFAULT_MAX_EVENTS,
          value_parser = clap::value_parser!(u64).range(1..=sim_core::budget::MAX_MAX_EVENTS))]
    pub max_events: u64,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget { max_events: sim_core::budget::DEFAULT_MAX_EVENTS }
    }
}

impl Budget {
    /// Refuses `scenario` up front if its estimated work is above the budget.
    pub fn check(&self, scenario: &sim_core::scenario::Scenario) -> Result<(), String> {
        sim_core::budget::check(scenario, self.max_events).map(|_| ())
    }
}

/// Warns on stderr when a run ended with operations still due (after the scenario's
/// `duration`): they were not run, which silently changes what the results mean.
pub fn warn_after_duration(results: &sim_core::metrics::Results, duration: u64) {
    let Some(most) = results.runs.iter().map(|r| r.events_after_duration).max().filter(|n| *n > 0) else { return };
    let which: Vec<&str> = results.runs.iter().filter(|r| r.events_after_duration > 0).map(|r| r.strategy.as_str()).collect();
    let who = if which.len() == results.runs.len() { "every strategy".to_string() } else { reports::fmt::join_names(&which) };
    eprintln!(
        "warning: scenario {}: {most} operation(s) due after its duration ({duration} cycles) were not run ({who}); \
         raise `duration` or end them earlier (results: events_after_duration)",
        results.scenario
    );
}

/// Strategy names as clap `possible values`: listed in `--help` and completions, misspellings
/// answered with clap's "did you mean".
pub fn strategy_values() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(sim_core::strategy::StrategyName::ALL.map(|n| n.as_str()))
}
