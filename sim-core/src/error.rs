//! Errors in user input. Every one names where the problem is (file, line and column when the
//! parser knows them; otherwise the offending id and field path), so the CLI can print it as
//! is and exit 2. Nothing a user writes may panic the program.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::limits::MAX_INPUT_BYTES;

/// A place in a user's file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    /// 1-based line, 0 if unknown.
    pub line: usize,
    /// 1-based column (in characters), 0 if unknown.
    pub col: usize,
}

impl Location {
    /// A location without line information (the whole file).
    pub fn file(path: &Path) -> Location {
        Location { path: path.to_path_buf(), line: 0, col: 0 }
    }

    /// Finds the first occurrence of `needle` (an id as written in the file, e.g. `"smmu0"`)
    /// and points at it; used for semantic errors found after parsing, where the RON parser
    /// has no span. Falls back to the whole file.
    pub fn of_text(path: &Path, source: &str, needle: &str) -> Location {
        match source.find(needle) {
            Some(offset) => {
                let before = &source[..offset];
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                Location { path: path.to_path_buf(), line, col }
            }
            None => Location::file(path),
        }
    }
}

impl Location {
    /// Where the error `message` is, for a semantic error found after parsing: the value at
    /// the path the message starts with (`events[2].repeat.stride: ...`), found in the
    /// parser's view of the text (`spans.rs`); else the first occurrence of `needle`; else
    /// the whole file.
    pub fn of_message(path: &Path, source: &str, message: &str, needle: &str) -> Location {
        if let Some(p) = crate::spans::message_path(message)
            && let Some((start, _)) = crate::spans::SpanIndex::new(source).locate(p)
        {
            let (line, col) = crate::spans::line_col(source, start);
            return Location { path: path.to_path_buf(), line, col };
        }
        Location::of_text(path, source, needle)
    }
}

/// The closest of `candidates` to `found` (edit distance at most a third of its length, at
/// least 1 after ignoring case), for "did you mean `ArmSmmuV3`?" hints.
pub fn did_you_mean<'a>(found: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let f: Vec<char> = found.to_lowercase().chars().collect();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let cl: Vec<char> = c.to_lowercase().chars().collect();
        // Levenshtein distance, one row at a time.
        let mut row: Vec<usize> = (0..=cl.len()).collect();
        for (i, a) in f.iter().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for (j, b) in cl.iter().enumerate() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(a != b)).min(row[j] + 1).min(cur + 1);
                prev = cur;
            }
        }
        let d = row[cl.len()];
        if d <= (f.len().max(3) / 3).max(1) && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.col)?;
        }
        Ok(())
    }
}

/// Bad input: the CLI prints it and exits 2.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be read.
    #[error("{path}: cannot read: {source}")]
    Io { path: String, source: std::io::Error },
    /// The file is not valid RON for its schema (syntax, unknown field, wrong type...).
    #[error("{at}: {message}")]
    Parse { at: Location, message: String },
    /// The file parsed but says something impossible (unknown id, duplicate, cycle...).
    #[error("{at}: {message}")]
    Invalid { at: Location, message: String },
}

impl InputError {
    /// Reads a user's file, turning I/O errors (and non-UTF-8 content) into `InputError`.
    /// Folders, and files beyond `limits::MAX_INPUT_BYTES`, are refused before reading them whole.
    pub fn read(path: &Path) -> Result<String, InputError> {
        read_input(path)
    }

    /// Converts a RON parse error into one that names file, line and column.
    pub fn from_ron(path: &Path, e: ron::error::SpannedError) -> InputError {
        InputError::Parse {
            at: Location { path: path.to_path_buf(), line: e.span.start.line, col: e.span.start.col },
            message: e.code.to_string(),
        }
    }

