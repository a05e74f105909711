//! Expected ("golden") results: the text file `scenarios/NAME.expected` kept beside every
//! scenario, which `iommu-sim check` compares a fresh run against.
//!
//! Why a line-oriented text format rather than saved JSON: a model change shows up in code
//! review as a plain diff, one metric per line (`cpu_cycles_attach = 15000` →
//! `= 16000`), and keys come in a fixed order (`Metrics::INFO`, then instances and devices in
//! topology order) so that reruns produce byte-identical files. The grammar is documented in
//! `docs/expected-format.md` (a test keeps the non-metric keys of this file and the doc in
//! step).
//!
//! Everything compared is an integer (or the 16-hex-digit digest); the relative change shown
//! for a moved metric and the tolerance test are computed in integer per-mille, never with
//! floats.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{InputError, Location};
use crate::metrics::{DeviceResult, GeneratorResult, IommuResult, Metrics, Results, RunResult};

/// Version of the expected-file format (the `format = N` line). Format 2 added the `kernel`
/// header line; a format-1 file still reads (its kernel "not recorded"), and `check` then
/// reports the header change until it is re-blessed.
pub const FORMAT: u32 = 2;

/// Header keys (before the first `[strategy]` section).
pub const HEADER_KEYS: &[&str] = &["format", "scenario", "topology", "seed", "kernel"];

/// What a format-1 file (written before the kernel axis) has in place of a kernel.
pub const KERNEL_NOT_RECORDED: &str = "(not recorded: format 1)";

/// Keys inside a section that are not metrics: the digest, and the prefixes of per-IOMMU and
/// per-device lines (`iommu[NAME].FIELD`, `device[NAME].FIELD`).
pub const SECTION_KEYS: &[&str] = &["digest", "iommu[", "device[", "generator["];

/// Per-generator fields written as `generator[ID].FIELD = N`, in `GeneratorResult` order.
pub const GENERATOR_FIELDS: &[&str] =
    &["requests", "bytes", "active_cycles", "offered_mbps", "achieved_mbps", "achieved_per_sec", "dropped", "backpressure_cycles"];

/// Per-IOMMU-instance fields written as `iommu[NAME].FIELD = N`, in `IommuResult` order.
pub const IOMMU_FIELDS: &[&str] = &[
    "translations",
    "iotlb_hits",
    "iotlb_misses",
    "iotlb_evictions",
    "walks",
    "walk_cache_hits",
    "walk_reads",
    "walk_cycles",
    "walk_queue_cycles",
    "invalidations",
    "invalidations_page",
    "invalidations_domain",
    "invalidations_global",
    "domain_ids_peak",
    "faults",
];

/// Per-device fields written as `device[NAME].FIELD = N`, in `DeviceResult` order. (`domain`
/// is left out: it is an optional serial, and the attach outcomes that decide it are in the
/// digest.)
pub const DEVICE_FIELDS: &[&str] = &[
    "group",
    "translations",
    "devtlb_hits",
    "iotlb_hits",
    "iotlb_misses",
    "dma_latency_p50",
    "dma_latency_p99",
    "dma_latency_max",
    "dma_latency_mean",
    "faults",
    "stale_translations",
    "dma_requests",
    "tlps",
    "bytes_read",
    "bytes_written",
    "active_cycles",
    "throughput_mbps",
    "stalled_requests",
    "stall_cycles",
    "link_util_permille",
];

fn generator_values(g: &GeneratorResult) -> [u64; 8] {
    [g.requests, g.bytes, g.active_cycles, g.offered_mbps, g.achieved_mbps, g.achieved_per_sec, g.dropped, g.backpressure_cycles]
}

fn iommu_values(r: &IommuResult) -> [u64; 15] {
    [
        r.translations,
        r.iotlb_hits,
        r.iotlb_misses,
        r.iotlb_evictions,
        r.walks,
        r.walk_cache_hits,
        r.walk_reads,
        r.walk_cycles,
        r.walk_queue_cycles,
        r.invalidations,
        r.invalidations_page,
        r.invalidations_domain,
        r.invalidations_global,
        r.domain_ids_peak,
        r.faults,
    ]
}

