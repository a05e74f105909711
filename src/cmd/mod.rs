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
