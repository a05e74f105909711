//! A lossless, schema-agnostic RON tree: what a sweep edits.
//!
//! Why not `ron::Value`: it forgets struct and enum-variant names (`Nvme(...)`, `Lazy`), so a
//! scenario could not be written back. Why not the typed schema: sweeps must keep working as
//! fields are added to scenarios and topologies. So a file is parsed into this small tree
//! (names kept, scalars kept as their source text), edited by path, printed back as compact
//! RON and handed to the ordinary typed loaders, which alone decide what is valid.

use std::fmt::Write as _;

/// One RON value. Scalars (numbers, strings, chars, bools, bytes) keep their source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A number, string, char or byte-string literal, as written.
    Atom(String),
    /// A bare identifier: a unit variant (`Lazy`), `true`, `None`, ...
    Ident(String),
    /// `Name(field: v, ...)` or `(field: v, ...)`.
    Struct { name: Option<String>, fields: Vec<(String, Node)> },
    /// `Name(v, ...)`, `(v, ...)`, `Some(v)`, `()`.
    Tuple { name: Option<String>, items: Vec<Node> },
    /// `[v, ...]`.
    List(Vec<Node>),
    /// `{k: v, ...}`.
    Map(Vec<(Node, Node)>),
}

/// A file: leading `#![enable(...)]` attributes (kept verbatim) and the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Doc {
    pub attributes: Vec<String>,
    pub root: Node,
}

/// A syntax error at a byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

/// Nesting deeper than this is refused (no stack overflow on junk).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl Doc {
    /// Parses a whole file.
    pub fn parse(src: &str) -> Result<Doc, SyntaxError> {
        let mut p = Parser { src, pos: 0 };
        let mut attributes = Vec::new();
        p.skip_ws()?;
        while p.rest().starts_with("#!") {
            let start = p.pos;
            let end = p.rest().find(']').ok_or_else(|| p.err("unterminated `#![...]` attribute"))?;
            p.pos += end + 1;
            attributes.push(src[start..p.pos].to_string());
            p.skip_ws()?;
        }
        let root = p.value(0)?;
        p.skip_ws()?;
        if p.pos != src.len() {
            return Err(p.err("unexpected text after the value"));
        }
        Ok(Doc { attributes, root })
    }

    /// Compact RON text of the file.
    pub fn print(&self) -> String {
        let mut out = String::new();
        for a in &self.attributes {
            out.push_str(a);
            out.push('\n');
        }
        self.root.print_into(&mut out);
        out
    }
}

impl Node {
    /// Parses one value (e.g. an axis value written on the command line).
    pub fn parse(src: &str) -> Result<Node, SyntaxError> {
        let mut p = Parser { src, pos: 0 };
        p.skip_ws()?;
        let v = p.value(0)?;
        p.skip_ws()?;
        if p.pos != src.len() {
            return Err(p.err("unexpected text after the value"));
        }
        Ok(v)
    }

    /// Compact RON text.
    pub fn print(&self) -> String {
        let mut out = String::new();
        self.print_into(&mut out);
        out
    }