fn device_values(r: &DeviceResult) -> [u64; 20] {
    [
        r.group,
        r.translations,
        r.devtlb_hits,
        r.iotlb_hits,
        r.iotlb_misses,
        r.dma_latency_p50,
        r.dma_latency_p99,
        r.dma_latency_max,
        r.dma_latency_mean,
        r.faults,
        r.stale_translations,
        r.dma_requests,
        r.tlps,
        r.bytes_read,
        r.bytes_written,
        r.active_cycles,
        r.throughput_mbps,
        r.stalled_requests,
        r.stall_cycles,
        r.link_util_permille,
    ]
}

/// Where the expected results of a scenario file live: `NAME.ron` → `NAME.expected`.
pub fn expected_path(scenario: &Path) -> PathBuf {
    scenario.with_extension("expected")
}

/// The contents of an expected file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    pub scenario: String,
    pub topology: String,
    pub seed: u64,
    /// The Linux kernel the runs modelled, as `run --json` writes it (`"6.17"`, `"6.15"`,
    /// `"proposed"`): the scenario's `kernel` (default: the newest modelled) or `--kernel`.
    pub kernel: String,
    /// One per strategy, in the scenario's strategy order.
    pub runs: Vec<ExpectedRun>,
}

/// One `[strategy]` section.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpectedRun {
    pub strategy: String,
    /// 16 hex digits (`engine/digest.rs`).
    pub digest: String,
    /// `(key, value)` in file order: metrics, then `iommu[..]` and `device[..]` lines.
    pub values: Vec<(String, u64)>,
}

impl ExpectedRun {
    /// The expected lines of one run.
    pub fn from_run(run: &RunResult) -> ExpectedRun {
        let mut values: Vec<(String, u64)> = run.metrics.values().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        for i in &run.iommus {
            for (f, v) in IOMMU_FIELDS.iter().zip(iommu_values(i)) {
                values.push((format!("iommu[{}].{f}", escape(&i.id)), v));
            }
        }
        for d in &run.devices {
            for (f, v) in DEVICE_FIELDS.iter().zip(device_values(d)) {
                values.push((format!("device[{}].{f}", escape(&d.id)), v));
            }
        }
        for g in run.generators.iter().filter(|g| g.kind != "vm") {
            for (f, v) in GENERATOR_FIELDS.iter().zip(generator_values(g)) {
                values.push((format!("generator[{}].{f}", escape(&g.id)), v));
            }
        }
        ExpectedRun { strategy: run.strategy.clone(), digest: run.digest.clone(), values }
    }
}

impl Expected {
    /// What `--bless` writes for `results`.
    pub fn from_results(results: &Results) -> Expected {
        Expected {
            scenario: results.scenario.clone(),
            topology: results.topology.clone(),
            seed: results.seed,
            // Every run of one `check` models the same kernel.
            kernel: results.runs.first().map(|r| r.kernel.clone()).unwrap_or_default(),
            // The baselines ([identity], [iommu-off]) follow the strategies.
            runs: results.runs.iter().chain(&results.baselines).map(ExpectedRun::from_run).collect(),
        }
    }

