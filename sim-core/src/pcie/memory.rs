//! Memory behind the root complexes: the latency a DMA read pays once its TLP has been
//! translated, local or across sockets. Written posted data is not waited for.

use serde::{Deserialize, Serialize};

use crate::time::Cycle;

/// Platform memory parameters (topology `memory: (...)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryParams {
    /// DRAM read latency from a root complex on the memory's socket, in cycles.
    pub latency: Cycle,
    /// DRAM read latency from a root complex on another socket (one hop), in cycles.
    pub remote_latency: Cycle,
    /// The socket holding the DMA buffers.
    pub socket: u32,
}

impl Default for MemoryParams {
    fn default() -> MemoryParams {
        // Idle DRAM latency ≈ 90 ns local and ≈ 140 ns one socket away: typical two-socket
        // Xeon figures from Intel Memory Latency Checker runs (assumed; varies by part).
        MemoryParams { latency: 90, remote_latency: 140, socket: 0 }
    }
}

/// Overrides of [`MemoryParams`]; a missing field keeps the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryOverrides {
    #[serde(default)]
    pub latency: Option<Cycle>,
    #[serde(default)]
    pub remote_latency: Option<Cycle>,
    #[serde(default)]
    pub socket: Option<u32>,
}

impl MemoryParams {
    /// Field names as written in topology files.
    pub const FIELDS: &'static [&'static str] = &["latency", "remote_latency", "socket"];

    pub fn apply(&mut self, o: &MemoryOverrides) {
        if let Some(v) = o.latency {
            self.latency = v;
        }
        if let Some(v) = o.remote_latency {
            self.remote_latency = v;
        }
        if let Some(v) = o.socket {
            self.socket = v;
        }
    }

    /// Read latency for a root complex on `socket`.
    #[inline]
    pub fn latency_from(&self, socket: u32) -> Cycle {
        if socket == self.socket { self.latency } else { self.remote_latency }
    }
}
