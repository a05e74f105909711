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

/// Stdout as a buffered [`std::io::Write`] for output written piece by piece (`topology`'s
/// listing streams, issue 16); like [`print`], a closed pipe drops the rest quietly.
pub struct Stdout(std::io::BufWriter<std::io::StdoutLock<'static>>);

pub fn stdout() -> Stdout {
    Stdout(std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock()))
}

impl Stdout {
    fn quiet_pipe(r: std::io::Result<()>) -> std::io::Result<()> {
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                CLOSED.store(true, Ordering::Relaxed);
                Ok(())
            }
            other => other,
        }
    }
}

impl std::io::Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if !CLOSED.load(Ordering::Relaxed) {
            Self::quiet_pipe(self.0.write_all(buf))?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if CLOSED.load(Ordering::Relaxed) {
            return Ok(());
        }
        Self::quiet_pipe(self.0.flush())
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