    /// The file text (`docs/expected-format.md`). Deterministic: the same results give the
    /// same bytes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# iommu-sim expected results (docs/expected-format.md).\n");
        out.push_str("# Written by `iommu-sim check --bless`; compared by `iommu-sim check`.\n");
        let _ = writeln!(out, "format = {FORMAT}");
        let _ = writeln!(out, "scenario = {}", escape(&self.scenario));
        let _ = writeln!(out, "topology = {}", escape(&self.topology));
        let _ = writeln!(out, "seed = {}", self.seed);
        let _ = writeln!(out, "kernel = {}", escape(&self.kernel));
        for run in &self.runs {
            let _ = writeln!(out, "\n[{}]", run.strategy);
            let _ = writeln!(out, "digest = {}", run.digest);
            for (k, v) in &run.values {
                let _ = writeln!(out, "{k} = {v}");
            }
        }
        out
    }

    /// Reads an expected file.
    pub fn load(path: &Path) -> Result<Expected, InputError> {
        let text = InputError::read(path)?;
        Expected::parse(path, &text)
    }

    /// Parses expected-file text; `path` is used in messages. Any malformed line is an
    /// `InputError::Parse` naming `path:line:col`.
    pub fn parse(path: &Path, text: &str) -> Result<Expected, InputError> {
        let err =
            |line: usize, col: usize, message: String| InputError::Parse { at: Location { path: path.to_path_buf(), line, col }, message };
        let mut e = Expected::default();
        let mut seen_header: Vec<&str> = Vec::new();
        let mut format = FORMAT;
        // Sections and keys seen so far, for duplicate checks that stay logarithmic (a hostile
        // file of 16 MiB holds hundreds of thousands of lines).
        let mut sections: BTreeSet<&str> = BTreeSet::new();
        let mut keys: BTreeSet<&str> = BTreeSet::new();
        let mut last_line = 0;
        for (i, raw) in text.lines().enumerate() {
            let ln = i + 1;
            last_line = ln;
            let indent = raw.chars().take_while(|c| c.is_whitespace()).count();
            let line = raw.trim();
            let col0 = indent + 1;
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(rest) = line.strip_prefix('[') {
                let Some(name) = rest.strip_suffix(']') else {
                    return Err(err(ln, col0, format!("section header `{line}` lacks its closing `]`")));
                };
                let name = name.trim();
                if name.is_empty() || name.contains(['[', ']']) {
                    return Err(err(ln, col0, format!("bad section name `{line}` (expected `[strategy-name]`)")));
                }
                if !sections.insert(name) {
                    return Err(err(ln, col0, format!("section [{name}] appears twice")));
                }
                keys.clear();
                // A format-1 file has no `kernel` line.
                let required = HEADER_KEYS.iter().filter(|k| !(**k == "kernel" && format == 1));
                for k in required {
                    if !seen_header.contains(k) {
                        return Err(err(ln, col0, format!("header line `{k} = ...` missing before the first section")));
                    }
                }
                e.runs.push(ExpectedRun { strategy: name.to_string(), ..ExpectedRun::default() });
                continue;
            }
            let entity = line.starts_with("iommu[") || line.starts_with("device[") || line.starts_with("generator[");
            let split = if entity { line.rsplit_once('=') } else { line.split_once('=') };
            let Some((key, value)) = split else {
                return Err(err(ln, col0, format!("expected `key = value` or `[strategy]`, found `{line}`")));
            };
            let (key, value) = (key.trim(), value.trim());
            // `line` is trimmed, so the value is its tail.
            let value_col = col0 + line[..line.len() - value.len()].chars().count();
            let parse_u64 = |what: &str| -> Result<u64, InputError> {
                value.parse::<u64>().map_err(|_| err(ln, value_col, format!("{what}: `{value}` is not an unsigned integer")))
            };
            match e.runs.last_mut() {
                None => {
                    let Some(&key) = HEADER_KEYS.iter().find(|k| **k == key) else {
                        return Err(err(
                            ln,
                            col0,
                            format!("unknown header key `{key}` (known: {}; sections start with `[strategy]`)", HEADER_KEYS.join(", ")),
                        ));
                    };
                    if key != "format" && !seen_header.contains(&"format") {
                        return Err(err(ln, col0, format!("the first line must be `format = {FORMAT}`")));
                    }
                    if seen_header.contains(&key) {
                        return Err(err(ln, col0, format!("header key `{key}` appears twice")));
                    }
                    match key {
                        "format" => {
                            let v = parse_u64("format")?;
                            if v != u64::from(FORMAT) && v != 1 {
                                return Err(err(
                                    ln,
                                    value_col,
                                    format!("format {v} is not supported (this build reads formats 1 and {FORMAT})"),
                                ));
                            }
                            format = v as u32;
                            if format == 1 {
                                e.kernel = KERNEL_NOT_RECORDED.to_string();
                            }
                        }
                        "scenario" => e.scenario = unescape(value),
                        "topology" => e.topology = unescape(value),
                        "seed" => e.seed = parse_u64("seed")?,
                        "kernel" if format == 1 => {
                            return Err(err(ln, col0, format!("`kernel` is a format-{FORMAT} header line; this file says `format = 1`")));
                        }
                        "kernel" => e.kernel = unescape(value),
                        _ => {}
                    }
                    seen_header.push(key);
                }
                Some(run) => {
                    if key == "digest" {
                        if !run.digest.is_empty() {
                            return Err(err(ln, col0, "digest appears twice in this section".to_string()));
                        }
                        if value.len() != 16 || !value.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                            return Err(err(ln, value_col, format!("digest `{value}` is not 16 lowercase hex digits")));
                        }
                        run.digest = value.to_string();
                        continue;
                    }
                    let known = if entity {
                        let fields = if key.starts_with("iommu[") {
                            IOMMU_FIELDS
                        } else if key.starts_with("generator[") {
                            GENERATOR_FIELDS
                        } else {
                            DEVICE_FIELDS
                        };
                        key.rsplit_once("].").is_some_and(|(name, f)| name.len() > key.find('[').unwrap_or(0) + 1 && fields.contains(&f))
                    } else {
                        Metrics::INFO.iter().any(|m| m.name == key)
                    };
                    if !known {
                        return Err(err(
                            ln,
                            col0,
                            format!("unknown key `{key}` (not a metric of Metrics::INFO nor an iommu[..]/device[..]/generator[..] field)"),
                        ));
                    }
                    let v = parse_u64(key)?;
                    if !keys.insert(key) {
                        return Err(err(ln, col0, format!("`{key}` appears twice in section [{}]", run.strategy)));
                    }
                    run.values.push((key.to_string(), v));
                }
            }
        }
        if let Some(run) = e.runs.iter().find(|r| r.digest.is_empty()) {
            return Err(err(last_line.max(1), 1, format!("section [{}] has no `digest = ...` line", run.strategy)));
        }
        if e.runs.is_empty() {
            return Err(err(last_line.max(1), 1, "no `[strategy]` section".to_string()));
        }
        Ok(e)
    }
}

