//! Shared by the integration tests that drive the library on the bundled arm-server
//! platform: NIC 0000:01:00.0/.1 (smmu0, one group, ATS), GPU 0001:01:00.0 (smmu1), NVMe
//! 0002:03:00.0 / 0002:04:00.0 (smmu2).

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use sim_core::scenario::Scenario;
use sim_core::topology::Platform;

pub const NIC: &str = "0000:01:00.0";
pub const GPU: &str = "0001:01:00.0";
pub const NVME: &str = "0002:03:00.0";
pub const NVME2: &str = "0002:04:00.0";

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A scenario on arm-server from its text; `label` names it in error messages (the scenario's
/// `topology` field is not read: the platform is given).
pub fn arm_server_scenario(label: &str, text: &str) -> Scenario {
    let topo = root().join("topologies/arm-server.ron");
    let source = std::fs::read_to_string(&topo).expect("bundled topology");
    let platform = Platform::parse(&topo, &source).unwrap_or_else(|e| panic!("{e}"));
    Scenario::from_parts(&root().join(label), text, platform).unwrap_or_else(|e| panic!("{e}"))
}
