//! A PCIe link: generation and width give bytes per cycle; every TLP carries header and
//! framing overhead; reads are split at the max read request size, writes and completions at
//! the max payload size. Defaults name their source or say "assumed".

use serde::{Deserialize, Serialize};

use crate::time::Cycle;

/// Wire overhead of a memory write or memory read request TLP with a 64-bit address: 16-byte
/// (4 DW) header + 2-byte sequence number + 4-byte LCRC + 2-byte Gen3 framing token = 24 bytes
/// (Neugebauer et al. SIGCOMM 2018, §3 "PCIe protocol overheads").
pub const REQUEST_OVERHEAD: u64 = 24;
/// Wire overhead of a completion with data (3 DW header): 12 + 2 + 4 + 2 = 20 bytes (ibid.).
pub const COMPLETION_OVERHEAD: u64 = 20;

/// Per-device link parameters (topology `Device(link: (...))`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LinkParams {
    /// PCIe generation 1..=6.
    pub generation: u8,
    /// Lanes: 1, 2, 4, 8, 16 or 32.
    pub width: u8,
    /// Max payload size in bytes (writes and read completions are split at it).
    pub mps: u32,
    /// Max read request size in bytes (reads are split at it).
    pub mrrs: u32,
    /// Outstanding non-posted (read) requests: PCIe tags.
    pub tags: u32,
    /// Posted-header credits the root complex grants: writes in flight before translation.
    pub posted_credits: u32,
    /// One-way latency of the link and root-complex pipeline, in cycles.
    pub latency: Cycle,
}

impl Default for LinkParams {
    fn default() -> LinkParams {
        LinkParams {
            // Gen3 x16: the common server slot of the published NIC/GPU measurements (assumed).
            generation: 3,
            width: 16,
            // MPS 256: what server firmware typically programs (the spec's reset value is 128;
            // Linux keeps the firmware's setting under the default `pcie_bus_config`,
            // drivers/pci/probe.c `pcie_bus_configure_settings`) — assumed typical.
            mps: 256,
            // MRRS 512: the PCIe Device Control register's reset value (010b = 512 bytes,
            // PCIe Base Spec §7.5.3.4), which Linux leaves alone by default.
            mrrs: 512,
            // 256 tags: the 8-bit Extended Tag field, which Linux enables whenever the device
            // supports it (drivers/pci/probe.c `pci_configure_extended_tags`, v4.13+).
            tags: 256,
            // Root-complex posted-header credits: assumed 64 (not published per part).
            posted_credits: 64,
            // One-way device→memory-controller latency without translation: assumed 200 ns, so
            // a 64-byte read round trip (2 × 200 + 90 ns DRAM + wire) ≈ 500 ns, the order
            // pcie-bench measured on Xeon E5 with the IOMMU off (Neugebauer et al. 2018, §6).
            latency: 200,
        }
    }
}

/// Per-device overrides of [`LinkParams`]; a missing field keeps the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkOverrides {
    #[serde(default)]
    pub generation: Option<u8>,
    #[serde(default)]
    pub width: Option<u8>,
    #[serde(default)]
    pub mps: Option<u32>,
    #[serde(default)]
    pub mrrs: Option<u32>,
    #[serde(default)]
    pub tags: Option<u32>,
    #[serde(default)]
    pub posted_credits: Option<u32>,
    #[serde(default)]
    pub latency: Option<Cycle>,
}