/// Names are written raw except for `\` and line breaks, so any id survives a round trip.
/// Backslash escapes; whitespace at either end is escaped too (`\s` for a space, `\u{..}`
/// otherwise), so that a name with leading or trailing spaces survives the trimmed parse.
fn escape(s: &str) -> String {
    let body = s.replace('\\', "\\\\").replace('\n', "\\n").replace('\r', "\\r");
    let inner = body.trim();
    let (start, end) = (body.len() - body.trim_start().len(), body.trim_end().len());
    let ws =
        |w: &str| -> String { w.chars().map(|c| if c == ' ' { "\\s".to_string() } else { format!("\\u{{{:x}}}", c as u32) }).collect() };
    format!("{}{inner}{}", ws(&body[..start]), ws(&body[end.max(start)..]))
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('s') => out.push(' '),
                Some('u') => {
                    // `\u{hex}`, as `escape` writes for whitespace other than a space.
                    let code = chars.as_str().strip_prefix('{').and_then(|r| r.split_once('}'));
                    match code.and_then(|(hex, _)| u32::from_str_radix(hex, 16).ok().and_then(char::from_u32).map(|c| (c, hex.len() + 2))) {
                        Some((c, n)) => {
                            out.push(c);
                            for _ in 0..n {
                                chars.next();
                            }
                        }
                        None => out.push('u'),
                    }
                }
                Some(other) => out.push(other),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The relative change from `old` to `new` in per-mille, rounded toward zero (integer
/// arithmetic); `None` when `old` is 0 (no finite ratio).
pub fn change_permille(old: u64, new: u64) -> Option<i128> {
    (old != 0).then(|| (i128::from(new) - i128::from(old)) * 1000 / i128::from(old))
}

/// `+12.5%`, `-3.0%`, `+<0.1%` for a change too small to show, `(from 0)` when `old` is 0.
pub fn format_change(old: u64, new: u64) -> String {
    match change_permille(old, new) {
        None => "(from 0)".to_string(),
        Some(0) if new > old => "+<0.1%".to_string(),
        Some(0) if new < old => "-<0.1%".to_string(),
        Some(p) => format!("{}{}.{}%", if p < 0 { '-' } else { '+' }, p.abs() / 10, p.abs() % 10),
    }
}

/// Whether `new` is within `permille` ‰ of `old`: `|new − old| × 1000 ≤ permille × old`
/// (exact integer test; with `old` = 0 only `new` = 0 is within).
pub fn within(old: u64, new: u64, permille: u32) -> bool {
    u128::from(old.abs_diff(new)) * 1000 <= u128::from(permille) * u128::from(old)
}

/// How `check` compares.
#[derive(Clone, Copy, Debug, Default)]
pub enum Mode<'t> {
    /// Everything exact: the digest and every line (plain `check`).
    #[default]
    Exact,
    /// `check --tolerant`: a line whose field has a tolerance may move within it; the digest
    /// is still compared exactly, and a digest change is excused only when some line moved and
    /// every line that moved is within its tolerance (docs/expected-format.md).
    Tolerant(&'t [(&'static str, u32)]),
}

