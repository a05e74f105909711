//! One module per subcommand.

pub mod check;
pub mod compare;
pub mod demo;
pub mod import;
pub mod report;
pub mod run;
pub mod table;
pub mod topology;
pub mod trace_diff;

/// What a subcommand returns on failure: bad input or usage (exit 2).
pub type CmdResult = Result<crate::Outcome, Box<dyn std::error::Error>>;