impl LinkParams {
    /// Field names as written in topology files (docs/topology-format.md lists each).
    pub const FIELDS: &'static [&'static str] = &["generation", "width", "mps", "mrrs", "tags", "posted_credits", "latency"];

    /// Applies the overrides that are set.
    pub fn apply(&mut self, o: &LinkOverrides) {
        macro_rules! set {
            ($($f:ident),*) => { $( if let Some(v) = o.$f { self.$f = v; } )* };
        }
        set!(generation, width, mps, mrrs, tags, posted_credits, latency);
    }

    /// Checks the values; the error names the field and why.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let pow2 = |v: u32| v.is_power_of_two() && (128..=4096).contains(&v);
        if !(1..=6).contains(&self.generation) {
            return Err(("generation", format!("{} is not a PCIe generation (1..=6)", self.generation)));
        }
        if ![1, 2, 4, 8, 16, 32].contains(&self.width) {
            return Err(("width", format!("x{} is not a PCIe link width (1, 2, 4, 8, 16, 32)", self.width)));
        }
        if !pow2(self.mps) {
            return Err(("mps", format!("{} must be a power of two in 128..=4096 bytes", self.mps)));
        }
        if !pow2(self.mrrs) {
            return Err(("mrrs", format!("{} must be a power of two in 128..=4096 bytes", self.mrrs)));
        }
        if !(1..=1024).contains(&self.tags) {
            return Err(("tags", format!("{} must be 1..=1024 (10-bit tags allow 768)", self.tags)));
        }
        if !(1..=1024).contains(&self.posted_credits) {
            return Err(("posted_credits", format!("{} must be 1..=1024", self.posted_credits)));
        }
        if self.latency > 1_000_000 {
            return Err(("latency", format!("{} cycles is over 1 ms; not a PCIe link", self.latency)));
        }
        Ok(())
    }

    /// Transfer rate in tenths of GT/s per lane and the line-code efficiency `(num, den)`:
    /// Gen1 2.5 GT/s and Gen2 5 GT/s with 8b/10b; Gen3 8, Gen4 16, Gen5 32 GT/s with 128b/130b
    /// (PCIe Base Spec §4.2); Gen6 64 GT/s in 256-byte FLITs carrying 236 TLP bytes (FLIT mode,
    /// PCIe 6.0 §4.2.3.1; FEC/CRC/DLP bytes counted as overhead).
    fn rate(&self) -> (u64, u64, u64) {
        match self.generation {
            1 => (25, 8, 10),
            2 => (50, 8, 10),
            3 => (80, 128, 130),
            4 => (160, 128, 130),
            5 => (320, 128, 130),
            _ => (640, 236, 256),
        }
    }

    /// Picoseconds (1/1000 cycle at 1 GHz) one direction of the link is busy sending `bytes`
    /// wire bytes, rounded up: `bytes · 8 bits / (GT/s · width · efficiency)`.
    #[inline]
    pub fn wire_ps(&self, bytes: u64) -> u64 {
        let (gt10, num, den) = self.rate();
        (bytes * 8 * 10_000 * den).div_ceil(gt10 * u64::from(self.width) * num)
    }

    /// The link's payload capacity in Mb/s for back-to-back TLPs of `payload` bytes each
    /// (display and tests only).
    pub fn payload_mbps(&self, payload: u64, overhead: u64) -> u64 {
        // bits / ps = Tb/s; × 10^6 = Mb/s.
        payload * 8 * 1_000_000 / self.wire_ps(payload + overhead).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen3_x16_is_about_126_gbps_raw_and_less_per_tlp() {
        let l = LinkParams::default();
        // 8 GT/s × 16 × 128/130 = 126.03 Gb/s on the wire: 1 byte = 63.48 ps.
        assert_eq!(l.wire_ps(1), 64);
        assert_eq!(l.wire_ps(1_000_000), 63_476_563);
        // 256-byte writes carry 256/280 of that: ≈ 115 Gb/s (pcie-bench Fig. 1's model).
        let mbps = l.payload_mbps(256, REQUEST_OVERHEAD);
        assert!((115_000..115_300).contains(&mbps), "{mbps}");
    }

    #[test]
    fn generations_and_widths_scale() {
        let g = |generation, width| LinkParams { generation, width, ..LinkParams::default() }.wire_ps(4096);
        assert_eq!(g(1, 1), 4096 * 4000); // 2.5 GT/s 8b/10b = 2 Gb/s = 4 ns per byte
        assert_eq!(g(2, 1) * 2, g(1, 1));
        assert!(g(4, 16) * 2 <= g(3, 16) + 1);
        assert!(g(6, 16) < g(5, 16));
        assert_eq!(g(3, 8), 2 * g(3, 16));
    }

    #[test]
    fn bad_values_are_named() {
        for (o, field) in [
            (LinkOverrides { generation: Some(7), ..Default::default() }, "generation"),
            (LinkOverrides { width: Some(3), ..Default::default() }, "width"),
            (LinkOverrides { mps: Some(100), ..Default::default() }, "mps"),
            (LinkOverrides { mrrs: Some(8192), ..Default::default() }, "mrrs"),
            (LinkOverrides { tags: Some(0), ..Default::default() }, "tags"),
        ] {
            let mut p = LinkParams::default();
            p.apply(&o);
            assert_eq!(p.check().unwrap_err().0, field);
        }
    }
}