/// One line that differs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineDiff {
    pub key: String,
    /// `None`: the line is absent on that side.
    pub old: Option<u64>,
    pub new: Option<u64>,
    /// The tolerance applied (per-mille), if any.
    pub tolerance: Option<u32>,
    /// Within tolerance (never true in exact mode).
    pub ok: bool,
}

/// The differences of one strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunDiff {
    /// In both; `digest` is `Some((old, new))` if it changed.
    Changed { strategy: String, digest: Option<(String, String)>, digest_excused: bool, lines: Vec<LineDiff> },
    /// In the expected file but not run any more.
    NotRun { strategy: String },
    /// Run but absent from the expected file.
    NotExpected { strategy: String },
}

impl RunDiff {
    pub fn failed(&self) -> bool {
        match self {
            RunDiff::Changed { digest, digest_excused, lines, .. } => (digest.is_some() && !digest_excused) || lines.iter().any(|l| !l.ok),
            RunDiff::NotRun { .. } | RunDiff::NotExpected { .. } => true,
        }
    }
}

/// Everything that differs between an expected file and a fresh run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Header lines that changed: `(key, old, new)`. Always failures.
    pub header: Vec<(&'static str, String, String)>,
    /// Strategies with a difference, in expected-file order then new ones.
    pub runs: Vec<RunDiff>,
}

impl Comparison {
    /// True if nothing differs at all.
    pub fn identical(&self) -> bool {
        self.header.is_empty() && self.runs.is_empty()
    }

    /// True if the check passes (identical, or only tolerated changes).
    pub fn passed(&self) -> bool {
        self.header.is_empty() && self.runs.iter().all(|r| !r.failed())
    }
}