    /// Like `from_ron`, with what only the text tells: the field a type error is in
    /// (`seed: Integer is out of bounds`) and, for a misspelt name, the closest valid one on a
    /// `help:` line ("did you mean `ArmSmmuV3`?").
    pub fn from_ron_in(path: &Path, source: &str, e: ron::error::SpannedError) -> InputError {
        use ron::error::Error as E;
        let hint = match &e.code {
            E::NoSuchEnumVariant { expected, found, .. } | E::NoSuchStructField { expected, found, .. } => {
                did_you_mean(found, expected.iter().copied())
            }
            _ => None,
        };
        let mut message = e.code.to_string();
        let names_its_field = matches!(e.code, E::NoSuchStructField { .. } | E::MissingStructField { .. } | E::DuplicateStructField { .. });
        if !names_its_field && e.span.start.line > 0 {
            let offset = crate::spans::offset_of(source, e.span.start.line, e.span.start.col);
            if let Some(field) = crate::spans::SpanIndex::new(source).path_at(offset) {
                message = format!("{field}: {message}");
            }
        }
        if let Some(h) = hint {
            message.push_str(&format!("\nhelp: did you mean `{h}`?"));
        }
        if matches!(e.code, E::IntegerOutOfBounds) {
            let at = crate::spans::offset_of(source, e.span.start.line, e.span.start.col);
            let negative = source[..at.min(source.len())].trim_end_matches(|c: char| c.is_ascii_digit() || c == '_').ends_with('-');
            message.push_str(if negative {
                "\nhelp: this field takes a non-negative integer"
            } else {
                "\nhelp: the value does not fit this field's integer type"
            });
        }
        InputError::Parse { at: Location { path: path.to_path_buf(), line: e.span.start.line, col: e.span.start.col }, message }
    }
}

/// Parses `source` as RON into `T` with the project's options (implicit `Some`, so optional
/// fields are written plainly), with a recursion limit so that deeply nested junk is an error,
/// not a stack overflow.
pub fn parse_ron<T: serde::de::DeserializeOwned>(path: &Path, source: &str) -> Result<T, InputError> {
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME).with_recursion_limit(64);
    options.from_str(source).map_err(|e| InputError::from_ron_in(path, source, e))
}

/// Reads a user's file: a folder is refused as such, a file larger than [`MAX_INPUT_BYTES`] is
/// refused before it is read (or as soon as reading passes the limit, for devices and pipes),
/// and non-UTF-8 content is a parse error.
fn read_input(path: &Path) -> Result<String, InputError> {
    let io = |source: std::io::Error| InputError::Io { path: path.display().to_string(), source };
    let too_big = |len: u64| InputError::Invalid {
        at: Location::file(path),
        message: format!("the file is {len} bytes or more; input files are limited to {MAX_INPUT_BYTES} bytes (docs/limits.md)"),
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(InputError::Invalid { at: Location::file(path), message: "is a folder, not a file".into() });
    }
    if meta.is_file() && meta.len() > MAX_INPUT_BYTES {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(io)?;
    // Sized from the metadata: one read instead of a series of growing ones (0 for a pipe).
    let mut bytes = Vec::with_capacity(if meta.is_file() { meta.len() as usize + 1 } else { 0 });
    file.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| InputError::Parse {
        at: Location::file(path),
        message: format!("not UTF-8 text (invalid byte at offset {})", e.utf8_error().valid_up_to()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn location_of_text_points_at_the_needle() {
        let src = "a\n  bb \"smmu0\"\n";
        let at = Location::of_text(Path::new("t.ron"), src, "\"smmu0\"");
        assert_eq!((at.line, at.col), (2, 6));
        assert_eq!(at.to_string(), "t.ron:2:6");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let junk = "[".repeat(100_000);
        let r: Result<Vec<u8>, _> = parse_ron(Path::new("x.ron"), &junk);
        assert!(r.is_err());
    }

    #[test]
    fn a_folder_and_an_endless_device_are_refused_clearly() {
        let dir = std::env::temp_dir();
        let e = read_input(&dir).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
        if Path::new("/dev/zero").exists() {
            let e = read_input(Path::new("/dev/zero")).unwrap_err().to_string();
            assert!(e.contains("limited to"), "{e}");
        }
    }
}
