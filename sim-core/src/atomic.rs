//! Atomic file writes: everything the tool writes (expected files, traces, reports, JSON) goes
//! to a temporary file in the destination's folder, which replaces the destination by a
//! `rename` only once it is completely written and flushed. A full disk, a crash or Ctrl-C
//! leaves the old file intact (and no half-written one), and readers never see a torn file.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// A file being written; [`AtomicFile::commit`] puts it in place, dropping it discards it.
pub struct AtomicFile {
    tmp: NamedTempFile,
    path: PathBuf,
}

impl AtomicFile {
    /// Starts writing `path` (through a temporary file beside it). A folder is refused.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        if path.is_dir() {
            return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a folder; give a file name"));
        }
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let tmp = tempfile::Builder::new().prefix(".iommu-sim-").suffix(".tmp").tempfile_in(dir)?;
        Ok(AtomicFile { tmp, path: path.to_path_buf() })
    }

    /// Flushes to disk and renames over the destination. The destination keeps its
    /// permissions if it existed; a new file gets the usual 0644.
    pub fn commit(mut self) -> io::Result<()> {
        self.tmp.flush()?;
        self.tmp.as_file().sync_all()?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&self.path).map_or(0o644, |m| m.permissions().mode());
            self.tmp.as_file().set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        self.tmp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Writes `bytes` to `path` atomically.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes.as_ref())?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.txt");
        write(&p, "old").unwrap();
        // A write abandoned half-way (an error, Ctrl-C) leaves the old file and no debris.
        let mut f = AtomicFile::create(&p).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write(&p, "new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        assert!(write(dir.path(), "x").is_err(), "a folder is not overwritten");
    }
}
