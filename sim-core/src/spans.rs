//! Where each value of a RON file is: a path (`events[2].op.device`, `generators[0].stride`)
//! → byte span, found by a small structural scan of the text. The RON parser gives a position
//! only for syntax errors; errors found after parsing name a path ("events[2].repeat.stride:
//! ... not 4 KiB aligned"), and this index turns that path into the exact place, so the caret
//! points at the offending value rather than at the first text that happens to match.
//!
//! The scan only needs the shape of the file (it runs after a successful parse, or on the text
//! of a type error): strings, chars, comments, `Ident(...)` structs and variants, `(...)`,
//! `[...]`, `{...}`. `Some(x)` is transparent (implicit `Some`). It never panics and is linear
//! in the text; malformed text just yields fewer entries.

/// One value: its path and byte span `[start, end)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub start: usize,
    pub end: usize,
}

/// The values of a file in file order (a value before the values inside it).
#[derive(Debug, Default)]
pub struct SpanIndex {
    pub entries: Vec<Entry>,
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    out: Vec<Entry>,
    depth: usize,
}

const MAX_DEPTH: usize = 128;

impl Scanner<'_> {
    fn skip_ws(&mut self) {
        loop {
            while self.i < self.b.len() && self.b[self.i].is_ascii_whitespace() {
                self.i += 1;
            }
            if self.b[self.i..].starts_with(b"//") {
                while self.i < self.b.len() && self.b[self.i] != b'\n' {
                    self.i += 1;
                }
            } else if self.b[self.i..].starts_with(b"/*") {
                let mut level = 0usize;
                while self.i < self.b.len() {
                    if self.b[self.i..].starts_with(b"/*") {
                        level += 1;
                        self.i += 2;
                    } else if self.b[self.i..].starts_with(b"*/") {
                        level -= 1;
                        self.i += 2;
                        if level == 0 {
                            break;
                        }
                    } else {
                        self.i += 1;
                    }
                }
            } else if self.b[self.i..].starts_with(b"#![") {
                // `#![enable(...)]`: skip to the matching `]`.
                self.i += 2;
                self.skip_group(b'[', b']');
            } else {
                return;
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ident(&mut self) -> Option<&str> {
        let start = self.i;
        while self.i < self.b.len() && (self.b[self.i].is_ascii_alphanumeric() || self.b[self.i] == b'_') {
            self.i += 1;
        }
        (self.i > start).then(|| std::str::from_utf8(&self.b[start..self.i]).unwrap_or(""))
    }

    /// Skips a balanced group starting at an `open` byte (strings and comments respected).
    fn skip_group(&mut self, open: u8, close: u8) {
        let mut level = 0usize;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'"' => self.string(),
                c if c == open => {
                    level += 1;
                    self.i += 1;
                }
                c if c == close => {
                    self.i += 1;
                    level = level.saturating_sub(1);
                    if level == 0 {
                        return;
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    fn string(&mut self) {
        self.i += 1;
        while self.i < self.b.len() {
            match self.b[self.i] {
                b'\\' => self.i += 2,
                b'"' => {
                    self.i += 1;
                    return;
                }
                _ => self.i += 1,
            }
        }
        self.i = self.i.min(self.b.len());
    }

    /// A value at `path`; records its span.
    fn value(&mut self, path: &str) {
        self.skip_ws();
        let start = self.i;
        let slot = self.out.len();
        self.out.push(Entry { path: path.to_string(), start, end: start });
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.i = self.b.len();
        }
        match self.peek() {
            None => {}
            Some(b'"') => self.string(),
            Some(b'\'') => {
                self.i += 1;
                while self.i < self.b.len() && self.b[self.i] != b'\'' {
                    self.i += if self.b[self.i] == b'\\' { 2 } else { 1 };
                }
                self.i = (self.i + 1).min(self.b.len());
            }
            Some(b'[') => {
                self.i += 1;
                let mut k = 0;
                self.items(b']', |s| {
                    s.value(&format!("{path}[{k}]"));
                    k += 1;
                });
            }
            Some(b'{') => {
                self.i += 1;
                self.items(b'}', |s| {
                    s.skip_ws();
                    let key_start = s.i;
                    if s.peek() == Some(b'"') {
                        s.string();
                    } else {
                        let _ = s.ident();
                    }
                    let key = String::from_utf8_lossy(&s.b[key_start..s.i]).trim_matches('"').to_string();
                    s.skip_ws();
                    if s.peek() == Some(b':') {
                        s.i += 1;
                    }
                    s.value(&format!("{path}.{key}"));
                });
            }
            Some(b'(') => {
                self.i += 1;
                self.fields(path);
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let name = self.ident().unwrap_or("").to_string();
                self.skip_ws();
                if self.peek() == Some(b'(') {
                    self.i += 1;
                    if name == "Some" {
                        // Transparent: the inner value is the field's value.
                        self.out.pop();
                        self.value(path);
                        self.skip_ws();
                        if self.peek() == Some(b')') {
                            self.i += 1;
                        }
                        self.depth -= 1;
                        return;
                    }
                    self.fields(path);
                }
            }
            Some(_) => {
                // Number or other scalar: up to a delimiter.
                while self.i < self.b.len() && !matches!(self.b[self.i], b',' | b')' | b']' | b'}') && !self.b[self.i].is_ascii_whitespace()
                {
                    self.i += 1;
                }
            }
        }
        self.depth -= 1;
        if let Some(e) = self.out.get_mut(slot) {
            e.end = self.i.max(start);
        }
    }

    /// Comma-separated items up to `close`.
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self)) {
        loop {
            self.skip_ws();
            match self.peek() {
                None => return,
                Some(c) if c == close => {
                    self.i += 1;
                    return;
                }
                Some(b',') => self.i += 1,
                Some(_) => {
                    let before = self.i;
                    item(self);
                    if self.i == before {
                        self.i += 1; // never loop on junk
                    }
                }
            }
        }
    }

    /// The inside of `( ... )`: named fields (`a: 1, b: 2`) or tuple elements (`.0`, `.1`).
    fn fields(&mut self, path: &str) {
        let mut k = 0;
        let sep = if path.is_empty() { "" } else { "." };
        self.items(b')', |s| {
            s.skip_ws();
            let save = s.i;
            if let Some(name) = s.ident().map(str::to_string) {
                s.skip_ws();
                if s.peek() == Some(b':') && s.b.get(s.i + 1) != Some(&b':') {
                    s.i += 1;
                    s.value(&format!("{path}{sep}{name}"));
                    return;
                }
            }
            s.i = save;
            s.value(&format!("{path}{sep}{k}"));
            k += 1;
        });
    }
}

impl SpanIndex {
    /// Indexes `source`.
    pub fn new(source: &str) -> SpanIndex {
        let mut s = Scanner { b: source.as_bytes(), i: 0, out: Vec::new(), depth: 0 };
        s.value("");
        SpanIndex { entries: s.out }
    }

    /// The span of exactly `path`.
    pub fn get(&self, path: &str) -> Option<(usize, usize)> {
        self.entries.iter().find(|e| e.path == path).map(|e| (e.start, e.end))
    }

    /// The best span for a path as an error message names it: the path itself; else, under
    /// the longest prefix that exists (`events[2]`), the first value whose last segment is
    /// the path's (`events[2].repeat.stride` for `events[2].stride`); else that prefix.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        if let Some(s) = self.get(path) {
            return Some(s);
        }
        let last = path.rsplit('.').next().unwrap_or(path);
        let mut prefix = path;
        loop {
            prefix = match prefix.rfind(['.', '[']) {
                Some(i) => &prefix[..i],
                None => return None,
            };
            if prefix.is_empty() {
                return None;
            }
            if let Some(anchor) = self.get(prefix) {
                let under = self.entries.iter().find(|e| {
                    e.path.len() > prefix.len()
                        && e.path.starts_with(prefix)
                        && matches!(e.path.as_bytes()[prefix.len()], b'.' | b'[')
                        && e.path.rsplit('.').next() == Some(last)
                });
                return Some(under.map_or(anchor, |e| (e.start, e.end)));
            }
        }
    }

    /// The innermost value at byte `offset` (for naming the field of a type error).
    pub fn path_at(&self, offset: usize) -> Option<&str> {
        self.entries
            .iter()
            .filter(|e| !e.path.is_empty() && e.start <= offset && offset <= e.end)
            .min_by_key(|e| e.end - e.start)
            .map(|e| e.path.as_str())
    }
}

