//! Linux's behaviour, by version: which kernel a run models ([`version`]) and, per version,
//! the drivers' attach rules, errnos and log lines ([`rules`], [`attach`]). This layer sits
//! between the platform (`topology/`, `iommu/`: hardware only, no Linux) and the simulation
//! (`sim/`, `strategy/`), and knows nothing of the event loop.
//!
//! Proposed series (not merged) are modelled under the `proposed` kernel: cross-SMMUv3 domain
//! sharing (`attach.rs`), and the 2025 PCI ACS group rework ("pcie_switch_groups" v3), which
//! forms IOMMU groups: `Kernel::pci_quirks` hands it to the topology builder
//! (`topology/groups_proposed.rs`), as it hands a release's PCI quirks.

pub mod attach;
pub mod domains;
pub mod errno;
pub mod id_pools;
pub mod invalidation;
pub mod klog;
pub mod rules;
pub mod version;

pub use errno::Errno;
pub use rules::{Check, Rule, log_line, log_line_for_errno};
pub use version::{Era, Kernel, KernelVersion};
