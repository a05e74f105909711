//! The PCIe path between a device and memory: link bandwidth and TLP overhead (`link.rs`),
//! memory latency by NUMA placement (`memory.rs`), a device port's run-time state — link
//! occupancy, tags and posted credits — (`port.rs`), and the closed-loop transfer of one DMA
//! request over it, one IOMMU lookup per TLP (`transfer.rs`).
//!
//! Why: a device's throughput is set by how many requests it keeps in flight and how long
//! each takes (Little's law), and a request's time is translation + link + memory. Modelling
//! the TLPs makes translation cost show up as Gb/s, as in every published IOMMU measurement
//! (Neugebauer et al., "Understanding PCIe performance for end host networking", SIGCOMM 2018,
//! "pcie-bench"; Peleg et al., "Utilizing the IOMMU scalably", USENIX ATC 2015).
//!
//! Everything is integer: link time is kept in picoseconds (1/1000 cycle) so that per-TLP
//! rounding does not accumulate; completions are rounded up to whole cycles for the engine.

pub mod class;
pub mod link;
pub mod memory;
pub mod port;

pub use class::DeviceClass;
pub use link::{LinkOverrides, LinkParams};
pub use memory::{MemoryOverrides, MemoryParams};
pub use port::Port;
