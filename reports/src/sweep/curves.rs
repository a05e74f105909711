//! One curve chart: a metric against one axis, a line per strategy through the mean over
//! seeds, a band from the minimum to the maximum. Numeric axes are placed by value (log scale
//! when they span two decades or more), list values by their length, anything else evenly.
//! Coordinates are rounded to whole pixels, so the same input gives the same bytes.

use std::fmt::Write as _;

use sim_core::sweep::tree::{Node, parse_u64};

use super::Table;
use crate::charts::{Unit, esc, series_colour, series_dash};

const W: i64 = 640;
const LEFT: i64 = 78;
const RIGHT: i64 = 24;
const TOP: i64 = 16;
const PLOT_H: i64 = 220;

/// How values of an axis become x positions.
enum XScale {
    /// Numbers (or list lengths), optionally on a log scale.
    Numeric { xs: Vec<f64>, log: bool, lengths: bool },
    /// Evenly spaced labels.
    Categorical,
}

fn x_scale(values: &[String]) -> XScale {
    let nums: Option<Vec<f64>> = values.iter().map(|v| parse_u64(v).map(|n| n as f64).or_else(|| v.parse::<f64>().ok())).collect();
    let (xs, lengths) = match nums {
        Some(xs) => (xs, false),
        None => {
            let lens: Option<Vec<f64>> = values
                .iter()
                .map(|v| match Node::parse(v) {
                    Ok(Node::List(items)) => Some(items.len() as f64),
                    _ => None,
                })
                .collect();
            match lens {
                Some(l) => (l, true),
                None => return XScale::Categorical,
            }
        }
    };
    let distinct = xs.windows(2).all(|w| w[0] != w[1]) && !xs.is_empty();
    if !distinct {
        return XScale::Categorical;
    }
    let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    XScale::Numeric { log: lo > 0.0 && hi / lo >= 100.0, xs, lengths }
}

fn unit_of(metric: &str) -> Unit {
    if metric.ends_with("_permille") {
        Unit::Permille
    } else if metric.contains("bytes") {
        Unit::Bytes
    } else if metric.contains("cycles") || metric.contains("latency") {
        Unit::Cycles
    } else {
        Unit::Count
    }
}

