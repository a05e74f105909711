//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod completions;
pub mod demo;
pub mod emit;
pub mod import;
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
/// answered with clap's "did you mean"; deprecated aliases (`hard-fail`) are accepted, hidden.
pub fn strategy_values() -> clap::builder::PossibleValuesParser {
    use clap::builder::PossibleValue;
    let names = sim_core::strategy::StrategyName::ALL.map(|n| PossibleValue::new(n.as_str()));
    let aliases = sim_core::strategy::StrategyName::ALIASES.iter().map(|a| PossibleValue::new(a.0).hide(true));
    clap::builder::PossibleValuesParser::new(names.into_iter().chain(aliases))
}

/// Applies `--kernel V` to a loaded scenario: it replaces the file's `kernel` (an unmodelled
/// version is a usage error listing the modelled ones).
pub fn apply_kernel(scenario: &mut sim_core::scenario::Scenario, kernel: Option<&str>) -> Result<(), String> {
    if let Some(text) = kernel {
        let k = sim_core::linux::Kernel::parse(text).map_err(|e| format!("--kernel: {e}"))?;
        scenario.set_kernel(k).map_err(|e| e.to_string())?;
    }
    if scenario.kernel.attach_rules_approximated() {
        eprintln!(
            "note: kernel {}: IOMMU groups follow its PCI quirks; attach rules are v{}'s (older attach rules are not modelled)",
            scenario.kernel,
            sim_core::linux::KernelVersion::OLDEST
        );
    }
    Ok(())
}

/// Parses strategy names given on the command line, printing the deprecation note of an old
/// name (`hard-fail`) on stderr.
pub fn parse_strategy(name: &str) -> Result<sim_core::strategy::StrategyName, String> {
    if let Some(note) = sim_core::strategy::StrategyName::deprecation(name) {
        eprintln!("note: {note}");
    }
    sim_core::strategy::StrategyName::parse(name)
}

/// The strategies to run on `kernel`: explicitly named ones must exist there (error),
/// implicit ones (the scenario's list) that do not are skipped with a note on stderr.
pub fn strategies_for(
    kernel: sim_core::linux::Kernel,
    list: Vec<sim_core::strategy::StrategyName>,
    explicit: bool,
) -> Result<Vec<sim_core::strategy::StrategyName>, String> {
    let (keep, notes) = sim_core::runner::available(&list, kernel);
    if explicit && let Some(n) = notes.first() {
        return Err(n.trim_start_matches("skipped ").to_string());
    }
    for n in notes {
        eprintln!("note: {n}");
    }
    Ok(keep)
}

/// `--kernel`/`--kernels` values: any modelled release parses ("6.12.3", "v6.1"), and `--help`
/// lists one release per era as its possible values (docs/kernel-versions.md).
#[derive(Clone)]
pub struct KernelValue;

impl clap::builder::TypedValueParser for KernelValue {
    type Value = String;

    fn parse_ref(&self, cmd: &clap::Command, arg: Option<&clap::Arg>, value: &std::ffi::OsStr) -> Result<String, clap::Error> {
        let text = clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)?;
        match sim_core::linux::Kernel::parse(&text) {
            Ok(_) => Ok(text),
            Err(e) => {
                let name = arg.map_or_else(|| "--kernel".to_string(), |a| a.to_string());
                Err(clap::Error::raw(clap::error::ErrorKind::InvalidValue, format!("invalid value '{text}' for '{name}': {e}\n"))
                    .with_cmd(cmd))
            }
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        use sim_core::linux::Era;
        Some(Box::new(Era::ALL.iter().map(|e| clap::builder::PossibleValue::new(e.representative()).help(e.as_str()))))
    }
}
