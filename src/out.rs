//! Standard output that a closed pipe ends quietly (`iommu-sim compare x --json | head -1`).
//!
//! Rust ignores SIGPIPE, so a write to a closed pipe returns `BrokenPipe` and `println!`
//! panics on it. Every command prints through [`print`] instead: once the reader has gone,
//! further output is dropped (the command still finishes its other work, e.g. writing
//! report.html) and the process exits 0, as `yes | head -1` does. Any other write error (a
//! full disk behind a redirect) is an error, exit 2.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once stdout's reader has gone; later output is dropped.
static CLOSED: AtomicBool = AtomicBool::new(false);

/// Set by `-q/--quiet`: notes on stderr ("wrote report.html") are not printed.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout; a closed pipe is not an error.
pub fn print(text: &str) -> std::io::Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// [`print`] of bytes that need not be UTF-8 as a whole.
pub fn print_bytes(bytes: &[u8]) -> std::io::Result<()> {
    if CLOSED.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

/// `println!` through [`print`], returning `io::Result` for `?`.
#[macro_export]
macro_rules! outln {
    () => { $crate::out::print("\n") };
    ($($arg:tt)*) => { $crate::out::print(&format!("{}\n", format_args!($($arg)*))) };
}

pub fn set_quiet(q: bool) {
    QUIET.store(q, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// A note for the user on stderr (what was written where), silenced by `--quiet`.
pub fn note(text: &str) {
    if !quiet() {
        let _ = writeln!(std::io::stderr(), "{text}");
    }
}
