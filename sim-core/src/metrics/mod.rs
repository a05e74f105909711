//! Metrics: streaming counters and histograms updated in place during a run, and the
//! [`Results`] they become at the end.

pub mod histogram;
pub mod results;

pub use histogram::Histogram;
pub use results::{Better, DeviceResult, FaultRecord, GeneratorResult, IommuResult, MetricInfo, Metrics, Results, RunResult, SCHEMA, mbps};
