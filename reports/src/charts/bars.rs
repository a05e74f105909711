//! Horizontal bar charts: stacked (one bar per row, split into components) and grouped
//! (a band per group, one thin bar per series). Horizontal because strategy and device names
//! are long and because rows stack downwards, which suits a phone screen.

use super::{Svg, Unit};

/// Width of every bar chart's viewBox.
const W: i64 = 480;

/// A series (a component of a stacked bar, or one bar of each group).
#[derive(Clone, Debug)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub dash: &'static str,
}

/// Horizontal geometry shared by both kinds: where labels end, where the plot starts/ends.
struct Frame {
    x0: i64,
    x1: i64,
    top: u64,
    step: u64,
    unit: Unit,
}

impl Frame {
    /// Row labels sit above their bars, so the bars get the full width (this is what keeps
    /// the charts legible when a phone scales the viewBox down).
    fn new(max: u64, unit: Unit) -> Frame {
        let (step, top) = unit.ticks(max);
        Frame { x0: 10, x1: W - 58, top, step, unit }
    }

    /// x of value `v`.
    fn x(&self, v: u64) -> i64 {
        let span = (self.x1 - self.x0) as u128;
        self.x0 + (u128::from(v.min(self.top)) * span / u128::from(self.top.max(1))) as i64
    }

    /// Vertical grid lines from `y0` to `y1` and tick labels below `y1`.
    fn grid(&self, svg: &mut Svg, y0: i64, y1: i64) {
        svg.group("grid");
        let mut t = 0u64;
        loop {
            let x = self.x(t);
            svg.line(x, y0, x, y1, if t == 0 { "axis" } else { "gridline" });
            let anchor = if t == 0 { "start" } else { "middle" };
            // The last tick carries the unit (`2M cycles`); bytes and percentages carry theirs.
            let label =
                if t >= self.top && self.unit == Unit::Cycles { format!("{} cycles", self.unit.label(t)) } else { self.unit.label(t) };
            svg.text(x, y1 + 14, if t >= self.top && t > 0 { "end" } else { anchor }, "tick", &label);
            if t >= self.top {
                break;
            }
            t = t.saturating_add(self.step).min(self.top);
        }
        svg.end_group();
    }
}

/// One bar per row, split into `series.len()` stacked components (`values[row][series]`);
/// the row total is written at the bar's end.
pub fn stacked(title: &str, rows: &[String], series: &[Series], values: &[Vec<u64>], unit: Unit) -> String {
    let totals: Vec<u64> = values.iter().map(|r| r.iter().fold(0u64, |a, &b| a.saturating_add(b))).collect();
    let frame = Frame::new(totals.iter().copied().max().unwrap_or(0), unit);
    const LABEL: i64 = 15;
    const BAR: i64 = 16;
    const BAND: i64 = LABEL + BAR + 9;
    // Legend first (its height depends on wrapping), then the plot.
    let mut legend = Svg::new("", 0, 0, "");
    let items: Vec<(String, &str)> = series.iter().map(|s| (s.name.clone(), s.colour)).collect();
    let plot_top = legend.legend(frame.x0, 6, W, &items) + 2;
    let plot_bottom = plot_top + BAND * rows.len() as i64;
    let h = plot_bottom + 24;
    let mut svg = Svg::new("bars stacked", W, h, title);
    svg.legend(frame.x0, 6, W, &items);
    frame.grid(&mut svg, plot_top - 2, plot_bottom);
    for (r, row) in rows.iter().enumerate() {
        let y = plot_top + BAND * r as i64 + LABEL + 2;
        svg.text(frame.x0, y - 4, "start", "label", row);
        let mut cum = 0u64;
        for (s, ser) in series.iter().enumerate() {
            let v = values.get(r).and_then(|vs| vs.get(s)).copied().unwrap_or(0);
            let (a, b) = (frame.x(cum), frame.x(cum.saturating_add(v)));
            cum = cum.saturating_add(v);
            if v > 0 {
                let tip = format!("{row} · {}: {}", ser.name, unit.exact(v));
                svg.rect(a, y, (b - a).max(1), BAR, ser.colour, "bar", &tip);
            }
        }
        svg.text(frame.x(cum) + 5, y + BAR / 2 + 4, "start", "value", &unit.label(cum));
    }
    svg.finish()
}

