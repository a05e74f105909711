//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod demo;
pub mod emit;
pub mod merge;
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