/// The path an error message starts with (`events[2].device: ...`, `generators[0] "a" ...`),
/// if any.
pub fn message_path(message: &str) -> Option<&str> {
    let end = message.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']'))).unwrap_or(message.len());
    let p = &message[..end];
    (!p.is_empty() && p.starts_with(|c: char| c.is_ascii_alphabetic())).then_some(p)
}

/// Byte offset → 1-based (line, column in characters).
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let offset = (0..=offset).rev().find(|&o| source.is_char_boundary(o)).unwrap_or(0);
    let before = &source[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// 1-based (line, column in characters) → byte offset (clamped to the text).
pub fn offset_of(source: &str, line: usize, col: usize) -> usize {
    let mut off = 0;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off + l.char_indices().nth(col.saturating_sub(1)).map_or(l.trim_end_matches('\n').len(), |(b, _)| b);
        }
        off += l.len();
    }
    source.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"// a comment with "b" and events
#![enable(implicit_some)]
Scenario(
    name: "s (events)",
    seed: -7,
    events: [
        (at: 0, op: Attach(device: "d0", container: "c")),
        (at: 1, op: Attach(device: "d0", container: "c")),
        (at: 2, repeat: (count: 2, every: 3, stride: 0x800), op: Dma(device: "d9", iova: 0x0, bytes: 1, dir: Write)),
    ],
    generators: [Nic(id: "n", rate: Gbps(25), stop: Some(5))],
    tolerances: {"faults": 5},
)"#;

    fn text_at(span: (usize, usize)) -> &'static str {
        &SRC[span.0..span.1]
    }

    #[test]
    fn paths_point_at_their_values() {
        let ix = SpanIndex::new(SRC);
        assert_eq!(text_at(ix.get("seed").unwrap()), "-7");
        assert_eq!(text_at(ix.get("events[2].op.device").unwrap()), "\"d9\"");
        assert_eq!(text_at(ix.get("events[2].repeat.stride").unwrap()), "0x800");
        assert_eq!(text_at(ix.get("generators[0].rate.0").unwrap()), "25");
        assert_eq!(text_at(ix.get("generators[0].stop").unwrap()), "5");
        assert_eq!(text_at(ix.get("tolerances.faults").unwrap()), "5");
        // Message paths that skip a level still land on the value (not on events[0]).
        assert_eq!(text_at(ix.locate("events[2].device").unwrap()), "\"d9\"");
        assert_eq!(text_at(ix.locate("events[2].stride").unwrap()), "0x800");
        assert!(text_at(ix.locate("events[2]").unwrap()).starts_with("(at: 2"));
        assert_eq!(ix.path_at(SRC.find("-7").unwrap()), Some("seed"));
    }

    #[test]
    fn message_paths() {
        assert_eq!(message_path("events[2].device: device \"x\" is not in topology"), Some("events[2].device"));
        assert_eq!(message_path("generators[0] \"a\" and generators[1] \"b\" map"), Some("generators[0]"));
        assert_eq!(message_path("more than 65535 containers"), Some("more"));
        assert_eq!(message_path("\"x\" bad"), None);
    }

    #[test]
    fn junk_never_panics() {
        for junk in ["", "(", "[[[", "\"", "/*", "a(b: [1, (c: \"\\", "é(ü: 1)", "#![", "{:", "Some(", "x: y: z"] {
            let ix = SpanIndex::new(junk);
            let _ = ix.locate("a.b[1].c");
            let _ = ix.path_at(3);
            let _ = line_col(junk, 99);
            let _ = offset_of(junk, 3, 9);
        }
        let deep = "[".repeat(100_000);
        let _ = SpanIndex::new(&deep);
    }
}
