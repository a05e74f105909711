//! Files as users name them: `-` is stdin (where a file is read) or stdout (where one is
//! written), as in every Unix tool.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use sim_core::scenario::Scenario;

/// Whether `path` is `-`.
pub fn is_std(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How an input is named in messages: `<stdin>` for `-`.
pub fn label(path: &Path) -> String {
    if is_std(path) { "<stdin>".to_string() } else { path.display().to_string() }
}

/// Reads a text input (`-`: stdin), naming it in any error.
pub fn read_text(path: &Path) -> Result<String, String> {
    if is_std(path) {
        let limit = sim_core::limits::MAX_INPUT_BYTES;
        let mut s = String::new();
        std::io::stdin().take(limit + 1).read_to_string(&mut s).map_err(|e| format!("<stdin>: cannot read: {e}"))?;
        if s.len() as u64 > limit {
            return Err(format!("<stdin>: input is larger than {limit} bytes, the limit for input files (docs/limits.md)"));
        }
        return Ok(s);
    }
    sim_core::error::InputError::read(path).map_err(|e| e.to_string())
}

/// Loads a scenario; `-` reads it from stdin, its topology path resolved against the current
/// folder.
pub fn load_scenario(path: &Path) -> Result<Scenario, Box<dyn std::error::Error>> {
    if !is_std(path) {
        return Ok(Scenario::load(path)?);
    }
    let text = read_text(path)?;
    let label = Path::new("<stdin>");
    let parsed: sim_core::scenario::schema::Scenario = sim_core::error::parse_ron(label, &text)?;
    let topology = PathBuf::from(&parsed.topology);
    let platform = sim_core::topology::Platform::load(&topology).map_err(|e| {
        if topology.is_relative() && !topology.exists() {
            format!("{e}\nhint: a scenario read from stdin has no folder of its own: its `topology: \"{}\"` is resolved against the current folder; run from the scenario's folder or give an absolute path", parsed.topology)
        } else {
            e.to_string()
        }
    })?;
    Ok(Scenario::from_parts(label, &text, platform)?)
}

/// Writes `text` to `path` (`-`: stdout, where a closed pipe is not an error) and notes
/// where it went on stderr (unless `--quiet`).
pub fn write_text(path: &Path, text: &str) -> Result<(), Box<dyn std::error::Error>> {
    if is_std(path) {
        crate::out::print(text)?;
        return Ok(());
    }
    sim_core::atomic::write(path, text).map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
    crate::out::note(&format!("wrote {}", path.display()));
    Ok(())
}
