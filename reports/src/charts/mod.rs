//! Hand-written inline SVG charts. Every coordinate is an integer (pixels of the viewBox) and
//! every label comes from the integer formatters in `crate::fmt`, so the same input always
//! gives the same bytes. Text is escaped here; the template inserts the finished SVG as-is.
//!
//! Every chart is `<svg class="chart" viewBox=...>` with a `<title>` (its accessible name) and
//! draws into a fixed-width viewBox; CSS scales it to the page (`width: 100%`).

pub mod bars;
pub mod cdf;
pub mod platform;

use std::fmt::Write as _;

use crate::fmt;

/// Colours of series keyed by strategy (or input × strategy) position: Tableau 10, chosen for
/// being distinguishable with the common colour-vision deficiencies.
pub const SERIES: [&str; 10] =
    ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/// The colour of series `i` (cycles through [`SERIES`]).
pub fn series_colour(i: usize) -> &'static str {
    SERIES[i % SERIES.len()]
}

/// Dash patterns used after the colours run out, so 20 series stay distinguishable.
pub fn series_dash(i: usize) -> &'static str {
    match (i / SERIES.len()) % 3 {
        0 => "",
        1 => "6 3",
        _ => "2 3",
    }
}

/// What a value measures, which decides how it is labelled and how the axis is divided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Plain counts (commands, faults, domains).
    Count,
    /// CPU or device cycles.
    Cycles,
    /// Bytes (binary prefixes, power-of-two axis steps).
    Bytes,
    /// Per-mille values shown as percentages (axis fixed at 0–100 %).
    Permille,
}

impl Unit {
    /// Short label for a value.
    pub fn label(self, v: u64) -> String {
        match self {
            Unit::Count | Unit::Cycles => fmt::compact(v),
            Unit::Bytes => fmt::bytes(v),
            Unit::Permille => fmt::percent(v),
        }
    }

    /// Exact label for tooltips.
    pub fn exact(self, v: u64) -> String {
        match self {
            Unit::Count => fmt::thousands(v),
            Unit::Cycles => format!("{} cycles", fmt::thousands(v)),
            Unit::Bytes => format!("{} bytes", fmt::thousands(v)),
            Unit::Permille => fmt::percent(v),
        }
    }

    /// Axis step and top for a data maximum: about four to five steps of 1, 2 or 5 × 10^k
    /// (powers of two for bytes; 20 % steps for percentages).
    pub fn ticks(self, max: u64) -> (u64, u64) {
        if self == Unit::Permille {
            return (200, 1000);
        }
        let max = max.max(1);
        let target = max.div_ceil(5).max(1);
        let step = if self == Unit::Bytes {
            target.next_power_of_two()
        } else {
            let mut pow = 1u64;
            loop {
                if let Some(s) = [1u64, 2, 5].iter().filter_map(|m| m.checked_mul(pow)).find(|&s| s >= target) {
                    break s;
                }
                match pow.checked_mul(10) {
                    Some(p) => pow = p,
                    None => break target,
                }
            }
        };
        (step, max.div_ceil(step).saturating_mul(step))
    }
}

/// Escapes text for SVG/HTML character data and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Estimated width in viewBox pixels of `s` in the charts' 12 px monospace labels
/// (0.6 em per character; the charts use a monospace stack so this holds).
pub fn text_width(s: &str, font_px: i64) -> i64 {
    s.chars().count() as i64 * font_px * 6 / 10
}