/// Compares `old` (the expected file) with `new` (a fresh run).
pub fn compare(old: &Expected, new: &Expected, mode: Mode<'_>) -> Comparison {
    let mut c = Comparison::default();
    for (key, a, b) in [
        ("scenario", &old.scenario, &new.scenario),
        ("topology", &old.topology, &new.topology),
        ("seed", &old.seed.to_string(), &new.seed.to_string()),
        ("kernel", &old.kernel, &new.kernel),
    ] {
        if a != b {
            c.header.push((key, a.clone(), b.clone()));
        }
    }
    for o in &old.runs {
        let Some(n) = new.runs.iter().find(|r| r.strategy == o.strategy) else {
            c.runs.push(RunDiff::NotRun { strategy: o.strategy.clone() });
            continue;
        };
        let tolerance_of = |key: &str| -> Option<u32> {
            let Mode::Tolerant(t) = mode else { return None };
            let field = key.rsplit_once("].").map_or(key, |(_, f)| f);
            t.iter().find(|(m, _)| *m == field).map(|&(_, p)| p)
        };
        let mut lines = Vec::new();
        // Keyed lookups: a large platform has thousands of per-device lines.
        let new_values: BTreeMap<&str, u64> = n.values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        let old_keys: BTreeSet<&str> = o.values.iter().map(|(k, _)| k.as_str()).collect();
        for (k, ov) in &o.values {
            let nv = new_values.get(k.as_str()).copied();
            if nv == Some(*ov) {
                continue;
            }
            let tolerance = tolerance_of(k);
            let ok = matches!((tolerance, nv), (Some(t), Some(nv)) if within(*ov, nv, t));
            lines.push(LineDiff { key: k.clone(), old: Some(*ov), new: nv, tolerance, ok });
        }
        for (k, nv) in &n.values {
            if !old_keys.contains(k.as_str()) {
                lines.push(LineDiff { key: k.clone(), old: None, new: Some(*nv), tolerance: None, ok: false });
            }
        }
        let digest = (o.digest != n.digest).then(|| (o.digest.clone(), n.digest.clone()));
        let digest_excused = matches!(mode, Mode::Tolerant(_)) && !lines.is_empty() && lines.iter().all(|l| l.ok);
        if digest.is_some() || !lines.is_empty() {
            c.runs.push(RunDiff::Changed { strategy: o.strategy.clone(), digest, digest_excused, lines });
        }
    }
    for n in &new.runs {
        if !old.runs.iter().any(|o| o.strategy == n.strategy) {
            c.runs.push(RunDiff::NotExpected { strategy: n.strategy.clone() });
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Expected {
        let m = Metrics { events: 10, dma_latency_p99: 200, cpu_cycles_attach: 8, ..Metrics::default() };
        let run = RunResult {
            strategy: "per-group".into(),
            digest: "0123456789abcdef".into(),
            metrics: m,
            iommus: vec![IommuResult { id: "smmu0".into(), translations: 5, ..Default::default() }],
            devices: vec![DeviceResult { id: "0000:01:00.0 = x]. y".into(), faults: 1, ..Default::default() }],
            ..Default::default()
        };
        Expected::from_results(&Results {
            scenario: "tiny vm".into(),
            topology: "tiny".into(),
            seed: 42,
            runs: vec![
                RunResult { kernel: "6.17".into(), ..run.clone() },
                RunResult { strategy: "vfio-type1".into(), kernel: "6.17".into(), ..run },
            ],
            ..Default::default()
        })
    }

    #[test]
    fn render_parse_round_trip() {
        let e = sample();
        let text = e.render();
        assert!(text.contains("\n[per-group]\ndigest = 0123456789abcdef\nevents = 10\n"), "{text}");
        assert!(text.contains("\nseed = 42\nkernel = 6.17\n"), "{text}");
        assert!(text.contains("iommu[smmu0].translations = 5\n"));
        let back = Expected::parse(Path::new("x.expected"), &text).unwrap();
        assert_eq!(back, e);
        assert!(compare(&e, &back, Mode::Exact).identical());
    }

    #[test]
    fn metric_lines_follow_metrics_info_order() {
        let e = sample();
        let keys: Vec<&str> = e.runs[0].values.iter().take(Metrics::INFO.len()).map(|(k, _)| k.as_str()).collect();
        let info: Vec<&str> = Metrics::INFO.iter().map(|i| i.name).collect();
        assert_eq!(keys, info);
    }

    fn parse_err(text: &str) -> (usize, usize, String) {
        match Expected::parse(Path::new("bad.expected"), text) {
            Err(InputError::Parse { at, message }) => (at.line, at.col, message),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn malformed_files_name_line_and_column() {
        let good = sample().render();
        let bad = good.replace("events = 10", "events = ten");
        let (line, col, msg) = parse_err(&bad);
        let want = good.lines().position(|l| l == "events = 10").unwrap() + 1;
        assert_eq!((line, col), (want, 10), "{msg}");
        let (line, _, msg) = parse_err(&good.replace("events = 10", "evnets = 10"));
        assert_eq!(line, want);
        assert!(msg.contains("evnets"), "{msg}");
        let (line, _, _) = parse_err(&good.replace("digest = 0123456789abcdef", "digest = xyz"));
        assert_eq!(line, want - 1);
        assert!(parse_err("format = 3\n").2.contains("format 3"));
        assert!(parse_err("scenario = a\n").2.contains("format = 2"));
        assert!(parse_err("format = 2\nscenario = a\ntopology = b\nseed = 1\n[x]\n").2.contains("kernel"));
        assert!(parse_err("format = 1\nscenario = a\ntopology = b\nseed = 1\nkernel = 6.17\n").2.contains("format-2"));
        assert!(parse_err("format = 1\nscenario = a\ntopology = b\nseed = 1\n[x\n").2.contains("closing"));
        assert!(parse_err("format = 1\nscenario = a\ntopology = b\nseed = 1\n").2.contains("no `[strategy]`"));
        assert!(parse_err("format = 1\nscenario = a\ntopology = b\nseed = 1\n[x]\nevents = 1\n").2.contains("no `digest"));
        assert!(parse_err("format = 1\nscenario = a\n[x]\n").2.contains("topology"));
        assert!(parse_err(&good.replace("iommu[smmu0].translations", "iommu[smmu0].nope")).2.contains("nope"));
        assert!(parse_err(&good.replace("[vfio-type1]", "[per-group]")).2.contains("twice"));
    }

    #[test]
    fn relative_change_is_integer_per_mille() {
        assert_eq!(format_change(8, 9), "+12.5%");
        assert_eq!(format_change(1000, 970), "-3.0%");
        assert_eq!(format_change(100_000, 100_001), "+<0.1%");
        assert_eq!(format_change(0, 5), "(from 0)");
        assert_eq!(format_change(u64::MAX, 0), "-100.0%");
        assert_eq!(format_change(1, u64::MAX), format!("+{}.{}%", (u64::MAX as i128 - 1) * 1000 / 10, 0));
        assert!(within(1000, 1050, 50));
        assert!(!within(1000, 1051, 50));
        assert!(within(0, 0, 0));
        assert!(!within(0, 1, 1000));
        assert!(within(u64::MAX, 0, 1000));
    }

    #[test]
    fn exact_mode_fails_on_any_change_and_tolerant_mode_excuses_only_tolerated_ones() {
        let old = sample();
        let mut new = old.clone();
        let set = |e: &mut Expected, key: &str, v: u64| {
            for (k, x) in &mut e.runs[0].values {
                if k == key {
                    *x = v;
                }
            }
        };
        set(&mut new, "dma_latency_p99", 210); // +5.0 %
        new.runs[0].digest = "fedcba9876543210".into();
        let exact = compare(&old, &new, Mode::Exact);
        assert!(!exact.passed());
        let tol: &[(&'static str, u32)] = &[("dma_latency_p99", 50)];
        let c = compare(&old, &new, Mode::Tolerant(tol));
        assert!(c.passed(), "{c:?}");
        assert!(!c.identical());
        // Outside the tolerance.
        set(&mut new, "dma_latency_p99", 211);
        assert!(!compare(&old, &new, Mode::Tolerant(tol)).passed());
        // A digest change with no metric movement is never excused.
        let mut digest_only = old.clone();
        digest_only.runs[0].digest = "fedcba9876543210".into();
        assert!(!compare(&old, &digest_only, Mode::Tolerant(tol)).passed());
        // A metric without a tolerance stays exact in tolerant mode.
        let mut other = old.clone();
        set(&mut other, "events", 11);
        assert!(!compare(&old, &other, Mode::Tolerant(tol)).passed());
        // Per-device lines use the tolerance of the same-named metric.
        let tol: &[(&'static str, u32)] = &[("faults", 1000)];
        let mut dev = old.clone();
        let key = dev.runs[0].values.iter().position(|(k, _)| k.starts_with("device[") && k.ends_with(".faults")).unwrap();
        dev.runs[0].values[key].1 = 2;
        dev.runs[0].digest = "fedcba9876543210".into();
        assert!(compare(&old, &dev, Mode::Tolerant(tol)).passed());
    }

    #[test]
    fn strategies_and_header_changes_are_failures() {
        let old = sample();
        let mut new = old.clone();
        new.runs.pop();
        let c = compare(&old, &new, Mode::Exact);
        assert_eq!(c.runs, vec![RunDiff::NotRun { strategy: "vfio-type1".into() }]);
        let c = compare(&new, &old, Mode::Exact);
        assert_eq!(c.runs, vec![RunDiff::NotExpected { strategy: "vfio-type1".into() }]);
        let mut seeded = old.clone();
        seeded.seed = 7;
        assert!(!compare(&old, &seeded, Mode::Exact).passed());
        // Another kernel is another model: a header failure, in tolerant mode too.
        let mut other_kernel = old.clone();
        other_kernel.kernel = "6.12".into();
        let c = compare(&old, &other_kernel, Mode::Tolerant(&[("events", 1000)]));
        assert_eq!(c.header, vec![("kernel", "6.17".to_string(), "6.12".to_string())]);
        assert!(!c.passed());
    }

    /// A file written before the kernel axis (format 1) still reads; its kernel is "not
    /// recorded", so `check` fails on the header until it is re-blessed, and nothing else moves.
    #[test]
    fn a_format_1_file_reads_and_asks_for_its_kernel() {
        let new = sample();
        let text = new.render().replace("format = 2\n", "format = 1\n").replace("kernel = 6.17\n", "");
        let old = Expected::parse(Path::new("old.expected"), &text).unwrap();
        assert_eq!(old.kernel, KERNEL_NOT_RECORDED);
        let c = compare(&old, &new, Mode::Exact);
        assert_eq!(c.header, vec![("kernel", KERNEL_NOT_RECORDED.to_string(), "6.17".to_string())]);
        assert!(c.runs.is_empty(), "only the header differs");
    }

    #[test]
    fn the_doc_lists_every_non_metric_key() {
        let doc = include_str!("../../docs/expected-format.md");
        for k in HEADER_KEYS.iter().chain(SECTION_KEYS).chain(IOMMU_FIELDS).chain(DEVICE_FIELDS).chain(GENERATOR_FIELDS) {
            assert!(doc.contains(&format!("`{k}")), "docs/expected-format.md does not mention `{k}`");
        }
        assert!(doc.contains("tolerances"), "the doc must describe tolerances");
        assert!(doc.contains("--tolerant"));
    }

    #[test]
    fn scenario_tolerances_are_checked_against_metric_names() {
        let topo = "Topology(name: \"t\", iommus: [Iommu(id: \"i\", kind: ArmSmmuV3)])";
        let platform = crate::topology::Platform::parse(Path::new("t.ron"), topo).unwrap();
        let sc = "Scenario(name: \"s\", topology: \"t.ron\",\n  tolerances: {\"dma_latency_p99\": 50, \"walk_cycels\": 10})";
        match crate::scenario::Scenario::from_parts(Path::new("s.ron"), sc, platform.clone()) {
            Err(InputError::Invalid { at, message }) => {
                assert_eq!(at.line, 2, "{message}");
                assert!(message.contains("walk_cycels"), "{message}");
            }
            other => panic!("expected an error, got {other:?}"),
        }
        let sc = "Scenario(name: \"s\", topology: \"t.ron\", tolerances: {\"dma_latency_p99\": 50})";
        let s = crate::scenario::Scenario::from_parts(Path::new("s.ron"), sc, platform).unwrap();
        assert_eq!(s.tolerances, vec![("dma_latency_p99", 50)]);
    }
}
