//! `iommu-sim completions SHELL` and `iommu-sim man`: shell completions and a man page
//! generated from the same clap definition as `--help` (clap_complete, clap_mangen), so they
//! never drift from the real flags. Both print to stdout:
//!
//! ```text
//! iommu-sim completions bash > ~/.local/share/bash-completion/completions/iommu-sim
//! iommu-sim man > ~/.local/share/man/man1/iommu-sim.1
//! ```

use super::CmdResult;
use crate::Outcome;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to write completions for.
    pub shell: clap_complete::Shell,
}

pub fn completions(args: Args, mut cmd: clap::Command) -> CmdResult {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "iommu-sim", &mut buf);
    crate::out::print(&String::from_utf8_lossy(&buf))?;
    Ok(Outcome::Success)
}

pub fn man(cmd: clap::Command) -> CmdResult {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    crate::out::print(&String::from_utf8_lossy(&buf))?;
    Ok(Outcome::Success)
}