    fn print_into(&self, out: &mut String) {
        match self {
            Node::Atom(s) | Node::Ident(s) => out.push_str(s),
            Node::Struct { name, fields } => {
                out.push_str(name.as_deref().unwrap_or(""));
                out.push('(');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{k}:");
                    v.print_into(out);
                }
                out.push(')');
            }
            Node::Tuple { name, items } => {
                out.push_str(name.as_deref().unwrap_or(""));
                out.push('(');
                join(out, items);
                out.push(')');
            }
            Node::List(items) => {
                out.push('[');
                join(out, items);
                out.push(']');
            }
            Node::Map(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    k.print_into(out);
                    out.push(':');
                    v.print_into(out);
                }
                out.push('}');
            }
        }
    }

    /// What kind of value this is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Atom(s) if s.starts_with('"') || s.starts_with('r') => "a string",
            Node::Atom(_) => "a number",
            Node::Ident(_) => "a name",
            Node::Struct { .. } => "a struct",
            Node::Tuple { .. } => "a tuple",
            Node::List(_) => "a list",
            Node::Map(_) => "a map",
        }
    }

    /// The text of a plain string literal (`"abc"` → `abc`; escapes `\"` and `\\` undone).
    pub fn as_str(&self) -> Option<String> {
        let Node::Atom(s) = self else { return None };
        let inner = s.strip_prefix('"')?.strip_suffix('"')?;
        let mut out = String::with_capacity(inner.len());
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    other => out.push(other),
                }
            } else {
                out.push(c);
            }
        }
        Some(out)
    }

    /// An integer literal's value (decimal, `0x`, `0o`, `0b`, `_` separators), if it is one.
    pub fn as_u64(&self) -> Option<u64> {
        let Node::Atom(s) = self else { return None };
        parse_u64(s)
    }

    /// The field `name` of a struct.
    pub fn field(&self, name: &str) -> Option<&Node> {
        match self {
            Node::Struct { fields, .. } => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Parses an unsigned integer literal as RON writes it.
pub fn parse_u64(s: &str) -> Option<u64> {
    let s = s.strip_prefix('+').unwrap_or(s).replace('_', "");
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x") {
        (h.to_string(), 16)
    } else if let Some(o) = s.strip_prefix("0o") {
        (o.to_string(), 8)
    } else if let Some(b) = s.strip_prefix("0b") {
        (b.to_string(), 2)
    } else {
        (s, 10)
    };
    u64::from_str_radix(&digits, radix).ok()
}

fn join(out: &mut String, items: &[Node]) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        v.print_into(out);
    }
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn err(&self, message: &str) -> SyntaxError {
        SyntaxError { offset: self.pos, message: message.to_string() }
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    /// Skips whitespace, `// line` and nested `/* block */` comments.
    fn skip_ws(&mut self) -> Result<(), SyntaxError> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if trimmed.starts_with("/*") {
                let mut depth = 0usize;
                let bytes = self.src.as_bytes();
                loop {
                    if self.pos + 1 >= bytes.len() {
                        return Err(self.err("unterminated block comment"));
                    }
                    match (bytes[self.pos], bytes[self.pos + 1]) {
                        (b'/', b'*') => {
                            depth += 1;
                            self.pos += 2;
                        }
                        (b'*', b'/') => {
                            depth -= 1;
                            self.pos += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => self.pos += 1,
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    fn expect(&mut self, c: char) -> Result<(), SyntaxError> {
        self.skip_ws()?;
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{c}`")))
        }
    }

    /// Parses comma-separated items up to `close` (trailing comma allowed).
    fn items<T>(&mut self, close: char, mut item: impl FnMut(&mut Self) -> Result<T, SyntaxError>) -> Result<Vec<T>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(out);
            }
            out.push(item(self)?);
            self.skip_ws()?;
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err(self.err(&format!("expected `,` or `{close}`"))),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nesting too deep"));
        }
        self.skip_ws()?;
        let rest = self.rest();
        let Some(c) = rest.chars().next() else { return Err(self.err("expected a value")) };
        match c {
            '[' => {
                self.pos += 1;
                Ok(Node::List(self.items(']', |p| p.value(depth + 1))?))
            }
            '{' => {
                self.pos += 1;
                let entries = self.items('}', |p| {
                    let k = p.value(depth + 1)?;
                    p.expect(':')?;
                    Ok((k, p.value(depth + 1)?))
                })?;
                Ok(Node::Map(entries))
            }
            '(' => self.parens(None, depth),
            '"' => self.quoted('"'),
            '\'' => self.quoted('\''),
            'b' if rest.starts_with("b\"") || rest.starts_with("b'") => {
                self.pos += 1;
                let q = self.quoted(rest.as_bytes()[1] as char)?;
                let Node::Atom(s) = q else { unreachable!("quoted gives atoms") };
                Ok(Node::Atom(format!("b{s}")))
            }
            'r' if rest.starts_with("r\"") || rest.starts_with("r#") => self.raw_string(),
            'b' if rest.starts_with("br\"") || rest.starts_with("br#") => {
                self.pos += 1;
                let Node::Atom(s) = self.raw_string()? else { unreachable!("raw strings are atoms") };
                Ok(Node::Atom(format!("b{s}")))
            }
            c if c.is_ascii_digit() || c == '-' || c == '+' || c == '.' => Ok(Node::Atom(self.number())),
            c if c.is_alphabetic() || c == '_' => {
                let name = self.ident();
                let after = self.pos;
                self.skip_ws()?;
                if self.peek() == Some('(') {
                    self.parens(Some(name), depth)
                } else {
                    self.pos = after;
                    Ok(Node::Ident(name))
                }
            }
            _ => Err(self.err(&format!("unexpected `{c}`"))),
        }
    }

    /// After an optional name: `(field: v, ...)` or `(v, ...)`.
    fn parens(&mut self, name: Option<String>, depth: usize) -> Result<Node, SyntaxError> {
        self.expect('(')?;
        self.skip_ws()?;
        // A struct if the first thing is `ident :` (not `::`).
        let save = self.pos;
        let is_struct = if self.peek().is_some_and(|c| c.is_alphabetic() || c == '_') {
            let _ = self.ident();
            self.skip_ws()?;
            let r = self.rest();
            r.starts_with(':') && !r.starts_with("::")
        } else {
            false
        };
        self.pos = save;
        if is_struct {
            let fields = self.items(')', |p| {
                p.skip_ws()?;
                let k = p.ident();
                if k.is_empty() {
                    return Err(p.err("expected a field name"));
                }
                p.expect(':')?;
                Ok((k, p.value(depth + 1)?))
            })?;
            Ok(Node::Struct { name, fields })
        } else {
            Ok(Node::Tuple { name, items: self.items(')', |p| p.value(depth + 1))? })
        }
    }

    fn ident(&mut self) -> String {
        let rest = self.rest();
        let raw = rest.starts_with("r#");
        let body = if raw { &rest[2..] } else { rest };
        let len = body.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(body.len());
        let total = len + if raw { 2 } else { 0 };
        self.pos += total;
        rest[..total].to_string()
    }

    fn number(&mut self) -> String {
        let rest = self.rest();
        let bytes = rest.as_bytes();
        let hex = rest.trim_start_matches(['+', '-']).starts_with("0x");
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let sign_ok = (b == b'+' || b == b'-') && (i == 0 || (!hex && matches!(bytes[i - 1], b'e' | b'E')));
            if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || sign_ok {
                i += 1;
            } else {
                break;
            }
        }
        self.pos += i;
        rest[..i].to_string()
    }

    fn quoted(&mut self, q: char) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let mut i = self.pos + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b if b as char == q => {
                    self.pos = i + 1;
                    return Ok(Node::Atom(self.src[start..self.pos].to_string()));
                }
                _ => i += 1,
            }
        }
        Err(self.err("unterminated literal"))
    }

    fn raw_string(&mut self) -> Result<Node, SyntaxError> {
        let start = self.pos;
        let rest = &self.rest()[1..];
        let hashes = rest.len() - rest.trim_start_matches('#').len();
        if !rest[hashes..].starts_with('"') {
            return Err(self.err("malformed raw string"));
        }
        let close = format!("\"{}", "#".repeat(hashes));
        let body_start = 1 + hashes + 1;
        let end = self.rest()[body_start..].find(&close).ok_or_else(|| self.err("unterminated raw string"))?;
        self.pos += body_start + end + close.len();
        Ok(Node::Atom(self.src[start..self.pos].to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_names_comments_and_literals() {
        let src = r##"#![enable(implicit_some)]
// a comment
Scenario( /* block /* nested */ */ name: "a \"b\"", seed: 0x2a, x: -1.5e-3,
  generators: [Nvme(id: "n", pattern: Zipf, rate: Gbps(100))], t: {"k": 5}, u: (), c: 'x', r: r#"raw"#, o: Some(3),)"##;
        let doc = Doc::parse(src).expect("parses");
        let text = doc.print();
        assert_eq!(
            text,
            "#![enable(implicit_some)]\nScenario(name:\"a \\\"b\\\"\",seed:0x2a,x:-1.5e-3,generators:[Nvme(id:\"n\",pattern:Zipf,rate:Gbps(100))],t:{\"k\":5},u:(),c:'x',r:r#\"raw\"#,o:Some(3))"
        );
        assert_eq!(Doc::parse(&text).expect("reparses"), doc);
        assert_eq!(doc.root.field("name").and_then(Node::as_str).as_deref(), Some("a \"b\""));
        assert_eq!(doc.root.field("seed").and_then(Node::as_u64), Some(42));
    }

    #[test]
    fn junk_is_an_error_not_a_panic() {
        for junk in ["(", "[1,", "Name(a: )", "\"open", "/* x", "[[[[", "(a: 1 b: 2)", "1 2", "r#\"x\"", "{1 2}"] {
            assert!(Doc::parse(junk).is_err(), "{junk}");
        }
        assert!(Doc::parse(&"[".repeat(10_000)).is_err());
    }

    #[test]
    fn every_bundled_scenario_and_topology_round_trips_through_the_typed_loader() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for dir in ["scenarios", "topologies"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("dir") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "ron") {
                    let src = std::fs::read_to_string(&path).expect("read");
                    let doc = Doc::parse(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                    let back = Doc::parse(&doc.print()).expect("reparse");
                    assert_eq!(back, doc, "{}", path.display());
                }
            }
        }
    }
}