/// A band per group with one bar per series (`values[group][series]`, `None` = not
/// applicable, written as "n/a").
pub fn grouped(title: &str, groups: &[String], series: &[Series], values: &[Vec<Option<u64>>], unit: Unit) -> String {
    let max = values.iter().flatten().flatten().copied().max().unwrap_or(0);
    let frame = Frame::new(max, unit);
    let bar: i64 = if series.len() > 4 { 12 } else { 14 };
    const GAP: i64 = 2;
    const LABEL: i64 = 17;
    const GROUP_GAP: i64 = 8;
    let band = LABEL + series.len() as i64 * (bar + GAP) - GAP + GROUP_GAP;
    let mut legend = Svg::new("", 0, 0, "");
    let items: Vec<(String, &str)> = series.iter().map(|s| (s.name.clone(), s.colour)).collect();
    let plot_top = legend.legend(frame.x0, 6, W, &items) + 4;
    let plot_bottom = plot_top + band * groups.len() as i64;
    let h = plot_bottom + 24;
    let mut svg = Svg::new("bars grouped", W, h, title);
    svg.legend(frame.x0, 6, W, &items);
    frame.grid(&mut svg, plot_top - 2, plot_bottom);
    for (g, group) in groups.iter().enumerate() {
        let gy = plot_top + band * g as i64 + GROUP_GAP / 2;
        if g > 0 {
            svg.line(frame.x0, gy - GROUP_GAP / 2, frame.x1, gy - GROUP_GAP / 2, "separator");
        }
        svg.text(frame.x0, gy + LABEL - 5, "start", "label", group);
        for (s, ser) in series.iter().enumerate() {
            let y = gy + LABEL + s as i64 * (bar + GAP);
            match values.get(g).and_then(|vs| vs.get(s)).copied().flatten() {
                Some(v) => {
                    let tip = format!("{group} · {}: {}", ser.name, unit.exact(v));
                    let x = frame.x(v);
                    svg.rect(frame.x0, y, (x - frame.x0).max(1), bar, ser.colour, "bar", &tip);
                    svg.text(x + 4, y + bar - 3, "start", "value small", &unit.label(v));
                }
                None => svg.text(frame.x0 + 4, y + bar - 3, "start", "value small na", "n/a"),
            }
        }
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize) -> Vec<Series> {
        (0..n).map(|i| Series { name: format!("s{i}"), colour: super::super::series_colour(i), dash: "" }).collect()
    }

    #[test]
    fn stacked_draws_a_rect_per_nonzero_component() {
        let rows = vec!["a".to_string(), "b".to_string()];
        let svg = stacked("t", &rows, &series(3), &[vec![1, 2, 3], vec![0, 5, 0]], Unit::Cycles);
        assert_eq!(svg.matches("class=\"bar\"").count(), 4);
        assert!(svg.starts_with("<svg class=\"chart bars stacked\""));
        assert!(svg.contains(">6<"), "axis reaches the largest total: {svg}");
    }

    #[test]
    fn grouped_marks_missing_values() {
        let groups = vec!["g".to_string()];
        let svg = grouped("t", &groups, &series(2), &[vec![Some(500), None]], Unit::Permille);
        assert!(svg.contains("n/a"));
        assert!(svg.contains("50.0\u{a0}%"));
        assert_eq!(svg, grouped("t", &groups, &series(2), &[vec![Some(500), None]], Unit::Permille));
    }

    #[test]
    fn empty_and_huge_inputs_do_not_panic() {
        let _ = stacked("t", &[], &[], &[], Unit::Count);
        let rows = vec!["x".to_string()];
        let _ = stacked("t", &rows, &series(2), &[vec![u64::MAX, u64::MAX]], Unit::Count);
        let _ = grouped("t", &rows, &series(1), &[vec![Some(u64::MAX)]], Unit::Bytes);
    }
}
