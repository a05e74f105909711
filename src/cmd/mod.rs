//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod demo;
pub mod report;
pub mod run;
pub mod table;
pub mod topology;
pub mod trace_diff;

/// What a subcommand returns on failure: bad input or usage (exit 2).
pub type CmdResult = Result<crate::Outcome, Box<dyn std::error::Error>>;

/// Applies `--kernel V` to a loaded scenario: it replaces the file's `kernel` (an unmodelled
/// version is a usage error listing the modelled ones).
pub fn apply_kernel(scenario: &mut sim_core::scenario::Scenario, kernel: Option<&str>) -> Result<(), String> {
    if let Some(text) = kernel {
        scenario.kernel = sim_core::linux::Kernel::parse(text).map_err(|e| format!("--kernel: {e}"))?;
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
