//! The DMA latency distribution as a cumulative (CDF) step chart on a log-x axis, drawn from
//! the histogram buckets of `RunResult::latency_buckets` (upper bound in cycles, count). A
//! bucket's samples are placed at its upper bound, the same conservative bound the
//! percentiles report (sim-core `metrics/histogram.rs`), so the curve never looks faster than
//! the data. The log axis uses `fmt::log2_fixed` (integer fixed point), not float `ln`.

use std::fmt::Write as _;

use super::bars::Series;
use super::{Svg, text_width};
use crate::fmt;

const W: i64 = 480;
const PLOT_H: i64 = 220;

/// One curve: a series style and its buckets (ascending upper bounds).
pub struct Curve<'a> {
    pub series: Series,
    pub buckets: &'a [(u64, u64)],
}

/// Axis label for a power of ten of cycles.
fn pow10_label(v: u64) -> String {
    fmt::compact(v)
}

/// Renders the CDF chart. Curves with no samples are listed in the legend only.
pub fn chart(title: &str, curves: &[Curve<'_>]) -> String {
    let max_ub = curves.iter().flat_map(|c| c.buckets.iter().map(|b| b.0)).max().unwrap_or(1).max(1);
    let mut hi = 10u64;
    while hi < max_ub {
        match hi.checked_mul(10) {
            Some(h) => hi = h,
            None => {
                hi = u64::MAX;
                break;
            }
        }
    }
    let (x0, x1) = (44i64, W - 14);
    let log_hi = fmt::log2_fixed(hi).max(1);
    // 8 px inside the axis so a jump at 1 cycle does not hide behind it.
    let x_of = |v: u64| x0 + 8 + (u128::from(fmt::log2_fixed(v)) * (x1 - x0 - 8) as u128 / u128::from(log_hi)) as i64;

    // Paths first: a curve drawn on exactly the pixels of an earlier one is hidden under it,
    // and its legend entry says so (a reader would otherwise look for it in vain).
    let path_of = |c: &Curve<'_>, y1: i64| -> Option<String> {
        let total = c.buckets.iter().fold(0u64, |a, b| a.saturating_add(b.1));
        if total == 0 {
            return None;
        }
        let y_of = |cum: u64| y1 - (u128::from(cum) * PLOT_H as u128 / u128::from(total.max(1))) as i64;
        let mut d = String::new();
        let _ = write!(d, "M{x0} {y1}");
        let mut cum = 0u64;
        for &(ub, n) in c.buckets {
            cum = cum.saturating_add(n);
            let _ = write!(d, "H{}V{}", x_of(ub), y_of(cum));
        }
        let _ = write!(d, "H{x1}");
        Some(d)
    };
    let shapes: Vec<Option<String>> = curves.iter().map(|c| path_of(c, PLOT_H)).collect();
    let items: Vec<(String, &str)> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let under = shapes[i].as_ref().and_then(|d| (0..i).rev().find(|&j| shapes[j].as_ref() == Some(d)));
            let name = match under {
                Some(j) => format!("{} (hidden under {}: the same curve at this scale)", c.series.name, curves[j].series.name),
                None => c.series.name.clone(),
            };
            (name, c.series.colour)
        })
        .collect();
    let mut probe = Svg::new("", 0, 0, "");
    let y0 = probe.legend(10, 6, W, &items) + 8;
    let y1 = y0 + PLOT_H;
    let y_of = |cum: u64, total: u64| y1 - (u128::from(cum) * PLOT_H as u128 / u128::from(total.max(1))) as i64;
    let h = y1 + 40;

    let mut svg = Svg::new("cdf", W, h, title);
    svg.legend(10, 6, W, &items);
    svg.group("grid");
    for pm in [0u64, 250, 500, 750, 1000] {
        let y = y1 - (pm as i64 * PLOT_H / 1000);
        svg.line(x0, y, x1, y, if pm == 0 { "axis" } else { "gridline" });
        svg.text(x0 - 6, y + 4, "end", "tick", &format!("{}\u{a0}%", pm / 10));
    }
    let y99 = y1 - (990 * PLOT_H / 1000);
    svg.line(x0, y99, x1, y99, "gridline p99");
    svg.text(x1 - 2, y99 - 3, "end", "tick", "p99");
    svg.line(x0, y0, x0, y1, "axis");
    let mut p = 1u64;
    loop {
        let x = x_of(p);
        svg.line(x, y0, x, y1, "gridline");
        let anchor = if p >= hi { "end" } else { "middle" };
        svg.text(if p >= hi { x + 4 } else { x }, y1 + 15, anchor, "tick", &pow10_label(p));
        if p >= hi {
            break;
        }
        match p.checked_mul(10) {
            Some(n) if n <= hi => p = n,
            _ => break,
        }
    }
    let caption = "cycles per translation (log scale)";
    svg.text((x0 + x1) / 2 - text_width(caption, 12) / 2, y1 + 32, "start", "axis-title", caption);
    svg.end_group();

    for c in curves {
        let total = c.buckets.iter().fold(0u64, |a, b| a.saturating_add(b.1));
        if total == 0 {
            continue;
        }
        let mut d = String::new();
        let _ = write!(d, "M{x0} {y1}");
        let mut cum = 0u64;
        for &(ub, n) in c.buckets {
            cum = cum.saturating_add(n);
            let _ = write!(d, "H{}V{}", x_of(ub), y_of(cum, total));
        }
        let _ = write!(d, "H{x1}");
        let p50 = percentile(c.buckets, total, 500);
        let p99 = percentile(c.buckets, total, 990);
        let tip = format!("{}: {} translations, p50 ≤ {} cycles, p99 ≤ {} cycles", c.series.name, fmt::thousands(total), p50, p99);
        svg.path(&d, c.series.colour, c.series.dash, "line", &tip);
    }
    svg.finish()
}