/// Breaks `s` into lines no wider than `avail` pixels, after ", " where possible.
pub fn wrap(s: &str, avail: i64, font_px: i64) -> Vec<String> {
    if text_width(s, font_px) <= avail {
        return vec![s.to_string()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split_inclusive(' ') {
        if !cur.is_empty() && text_width(&cur, font_px) + text_width(word, font_px) > avail {
            lines.push(cur.trim_end().to_string());
            cur.clear();
        }
        cur.push_str(word);
    }
    if !cur.trim_end().is_empty() {
        lines.push(cur.trim_end().to_string());
    }
    lines
}

/// `colour` (`#rrggbb`) mixed with white, keeping `keep` per-cent of the colour: a light fill
/// that dark text stays readable on. Anything else is returned unchanged.
pub fn tint(colour: &str, keep: u32) -> String {
    let hex = colour.strip_prefix('#').filter(|h| h.len() == 6 && h.chars().all(|c| c.is_ascii_hexdigit()));
    let Some(hex) = hex else {
        return colour.to_string();
    };
    let mut out = String::from("#");
    for i in 0..3 {
        let c = u32::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(255);
        let mixed = 255 - (255 - c) * keep.min(100) / 100;
        out.push_str(&format!("{mixed:02x}"));
    }
    out
}

/// A small SVG writer: integer coordinates, escaped text.
pub struct Svg {
    buf: String,
}

impl Svg {
    /// Starts `<svg class="chart {extra_class}">` of `w × h` with `title` as accessible name.
    pub fn new(extra_class: &str, w: i64, h: i64, title: &str) -> Svg {
        Svg::with_min_width(extra_class, w, h, title, 0)
    }

    /// Like `new`, never drawn narrower than `min_width` CSS pixels (0: no minimum), so
    /// that its text stays legible on a phone: the page scrolls the chart sideways instead.
    pub fn with_min_width(extra_class: &str, w: i64, h: i64, title: &str, min_width: i64) -> Svg {
        let mut buf = String::with_capacity(4096);
        let style = if min_width > 0 { format!(" style=\"min-width: {min_width}px\"") } else { String::new() };
        let _ = write!(
            buf,
            "<svg class=\"chart {}\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\"{style} role=\"img\"><title>{}</title>",
            esc(extra_class),
            esc(title)
        );
        Svg { buf }
    }

    /// A rectangle; `fill` is a colour or `none`; `class` may be empty; `tip` becomes a
    /// hover tooltip (`<title>` child) when not empty.
    #[allow(clippy::too_many_arguments)]
    pub fn rect(&mut self, x: i64, y: i64, w: i64, h: i64, fill: &str, class: &str, tip: &str) {
        let _ = write!(self.buf, "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\"", w.max(0), h.max(0));
        if !fill.is_empty() {
            let _ = write!(self.buf, " fill=\"{}\"", esc(fill));
        }
        if !class.is_empty() {
            let _ = write!(self.buf, " class=\"{}\"", esc(class));
        }
        if tip.is_empty() {
            self.buf.push_str("/>");
        } else {
            let _ = write!(self.buf, "><title>{}</title></rect>", esc(tip));
        }
    }

    /// A rounded rectangle with a radius (nodes of the platform diagram).
    #[allow(clippy::too_many_arguments)]
    pub fn round_rect(&mut self, x: i64, y: i64, w: i64, h: i64, r: i64, fill: &str, class: &str, tip: &str) {
        let _ = write!(
            self.buf,
            "<rect x=\"{x}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"{r}\" fill=\"{}\" class=\"{}\"",
            w.max(0),
            h.max(0),
            esc(fill),
            esc(class)
        );
        if tip.is_empty() {
            self.buf.push_str("/>");
        } else {
            let _ = write!(self.buf, "><title>{}</title></rect>", esc(tip));
        }
    }

    /// A line segment with a CSS class.
    pub fn line(&mut self, x1: i64, y1: i64, x2: i64, y2: i64, class: &str) {
        let _ = write!(self.buf, "<line x1=\"{x1}\" y1=\"{y1}\" x2=\"{x2}\" y2=\"{y2}\" class=\"{}\"/>", esc(class));
    }

    /// A path (`d` built by the caller from integers) with stroke colour, dash and class.
    pub fn path(&mut self, d: &str, stroke: &str, dash: &str, class: &str, tip: &str) {
        let _ = write!(self.buf, "<path d=\"{}\" class=\"{}\"", esc(d), esc(class));
        if !stroke.is_empty() {
            let _ = write!(self.buf, " stroke=\"{}\"", esc(stroke));
        }
        if !dash.is_empty() {
            let _ = write!(self.buf, " stroke-dasharray=\"{}\"", esc(dash));
        }
        if tip.is_empty() {
            self.buf.push_str("/>");
        } else {
            let _ = write!(self.buf, "><title>{}</title></path>", esc(tip));
        }
    }

    /// Text at `(x, y)` (baseline) with anchor `start|middle|end` and a CSS class.
    pub fn text(&mut self, x: i64, y: i64, anchor: &str, class: &str, s: &str) {
        let _ = write!(self.buf, "<text x=\"{x}\" y=\"{y}\" text-anchor=\"{}\" class=\"{}\">{}</text>", esc(anchor), esc(class), esc(s));
    }

    /// Opens a `<g>` with a class (closed with [`Svg::end_group`]).
    pub fn group(&mut self, class: &str) {
        let _ = write!(self.buf, "<g class=\"{}\">", esc(class));
    }

    /// Closes a `<g>`.
    pub fn end_group(&mut self) {
        self.buf.push_str("</g>");
    }

    /// A horizontal legend of colour swatches at `(x, y)`, wrapping at `max_x`; returns the
    /// y below the legend. A name too long for one line (merged curves) gets lines of its own,
    /// broken after commas.
    pub fn legend(&mut self, x0: i64, y0: i64, max_x: i64, items: &[(String, &str)]) -> i64 {
        let (mut x, mut y) = (x0, y0);
        let avail = (max_x - x0 - 20).max(40);
        for (name, colour) in items {
            let lines = wrap(name, avail, 12);
            let widest = lines.iter().map(|l| text_width(l, 12)).max().unwrap_or(0);
            let w = 16 + widest + 18;
            if (x + w > max_x || lines.len() > 1) && x > x0 {
                x = x0;
                y += 18;
            }
            self.rect(x, y, 11, 11, colour, "swatch", "");
            for (k, line) in lines.iter().enumerate() {
                self.text(x + 16, y + 10 + 15 * k as i64, "start", "legend", line);
            }
            if lines.len() > 1 {
                y += 15 * (lines.len() as i64 - 1) + 18;
                x = x0;
            } else {
                x += w;
            }
        }
        if x == x0 && y > y0 { y } else { y + 18 }
    }

    /// Finishes the document.
    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>");
        self.buf
    }
}

/// A chart rendered for the page: an anchor id, a heading, a caption and the SVG.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Chart {
    pub id: String,
    pub title: String,
    pub caption: String,
    pub svg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(Unit::Count.ticks(0), (1, 1));
        assert_eq!(Unit::Count.ticks(7), (2, 8));
        assert_eq!(Unit::Cycles.ticks(1_787_100), (500_000, 2_000_000));
        assert_eq!(Unit::Bytes.ticks(53248), (16384, 65536));
        assert_eq!(Unit::Permille.ticks(3), (200, 1000));
        assert!(Unit::Count.ticks(u64::MAX / 2).1 >= u64::MAX / 2);
    }

    #[test]
    fn tints_and_wraps() {
        assert_eq!(tint("#000000", 50), "#808080");
        assert_eq!(tint("#4e79a7", 100), "#4e79a7");
        assert_eq!(tint("red", 50), "red");
        assert_eq!(wrap("aaa, bbb, ccc", 60, 10), vec!["aaa, bbb,", "ccc"]);
        assert_eq!(wrap("short", 600, 12), vec!["short"]);
    }

    #[test]
    fn escapes() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
