//! `iommu-sim import CAPTURE [-o FILE]`: turns a captured real machine into a topology file —
//! a sysfs capture from `scripts/capture.sh` (directory or tarball), or the text of
//! `sudo lspci -vvv -nn` (plus `lspci -t`, `lspci -xxxx`, an IOMMU group listing). The result
//! carries the groups the machine reported; `iommu-sim topology FILE --check-groups` compares
//! them with the derived ones. A bad capture exits 2 naming the file and what is wrong.

use std::path::PathBuf;

use sim_core::iommu::IommuKind;

use super::CmdResult;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The capture: a directory or .tar/.tar.gz from scripts/capture.sh, or lspci text
    /// (`-` = stdin: `sudo lspci -vvv -nn | iommu-sim import - --name host`).
    pub capture: PathBuf,
    /// Write the topology here instead of standard output (`-` = stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The topology's name (default: the capture's file name without extensions; `machine`
    /// for stdin).
    #[arg(long)]
    pub name: Option<String>,
    /// For lspci text, which shows no IOMMU units: the IOMMU kind (intel-vtd, amd-vi,
    /// arm-smmu-v2, arm-smmu-v3, virtio-iommu); default from the host bridge's vendor.
    #[arg(long, value_parser = parse_kind)]
    pub iommu: Option<IommuKind>,
}

fn parse_kind(s: &str) -> Result<IommuKind, String> {
    IommuKind::ALL.iter().copied().find(|k| k.as_str() == s).ok_or_else(|| {
        let names: Vec<&str> = IommuKind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown IOMMU kind `{s}` (one of: {})", names.join(", "))
    })
}

pub fn run(args: Args) -> CmdResult {
    let stdin = super::io::is_std(&args.capture);
    let name = args.name.clone().unwrap_or_else(|| {
        let f = args.capture.file_name().filter(|_| !stdin).map_or_else(|| "machine".into(), |s| s.to_string_lossy().into_owned());
        f.split('.').next().unwrap_or("machine").to_string()
    });
    let ron = if stdin {
        sim_core::import::import_stream("<stdin>", std::io::stdin().lock(), &name, args.iommu)?
    } else {
        sim_core::import::import(&args.capture, &name, args.iommu)?
    };
    // `-o FILE` is written atomically (a reader never sees half a topology); `-o -` and no
    // `-o` print it.
    super::io::write_text(args.output.as_deref().unwrap_or(std::path::Path::new("-")), &ron)?;
    Ok(crate::Outcome::Success)
}
