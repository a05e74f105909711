//! Errors in user input. Every one names where the problem is (file, line and column when the
//! parser knows them; otherwise the offending id and field path), so the CLI can print it as
//! is and exit 2. Nothing a user writes may panic the program.

use std::path::{Path, PathBuf};

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
        crate::limits::read_input(path)
    }

    /// Converts a RON parse error into one that names file, line and column.
    pub fn from_ron(path: &Path, e: ron::error::SpannedError) -> InputError {
        InputError::Parse {
            at: Location { path: path.to_path_buf(), line: e.span.start.line, col: e.span.start.col },
            message: e.code.to_string(),
        }
    }
}

/// Parses `source` as RON into `T` with the project's options (implicit `Some`, so optional
/// fields are written plainly), with a recursion limit so that deeply nested junk is an error,
/// not a stack overflow.
pub fn parse_ron<T: serde::de::DeserializeOwned>(path: &Path, source: &str) -> Result<T, InputError> {
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME).with_recursion_limit(64);
    options.from_str(source).map_err(|e| InputError::from_ron(path, e))
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
}