/// The chart's SVG and its caption.
pub fn chart(table: &Table<'_>, axis: usize, metric: &str) -> (String, String) {
    let values = &table.values[axis];
    let n = values.len();
    let scale = x_scale(values);
    let plot_w = W - LEFT - RIGHT;
    let x_of = |i: usize| -> i64 {
        match &scale {
            XScale::Numeric { xs, log, .. } => {
                let t = |x: f64| if *log { x.log10() } else { x };
                let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(t(x)), b.max(t(x))));
                if hi > lo { LEFT + ((t(xs[i]) - lo) / (hi - lo) * plot_w as f64).round() as i64 } else { LEFT + plot_w / 2 }
            }
            XScale::Categorical if n > 1 => LEFT + (i as i64 * plot_w) / (n as i64 - 1),
            XScale::Categorical => LEFT + plot_w / 2,
        }
    };

    // The series: other axes at their first value.
    let series: Vec<Vec<Option<super::Spread>>> = (0..table.strategies.len())
        .map(|s| {
            (0..n)
                .map(|i| {
                    let mut coords = vec![0; table.axes.len()];
                    coords[axis] = i;
                    table.spread(&coords, s, metric)
                })
                .collect()
        })
        .collect();
    let all = series.iter().flatten().flatten();
    let (lo, hi) = all.clone().fold((u64::MAX, 0u64), |(a, b), sp| (a.min(sp.min), b.max(sp.max)));
    let unit = unit_of(metric);
    let log_y = lo > 0 && lo != u64::MAX && hi / lo >= 100 && unit != Unit::Permille;
    let (y_lo, y_hi, ticks): (f64, f64, Vec<u64>) = if log_y {
        let (a, b) = ((lo as f64).log10().floor() as i32, (hi as f64).log10().ceil() as i32);
        (f64::from(a), f64::from(b.max(a + 1)), (a..=b.max(a + 1)).map(|e| 10u64.saturating_pow(e as u32)).collect())
    } else {
        let (step, top) = unit.ticks(if hi == 0 && lo == u64::MAX { 1 } else { hi });
        (0.0, top.max(1) as f64, (0..=top / step.max(1)).map(|k| k * step).collect())
    };
    let y_of = |v: f64| -> i64 {
        let t = if log_y { v.max(1e-300).log10() } else { v };
        TOP + PLOT_H - (((t - y_lo) / (y_hi - y_lo)).clamp(0.0, 1.0) * PLOT_H as f64).round() as i64
    };

    let title = format!("{metric} against {}", table.axes[axis]);
    let mut body = String::new();
    // Grid and y ticks.
    for &t in &ticks {
        let y = y_of(t as f64);
        let _ = write!(body, "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" class=\"gridline\"/>", W - RIGHT);
        let _ = write!(body, "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"tick\">{}</text>", LEFT - 6, y + 4, esc(&unit.label(t)));
    }
    let base = TOP + PLOT_H;
    let _ = write!(body, "<line x1=\"{LEFT}\" y1=\"{base}\" x2=\"{}\" y2=\"{base}\" class=\"axis\"/>", W - RIGHT);
    // X ticks: every value when few, else about eight. Sizes (all multiples of 1 KiB) in
    // binary units.
    let every = n.div_ceil(8).max(1);
    let sizes = values.iter().all(|v| parse_u64(v).is_some_and(|x| x >= 1024 && x % 1024 == 0));
    for (i, v) in values.iter().enumerate() {
        if i % every != 0 && i + 1 != n {
            continue;
        }
        let label = match &scale {
            XScale::Numeric { xs, lengths: true, .. } => format!("{}", xs[i]),
            XScale::Numeric { .. } => {
                let short = |x: u64| {
                    if sizes {
                        crate::fmt::bytes(x)
                    } else if x >= 10_000 {
                        crate::fmt::compact(x)
                    } else {
                        x.to_string()
                    }
                };
                parse_u64(v).map_or_else(|| v.clone(), short)
            }
            XScale::Categorical => v.chars().take(14).collect(),
        };
        let x = x_of(i);
        let _ = write!(body, "<line x1=\"{x}\" y1=\"{base}\" x2=\"{x}\" y2=\"{}\" class=\"axis\"/>", base + 4);
        let _ = write!(body, "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" class=\"tick\">{}</text>", base + 17, esc(&label));
    }
    let mut x_title = table.axes[axis].clone();
    if let XScale::Numeric { log: true, .. } = scale {
        x_title.push_str(" (log scale)");
    }
    if let XScale::Numeric { lengths: true, .. } = scale {
        x_title.push_str(" (number of elements)");
    }
    let _ = write!(
        body,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" class=\"axis-title\">{}</text>",
        LEFT + plot_w / 2,
        base + 36,
        esc(&x_title)
    );

    // Bands, then lines and points.
    for (s, points) in series.iter().enumerate() {
        let colour = series_colour(s);
        let present: Vec<(usize, super::Spread)> = points.iter().enumerate().filter_map(|(i, p)| p.map(|p| (i, p))).collect();
        if present.iter().any(|(_, p)| p.min != p.max) {
            let mut d = String::new();
            for (k, (i, p)) in present.iter().enumerate() {
                let _ = write!(d, "{}{},{}", if k == 0 { "M" } else { " L" }, x_of(*i), y_of(p.max as f64));
            }
            for (i, p) in present.iter().rev() {
                let _ = write!(d, " L{},{}", x_of(*i), y_of(p.min as f64));
            }
            let _ = write!(body, "<path d=\"{d} Z\" fill=\"{colour}\" fill-opacity=\"0.16\" stroke=\"none\"/>");
        }
        let mut d = String::new();
        for (k, (i, p)) in present.iter().enumerate() {
            let _ = write!(d, "{}{},{}", if k == 0 { "M" } else { " L" }, x_of(*i), y_of(p.mean));
        }
        let name = &table.strategies[s];
        let dash = series_dash(s);
        let dash_attr = if dash.is_empty() { String::new() } else { format!(" stroke-dasharray=\"{dash}\"") };
        let _ = write!(body, "<path d=\"{d}\" class=\"line\" stroke=\"{colour}\"{dash_attr}><title>{}</title></path>", esc(name));
        for (i, p) in &present {
            let tip = format!(
                "{name}, {} = {}: mean {} (min {}, max {}) over {} seed(s)",
                table.axes[axis],
                values[*i],
                super::mean_text(p.mean),
                unit.exact(p.min),
                unit.exact(p.max),
                p.n
            );
            let _ = write!(
                body,
                "<circle cx=\"{}\" cy=\"{}\" r=\"3.5\" fill=\"{colour}\"><title>{}</title></circle>",
                x_of(*i),
                y_of(p.mean),
                esc(&tip)
            );
        }
    }
    // Legend below the axis title.
    let (mut lx, mut ly) = (LEFT, base + 54);
    for (s, name) in table.strategies.iter().enumerate() {
        let w = 24 + crate::charts::text_width(name, 12);
        if lx + w > W - RIGHT && lx > LEFT {
            lx = LEFT;
            ly += 18;
        }
        let _ =
            write!(body, "<rect x=\"{lx}\" y=\"{}\" width=\"11\" height=\"11\" fill=\"{}\" class=\"swatch\"/>", ly - 10, series_colour(s));
        let _ = write!(body, "<text x=\"{}\" y=\"{ly}\" class=\"legend\">{}</text>", lx + 16, esc(name));
        lx += w + 12;
    }
    let h = ly + 12;
    let svg = format!(
        "<svg class=\"chart sweep\" viewBox=\"0 0 {W} {h}\" width=\"{W}\" height=\"{h}\" role=\"img\"><title>{}</title>{body}</svg>",
        esc(&title)
    );

    let mut caption = String::from("Mean over seeds; band: minimum to maximum over seeds.");
    if log_y {
        caption.push_str(" Log scale (values span decades).");
    }
    let others: Vec<String> =
        table.axes.iter().enumerate().filter(|(b, _)| *b != axis).map(|(b, name)| format!("{name} = {}", table.values[b][0])).collect();
    if !others.is_empty() {
        let _ = write!(caption, " Other axes at their first value: {}.", others.join(", "));
    }
    (svg, caption)
}
