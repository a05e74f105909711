//! Errors as a user sees them: the `file:line:col: message` line that editors and CI logs
//! parse, then — when the error has a place in a file — the source line with a caret under the
//! offending value, and any `help:` line ("did you mean `ArmSmmuV3`?").
//!
//! Rendering uses `annotate-snippets`, the crate rustc and cargo render their own diagnostics
//! with (kept by the Rust project, small: no global error type to adopt, unlike miette; no
//! colour-only output, unlike ariadne's defaults; plain text when stderr is not a terminal, so
//! logs stay clean). The *place* comes from the parser (RON's span for syntax and type errors)
//! or from the path the message names, looked up in `sim_core::spans` — never from searching
//! the text.

use std::io::IsTerminal as _;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use sim_core::error::InputError;

/// Renders an error for stderr (without the trailing newline).
pub fn render(e: &(dyn std::error::Error + 'static)) -> String {
    let plain = format!("error: {e}");
    let Some(input) = e.downcast_ref::<InputError>() else { return plain };
    let (at, message) = match input {
        InputError::Parse { at, message } | InputError::Invalid { at, message } => (at, message),
        InputError::Io { .. } => return plain,
    };
    // The message's own first line is the title; `help:` lines become help notes.
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default();
    let helps: Vec<&str> = lines.filter_map(|l| l.strip_prefix("help: ")).collect();
    let title = format!("{at}: {first}");
    let source = if at.line > 0 { std::fs::read_to_string(&at.path).ok() } else { None };
    let Some(source) = source else {
        let mut out = format!("error: {title}");
        for h in &helps {
            out.push_str(&format!("\nhelp: {h}"));
        }
        return out;
    };
    let offset = sim_core::spans::offset_of(&source, at.line, at.col);
    // Underline the whole value that starts here (a string, a number, a struct's name...).
    // Underline the innermost value at that place (a parser may point inside or just past
    // it: `seed: -7` is reported at the `7`).
    let index = sim_core::spans::SpanIndex::new(&source);
    let inner = index
        .entries
        .iter()
        .filter(|x| !x.path.is_empty() && x.start <= offset && offset <= x.end && x.end > x.start)
        .min_by_key(|x| x.end - x.start);
    let (offset, end) = match inner {
        Some(x) => (x.start, x.end),
        None => (offset, source[offset..].chars().next().map_or(offset, |c| offset + c.len_utf8())),
    };
    // Underline within the first line only.
    let end = source[offset..end].find('\n').map_or(end, |i| offset + i);
    // Show the line the value starts on, numbered as in the file.
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..].find('\n').map_or(source.len(), |i| offset + i);
    let excerpt = &source[line_start..line_end];
    let (a, b) = (offset - line_start, end.min(line_end) - line_start);
    let path = at.path.display().to_string();
    let label = if helps.is_empty() { "here" } else { "" };
    let mut report = vec![
        Level::ERROR.primary_title(title.as_str()).element(
            Snippet::source(excerpt)
                .line_start(sim_core::spans::line_col(&source, offset).0)
                .path(path.as_str())
                .annotation(AnnotationKind::Primary.span(a..b.max(a)).label(label)),
        ),
    ];
    for h in &helps {
        report.push(Group::with_title(Level::HELP.secondary_title(*h)));
    }
    let renderer = if std::io::stderr().is_terminal() { Renderer::styled() } else { Renderer::plain() };
    renderer.render(&report)
}
