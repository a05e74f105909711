//! Results files (JSON Lines, one `sweep::Record` per line) on disk: scanning them without
//! holding their metrics (a few dozen bytes per line), dropping a line torn by a kill, and
//! writing lines sorted by item number through a temporary file renamed into place, so a
//! reader never sees half a file.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// What identifies a line; the rest of the record is not kept in memory.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct Head {
    pub key: String,
    pub sweep: String,
    pub grid: String,
    pub index: u64,
    pub of: u64,
}

/// A line of a scanned file.
#[derive(Clone, Debug)]
pub struct Entry {
    pub head: Head,
    pub offset: u64,
    /// Bytes, newline excluded.
    pub len: usize,
}

/// A scanned file.
#[derive(Debug, Default)]
pub struct Scan {
    pub entries: Vec<Entry>,
    /// Byte offset of a last line without its newline (a run killed while writing it).
    pub torn_at: Option<u64>,
}

/// Reads the heads of every line of `path`. A malformed complete line is an error naming the
/// line; a final line without newline is reported as torn, not an error.
pub fn scan(path: &Path) -> Result<Scan, String> {
    let file = File::open(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    scan_file(&file, path)
}

/// [`scan`] of an open file (read from its start), named `path` in messages.
pub fn scan_file(file: &File, path: &Path) -> Result<Scan, String> {
    use std::io::{Seek, SeekFrom};
    let mut file = file;
    file.seek(SeekFrom::Start(0)).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let mut reader = BufReader::new(file);
    let mut scan = Scan::default();
    let (mut offset, mut line_no, mut buf) = (0u64, 0usize, Vec::new());
    loop {
        buf.clear();
        let n = reader.read_until(b'\n', &mut buf).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        if n == 0 {
            break;
        }
        line_no += 1;
        if buf.last() != Some(&b'\n') {
            scan.torn_at = Some(offset);
            break;
        }
        let text = &buf[..n - 1];
        if !text.iter().all(u8::is_ascii_whitespace) {
            let head: Head = serde_json::from_slice(text).map_err(|e| {
                format!("{}:{line_no}: not a sweep results line ({e}); is this a results file of `iommu-sim sweep`?", path.display())
            })?;
            scan.entries.push(Entry { head, offset, len: n - 1 });
        }
        offset += n as u64;
    }
    Ok(scan)
}

/// Reads the line of `entry` from `file`.
pub fn read_line(file: &File, entry: &Entry) -> std::io::Result<Vec<u8>> {
    let mut buf = vec![0; entry.len];
    file.read_exact_at(&mut buf, entry.offset)?;
    Ok(buf)
}

/// Writes `lines` — `(source file, entry, replacement text)` sorted by the caller — to `out`
/// through `out.tmp` and a rename. A replacement is used instead of the source bytes when
/// given (a line re-numbered for a changed grid).
pub fn write_sorted(out: &Path, sources: &[File], lines: &[(usize, &Entry, Option<String>)]) -> Result<(), String> {
    if out.as_os_str() == "-" {
        // stdout: a closed pipe ends the output quietly (crate::out).
        let fail = |e: std::io::Error| format!("<stdout>: cannot write: {e}");
        let mut text = Vec::with_capacity(1 << 16);
        for (src, entry, replacement) in lines {
            match replacement {
                Some(t) => text.extend_from_slice(t.as_bytes()),
                None => text.extend_from_slice(&read_line(&sources[*src], entry).map_err(fail)?),
            }
            text.push(b'\n');
            if text.len() >= 1 << 16 {
                crate::out::print_bytes(&text).map_err(fail)?;
                text.clear();
            }
        }
        return crate::out::print_bytes(&text).map_err(fail);
    }
    let tmp = tmp_path(out);
    let fail = |e: std::io::Error| format!("{}: cannot write: {e}", tmp.display());
    let mut w = std::io::BufWriter::new(File::create(&tmp).map_err(fail)?);
    for (src, entry, replacement) in lines {
        match replacement {
            Some(text) => w.write_all(text.as_bytes()).map_err(fail)?,
            None => w.write_all(&read_line(&sources[*src], entry).map_err(fail)?).map_err(fail)?,
        }
        w.write_all(b"\n").map_err(fail)?;
    }
    w.into_inner().map_err(|e| fail(e.into_error()))?.sync_all().map_err(fail)?;
    std::fs::rename(&tmp, out).map_err(|e| format!("{}: cannot rename to {}: {e}", tmp.display(), out.display()))
}

fn tmp_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".tmp");
    out.with_file_name(name)
}

/// `0..=4, 9, 12..=13` for a sorted list of numbers (at most `limit` runs, then `...`).
pub fn ranges(sorted: &[u64], limit: usize) -> String {
    let mut runs: Vec<(u64, u64)> = Vec::new();
    for &v in sorted {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == v => *end = v,
            _ => runs.push((v, v)),
        }
    }
    let mut parts: Vec<String> = runs.iter().take(limit).map(|&(a, b)| if a == b { a.to_string() } else { format!("{a}..={b}") }).collect();
    if runs.len() > limit {
        parts.push("...".into());
    }
    parts.join(", ")
}

/// Opens a results file to read; `-` (stdin) is first copied to an unnamed temporary file,
/// since lines are read back by offset.
pub fn open(path: &Path) -> Result<File, String> {
    if path.as_os_str() != "-" {
        return File::open(path).map_err(|e| format!("{}: {e}", path.display()));
    }
    let fail = |e: std::io::Error| format!("<stdin>: cannot buffer in a temporary file: {e}");
    let tmp = std::env::temp_dir().join(format!("iommu-sim-stdin-{}.jsonl", std::process::id()));
    let mut file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&tmp).map_err(fail)?;
    // Unnamed from now on: removed whatever happens next.
    let _ = std::fs::remove_file(&tmp);
    std::io::copy(&mut std::io::stdin().lock(), &mut file).map_err(fail)?;
    Ok(file)
}