/// The upper bound of the bucket holding the `pm`-per-mille quantile.
fn percentile(buckets: &[(u64, u64)], total: u64, pm: u64) -> u64 {
    let rank = (u128::from(total) * u128::from(pm)).div_ceil(1000).max(1);
    let mut cum = 0u128;
    for &(ub, n) in buckets {
        cum += u128::from(n);
        if cum >= rank {
            return ub;
        }
    }
    buckets.last().map_or(0, |b| b.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_path_per_nonempty_curve() {
        let a = [(1, 90), (100, 9), (5000, 1)];
        let curves = [
            Curve { series: Series { name: "a".into(), colour: "#000", dash: "" }, buckets: &a },
            Curve { series: Series { name: "b".into(), colour: "#111", dash: "" }, buckets: &[] },
        ];
        let svg = chart("t", &curves);
        assert_eq!(svg.matches("class=\"line\"").count(), 1);
        assert!(svg.contains(">10k<"), "axis reaches the next power of ten: {svg}");
        assert!(svg.contains("p50 ≤ 1 cycles, p99 ≤ 100 cycles"));
    }

    #[test]
    fn a_curve_drawn_on_another_is_named_as_hidden() {
        // Different buckets, identical at this scale (the same upper bounds, proportional counts).
        let a = [(1, 50), (100, 50)];
        let b = [(1, 5), (100, 5)];
        let curves = [
            Curve { series: Series { name: "a".into(), colour: "#000", dash: "" }, buckets: &a },
            Curve { series: Series { name: "b".into(), colour: "#111", dash: "" }, buckets: &b },
        ];
        let svg = chart("t", &curves);
        assert!(svg.contains("b (hidden under a: the same curve at this scale)"), "{svg}");
    }

    #[test]
    fn extreme_buckets_do_not_panic() {
        let a = [(0, 1), (u64::MAX, u64::MAX)];
        let curves = [Curve { series: Series { name: "a".into(), colour: "#000", dash: "" }, buckets: &a }];
        let _ = chart("t", &curves);
        let _ = chart("t", &[]);
    }
}
