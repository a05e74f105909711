//! `iommu-sim topology FILE [--json | --check-groups]`: validates a topology and prints its IOMMU instances,
//! bus tree and IOMMU groups (contracts.md). Bad input is an error (exit 2) naming the file,
//! line and column or the offending id.

use std::io::Write as _;
use std::path::PathBuf;

use sim_core::topology::{Platform, quirks, report};

use super::CmdResult;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The topology file (RON; `-` = stdin).
    pub file: PathBuf,
    /// Print JSON (contracts.md) instead of the readable listing.
    #[arg(long)]
    pub json: bool,
    /// Compare the derived IOMMU groups with the ones the machine reported
    /// (`reported_groups`, written by `iommu-sim import`); print every difference and exit 1
    /// if there is one.
    #[arg(long, conflicts_with = "json")]
    pub check_groups: bool,
    /// Form the groups as this kernel does: a release's quirks (`5.9`), or `proposed` (a
    /// current kernel plus the not-merged PCI ACS group rework, v3 2025); default: a current
    /// kernel.
    #[arg(long, value_parser = parse_kernel)]
    pub kernel: Option<quirks::Kernel>,
}

/// `proposed`, or `MAJOR.MINOR` (a `.PATCH` or `-suffix` is ignored: quirks change by release).
fn parse_kernel(s: &str) -> Result<quirks::Kernel, String> {
    if s.trim() == "proposed" {
        return Ok(quirks::Kernel::PROPOSED);
    }
    let t = s.trim_start_matches('v');
    let mut it = t.split(['.', '-']);
    let major = it.next().and_then(|m| m.parse().ok());
    let minor = it.next().and_then(|m| m.parse().ok());
    match (major, minor) {
        (Some(a), Some(b)) => Ok(quirks::Kernel::release(a, b)),
        _ => Err(format!("`{s}` is not a kernel release like 5.9 or 6.1.12, nor `proposed`")),
    }
}

pub fn run(args: Args) -> CmdResult {
    let source = super::io::read_text(&args.file)?;
    let label = PathBuf::from(super::io::label(&args.file));
    let kernel = args.kernel.unwrap_or_default();
    if kernel.proposed {
        eprintln!(
            "note: kernel proposed (not merged): IOMMU groups as the PCI ACS rework \"[PATCH v3 00/11] Fix incorrect \
             iommu_groups with PCIe ACS\" (2025) would form them; see docs/kernel-versions.md"
        );
    }
    let platform = Platform::parse_for_kernel(&label, &source, kernel)?;
    if args.check_groups {
        if platform.reported_groups.is_empty() {
            return Err(format!(
                "{}: no reported_groups to check against (import a captured machine with `iommu-sim import` to get them)",
                label.display()
            )
            .into());
        }
        let diffs = sim_core::topology::check::differences(&platform);
        let functions =
            platform.devices.iter().filter(|d| d.func.is_some()).count() + platform.buses.iter().filter(|b| b.group.is_some()).count();
        let mut out = String::new();
        for d in &diffs {
            out += &format!("{}: {d}\n", label.display());
        }
        if diffs.is_empty() {
            out += &format!(
                "{}: groups match: {} PCI functions in {} reported groups\n",
                label.display(),
                functions,
                platform.reported_groups.len()
            );
        } else {
            out += &format!("{}: {} differences between derived and reported groups\n", label.display(), diffs.len());
        }
        crate::out::print(&out)?;
        return Ok(if diffs.is_empty() { crate::Outcome::Success } else { crate::Outcome::Mismatch });
    }
    // Streamed: a large platform's listing is never held in memory whole (issue 16).
    let mut out = crate::out::stdout();
    if args.json {
        report::write_json(&platform, &mut out)?;
        out.write_all(b"\n")?;
    } else {
        report::write_text(&platform, &mut out)?;
    }
    out.flush()?;
    Ok(crate::Outcome::Success)
}
