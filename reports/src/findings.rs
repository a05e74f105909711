//! The plain-words summary: sentences generated from the numbers, saying which strategy wins
//! on what and by how much. Every percentage is integer per-mille (`crate::fmt`), every list
//! of names keeps the order of the runs, so the text is as stable as the numbers.

use std::collections::BTreeMap;

use serde::Serialize;
use sim_core::metrics::{Better, Metrics, Results, RunResult};

use crate::fmt::{self, join_names};

/// One sentence of the summary with its tone (`good`, `bad` or `info`, used for styling).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Finding {
    pub text: String,
    pub tone: &'static str,
}

fn finding(tone: &'static str, text: String) -> Finding {
    Finding { text, tone }
}

/// "needs"/"need" depending on how many names.
fn verb<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", fmt::thousands(n), if n == 1 { one } else { many })
}

/// Names as the subject of a sentence with its verb: "a has", "a and b have", and for a set
/// covering most of `all`, "every strategy except c has" (shorter to read than six names).
fn subject(names: &[&str], all: &[&str], one: &str, many: &str) -> String {
    if names.len() == all.len() && all.len() > 1 {
        return format!("every strategy {one}");
    }
    let others: Vec<&str> = all.iter().copied().filter(|a| !names.contains(a)).collect();
    if names.len() >= 3 && others.len() <= 2 && !others.is_empty() {
        return format!("every strategy except {} {one}", join_names(&others));
    }
    format!("{} {}", join_names(names), verb(names.len(), one, many))
}

/// Names as an object ("for a and b", "for every strategy except c").
fn object(names: &[&str], all: &[&str]) -> String {
    if names.len() == all.len() && all.len() > 1 {
        return "every strategy".to_string();
    }
    let others: Vec<&str> = all.iter().copied().filter(|a| !names.contains(a)).collect();
    if names.len() >= 3 && others.len() <= 2 && !others.is_empty() {
        return format!("every strategy except {}", join_names(&others));
    }
    join_names(names)
}

fn names_of<'a>(runs: &[&'a RunResult]) -> Vec<&'a str> {
    runs.iter().map(|r| r.strategy.as_str()).collect()
}

/// The runs holding the lowest and the highest value of `f`, in run order.
struct Spread<'a> {
    low: u64,
    low_names: Vec<&'a str>,
    high: u64,
    high_names: Vec<&'a str>,
}

fn spread<'a>(runs: &[&'a RunResult], f: impl Fn(&RunResult) -> u64) -> Option<Spread<'a>> {
    let values: Vec<u64> = runs.iter().map(|r| f(r)).collect();
    let low = *values.iter().min()?;
    let high = *values.iter().max()?;
    let names = |v: u64| runs.iter().zip(&values).filter(|(_, x)| **x == v).map(|(r, _)| r.strategy.as_str()).collect();
    Some(Spread { low, low_names: names(low), high, high_names: names(high) })
}

/// "(−40.0 %)" for going from `from` to `to`, or "" when there is no ratio.
fn change(from: u64, to: u64) -> String {
    fmt::change_permille(from, to).map(|pm| format!(" ({})", fmt::signed_percent(pm))).unwrap_or_default()
}

/// Total CPU cycles of the four costed paths.
pub fn cpu_total(m: &Metrics) -> u64 {
    [m.cpu_cycles_attach, m.cpu_cycles_map, m.cpu_cycles_unmap, m.cpu_cycles_invalidate].iter().fold(0u64, |a, &b| a.saturating_add(b))
}

/// All invalidation commands and device-TLB invalidations.
pub fn invalidations_total(m: &Metrics) -> u64 {
    [m.invalidations_page, m.invalidations_domain, m.invalidations_global, m.invalidations_devtlb]
        .iter()
        .fold(0u64, |a, &b| a.saturating_add(b))
}

/// IOTLB hit rate in per-mille of IOTLB lookups (hits + misses).
pub fn iotlb_hit_permille(m: &Metrics) -> Option<u64> {
    fmt::permille(m.iotlb_hits, m.iotlb_hits.saturating_add(m.iotlb_misses))
}

/// A "lower is better" comparison sentence, or an "all equal" one.
fn lower_better(runs: &[&RunResult], what: &str, f: impl Fn(&RunResult) -> u64, show: impl Fn(u64) -> String) -> Option<Finding> {
    let s = spread(runs, f)?;
    if runs.len() < 2 {
        return None;
    }
    if s.low == s.high {
        return Some(finding("info", format!("Every strategy has the same {what}: {}.", show(s.low))));
    }
    let all = names_of(runs);
    Some(finding(
        "info",
        capitalise(&format!(
            "{} the least {what}: {} where {} {}{}.",
            subject(&s.low_names, &all, "has", "have"),
            show(s.low),
            subject(&s.high_names, &all, "has", "have"),
            show(s.high),
            change(s.high, s.low)
        )),
    ))
}

/// The summary of one results file.
pub fn for_results(r: &Results) -> Vec<Finding> {
    let mut out = Vec::new();
    let all: Vec<&RunResult> = r.runs.iter().collect();
    if all.is_empty() {
        out.push(finding("info", "These results hold no runs.".to_string()));
        return out;
    }
    // Attach failures first: a strategy that saves domains by failing attaches is not a win.
    let attaches = |run: &RunResult| run.metrics.attaches_ok.saturating_add(run.metrics.attaches_failed);
    let failed: Vec<&RunResult> = all.iter().copied().filter(|x| x.metrics.attaches_failed > 0).collect();
    let complete: Vec<&RunResult> = all.iter().copied().filter(|x| x.metrics.attaches_failed == 0).collect();
    for run in &failed {
        let m = &run.metrics;
        let mut text = format!(
            "{} failed {} of {} group attaches ({} refused with a hard error, {} as incompatible)",
            run.strategy,
            fmt::thousands(m.attaches_failed),
            fmt::thousands(attaches(run)),
            fmt::thousands(m.hard_failures),
            fmt::thousands(m.soft_failures)
        );
        // Devices that ended without a domain here but with one under some other strategy.
        let stranded: Vec<&str> = run
            .devices
            .iter()
            .filter(|d| d.domain.is_none())
            .filter(|d| all.iter().any(|o| o.devices.iter().any(|od| od.id == d.id && od.domain.is_some())))
            .map(|d| d.id.as_str())
            .collect();
        if !stranded.is_empty() {
            text.push_str(&format!("; {} {} with no domain", join_names(&stranded), verb(stranded.len(), "ends", "end")));
        }
        text.push('.');
        out.push(finding("bad", text));
    }
    if failed.is_empty() && all.len() > 1 {
        let n = attaches(all[0]);
        out.push(finding("good", format!("Every strategy attaches all {}.", plural(n, "group", "groups"))));
    }
    // Domains, among the strategies that attached everything (or all, if none did).
    let pool: &[&RunResult] = if complete.is_empty() { &all } else { &complete };
    let qualifier = if failed.is_empty() || complete.is_empty() { "" } else { "Of the strategies that attach every group, " };
    if let Some(s) = spread(pool, |x| x.metrics.domains_allocated) {
        if pool.len() > 1 && s.low != s.high {
            let pool_names = names_of(pool);
            let lead = subject(&s.low_names, &pool_names, "needs", "need");
            let text = if qualifier.is_empty() || !lead.starts_with("every") {
                format!(
                    "{qualifier}{lead} {} where {} {}{}.",
                    plural(s.low, "domain", "domains"),
                    subject(&s.high_names, &pool_names, "needs", "need"),
                    fmt::thousands(s.high),
                    change(s.high, s.low)
                )
            } else {
                // "every strategy except ..." after "Of the strategies that ..." reads badly.
                format!(
                    "Fewest domains among the strategies that attach every group: {} for {}, against {} for {}{}.",
                    fmt::thousands(s.low),
                    join_names(&s.low_names),
                    fmt::thousands(s.high),
                    join_names(&s.high_names),
                    change(s.high, s.low)
                )
            };
            out.push(finding("good", capitalise(&text)));
        } else if pool.len() > 1 {
            out.push(
                finding("info", format!("{}every strategy allocates {}.", qualifier, plural(s.low, "domain", "domains"))).capitalised(),
            );
        }
    }
    // Trial attaches.
    if let Some(s) = spread(&all, |x| x.metrics.trial_attaches)
        && s.low != s.high
    {
        let soft: u64 = all.iter().filter(|x| x.metrics.trial_attaches == s.high).map(|x| x.metrics.soft_failures).max().unwrap_or(0);
        let names = names_of(&all);
        out.push(finding(
            "info",
            capitalise(&format!(
                "{} {} against existing domains; {} {} ({} refused as incompatible).",
                subject(&s.low_names, &names, "makes", "make"),
                plural(s.low, "trial attach", "trial attaches"),
                subject(&s.high_names, &names, "makes", "make"),
                fmt::thousands(s.high),
                fmt::thousands(soft)
            )),
        ));
    }
    out.extend(lower_better(pool, "peak page-table memory", |x| x.metrics.pagetable_bytes_peak, fmt::bytes));
    if let Some(mut f) = lower_better(
        pool,
        "CPU cost (attach + map + unmap + invalidate)",
        |x| cpu_total(&x.metrics),
        |v| format!("{} cycles", fmt::compact(v)),
    ) {
        // Say where the most expensive strategy spends its cycles.
        if let Some(worst) = pool.iter().max_by_key(|x| cpu_total(&x.metrics)).filter(|_| pool.len() > 1) {
            let m = &worst.metrics;
            let parts = [
                ("attach", m.cpu_cycles_attach),
                ("map", m.cpu_cycles_map),
                ("unmap", m.cpu_cycles_unmap),
                ("invalidation", m.cpu_cycles_invalidate),
            ];
            if let Some((name, v)) = parts.iter().max_by_key(|p| p.1).filter(|p| p.1 > 0)
                && let Some(pm) = fmt::permille(*v, cpu_total(m))
            {
                f.text.pop();
                f.text.push_str(&format!("; {name} is {} of {}'s cost.", fmt::percent(pm), worst.strategy));
            }
        }
        out.push(f);
    }
    out.extend(lower_better(
        pool,
        "invalidation traffic (IOTLB and device-TLB commands)",
        |x| invalidations_total(&x.metrics),
        |v| plural(v, "command", "commands"),
    ));
    // IOTLB hit rate (higher is better).
    let rates: Vec<(&str, Option<u64>)> = all.iter().map(|x| (x.strategy.as_str(), iotlb_hit_permille(&x.metrics))).collect();
    let known: Vec<(&str, u64)> = rates.iter().filter_map(|(n, r)| r.map(|r| (*n, r))).collect();
    if let (Some(hi), Some(lo)) = (known.iter().map(|k| k.1).max(), known.iter().map(|k| k.1).min()) {
        if hi == lo {
            out.push(finding("info", format!("The IOTLB hit rate is {} for every strategy that reached the IOMMU.", fmt::percent(hi))));
        } else {
            let names = |v: u64| known.iter().filter(|k| k.1 == v).map(|k| k.0).collect::<Vec<_>>();
            out.push(finding("info", {
                let known_names: Vec<&str> = known.iter().map(|k| k.0).collect();
                format!(
                    "IOTLB hit rate: {} for {}, {} for {}.",
                    fmt::percent(hi),
                    object(&names(hi), &known_names),
                    fmt::percent(lo),
                    object(&names(lo), &known_names)
                )
            }));
        }
    }
    out.extend(lower_better(
        &all,
        "99th-percentile DMA translation latency",
        |x| x.metrics.dma_latency_p99,
        |v| format!("{} cycles", fmt::thousands(v)),
    ));
    // Faults and stale translations.
    if let Some(s) = spread(&all, |x| x.metrics.faults) {
        if s.high == 0 {
            out.push(finding("good", "No strategy sees a DMA fault.".to_string()));
        } else if s.low == s.high {
            out.push(finding(
                "info",
                format!("Every strategy sees {} (the script's DMA outside its mappings).", plural(s.high, "DMA fault", "DMA faults")),
            ));
        } else {
            let names = names_of(&all);
            out.push(finding(
                "bad",
                capitalise(&format!(
                    "{} {} where {} {}.",
                    subject(&s.high_names, &names, "sees", "see"),
                    plural(s.high, "DMA fault", "DMA faults"),
                    subject(&s.low_names, &names, "sees", "see"),
                    fmt::thousands(s.low)
                )),
            ));
        }
    }
    let stale: Vec<&RunResult> = all.iter().copied().filter(|x| x.metrics.stale_translations > 0).collect();
    if !stale.is_empty() {
        let clean: Vec<&str> = all.iter().filter(|x| x.metrics.stale_translations == 0).map(|x| x.strategy.as_str()).collect();
        let by_count: BTreeMap<u64, Vec<&str>> = stale.iter().fold(BTreeMap::new(), |mut acc, x| {
            acc.entry(x.metrics.stale_translations).or_insert_with(Vec::new).push(x.strategy.as_str());
            acc
        });
        let all_names = names_of(&all);
        let parts: Vec<String> = by_count
            .iter()
            .rev()
            .map(|(n, names)| {
                format!("{} {}", subject(names, &all_names, "serves", "serve"), plural(*n, "stale translation", "stale translations"))
            })
            .collect();
        let mut text = capitalise(&format!("{} (IOTLB entries used after their unmap, before the invalidation landed)", parts.join("; ")));
        if !clean.is_empty() {
            text.push_str(&format!("; {} none", subject(&clean, &all_names, "serves", "serve")));
        }
        text.push('.');
        out.push(finding("bad", text));
    }
    // Strategies that behaved identically.
    let mut by_digest: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for x in &all {
        by_digest.entry(x.digest.as_str()).or_default().push(x.strategy.as_str());
    }
    let mut same: Vec<(&str, Vec<&str>)> = by_digest.into_iter().filter(|(d, v)| v.len() > 1 && !d.is_empty()).collect();
    // In run order of each set's first member.
    same.sort_by_key(|(_, v)| all.iter().position(|x| x.strategy == v[0]).unwrap_or(usize::MAX));
    for (digest, names) in same {
        out.push(finding("info", format!("{} behave identically on this scenario (same event digest {digest}).", join_names(&names))));
    }
    out
}

/// Capitalises a sentence that starts with our own words ("every strategy ..."); strategy
/// names keep their spelling (`per-group`, not `Per-group`).
fn capitalise(s: &str) -> String {
    match s.strip_prefix("every ") {
        Some(rest) => format!("Every {rest}"),
        None => s.to_string(),
    }
}

impl Finding {
    fn capitalised(mut self) -> Finding {
        self.text = capitalise(&self.text);
        self
    }
}

/// How input `new` differs from the baseline `base` (several results files in one report).
pub fn compare_inputs(base_label: &str, base: &Results, label: &str, new: &Results) -> Vec<Finding> {
    let mut out = Vec::new();
    let pairs: Vec<(&RunResult, &RunResult)> =
        new.runs.iter().filter_map(|n| base.runs.iter().find(|b| b.strategy == n.strategy).map(|b| (b, n))).collect();
    let only_new: Vec<&str> =
        new.runs.iter().filter(|n| !base.runs.iter().any(|b| b.strategy == n.strategy)).map(|n| n.strategy.as_str()).collect();
    let only_base: Vec<&str> =
        base.runs.iter().filter(|b| !new.runs.iter().any(|n| n.strategy == b.strategy)).map(|b| b.strategy.as_str()).collect();
    if base.scenario != new.scenario || base.topology != new.topology || base.seed != new.seed {
        out.push(finding(
            "info",
            format!(
                "{label} runs {} on {} (seed {}); {base_label} runs {} on {} (seed {}).",
                new.scenario, new.topology, new.seed, base.scenario, base.topology, base.seed
            ),
        ));
    }
    let identical: Vec<&str> =
        pairs.iter().filter(|(b, n)| b.digest == n.digest && b.metrics == n.metrics).map(|(_, n)| n.strategy.as_str()).collect();
    let differ: Vec<&str> = pairs.iter().filter(|(b, n)| b.metrics != n.metrics).map(|(_, n)| n.strategy.as_str()).collect();
    let digest_only = pairs.iter().filter(|(b, n)| b.metrics == n.metrics && b.digest != n.digest).count();
    if differ.is_empty() && !pairs.is_empty() {
        let text = if digest_only == 0 {
            format!("{label} matches {base_label} exactly for all {} strategies in both.", pairs.len())
        } else {
            format!("{label} has the same metrics as {base_label} for all {} strategies in both (only event digests differ).", pairs.len())
        };
        out.push(finding("good", text));
    } else if !pairs.is_empty() {
        let mut text =
            format!("{label} vs {base_label}: metrics differ for {} of {} strategies ({})", differ.len(), pairs.len(), join_names(&differ));
        if !identical.is_empty() {
            text.push_str(&format!("; {} {} identical", join_names(&identical), verb(identical.len(), "is", "are")));
        }
        text.push('.');
        out.push(finding("info", text));
        // The largest relative change of a ranked metric.
        let mut best: Option<(i64, &str, &str, u64, u64)> = None;
        for (b, n) in &pairs {
            for info in Metrics::INFO.iter().filter(|i| i.better != Better::Neither) {
                let (ov, nv) = (b.metrics.get(info.name).unwrap_or(0), n.metrics.get(info.name).unwrap_or(0));
                if let Some(pm) = fmt::change_permille(ov, nv)
                    && pm != 0
                    && best.is_none_or(|x| pm.unsigned_abs() > x.0.unsigned_abs())
                {
                    best = Some((pm, n.strategy.as_str(), info.name, ov, nv));
                }
            }
        }
        if let Some((pm, s, metric, ov, nv)) = best {
            out.push(finding(
                "info",
                format!("Largest change: {metric} of {s}, {} → {} ({}).", fmt::thousands(ov), fmt::thousands(nv), fmt::signed_percent(pm)),
            ));
        }
    }
    if !only_new.is_empty() {
        out.push(finding("info", format!("Only in {label}: {}.", join_names(&only_new))));
    }
    if !only_base.is_empty() {
        out.push(finding("info", format!("Only in {base_label}: {}.", join_names(&only_base))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::DeviceResult;

    fn run(name: &str, domains: u64, failed: u64, trials: u64) -> RunResult {
        let mut r = RunResult { strategy: name.into(), digest: format!("{name:0>16}"), ..Default::default() };
        r.metrics.domains_allocated = domains;
        r.metrics.attaches_failed = failed;
        r.metrics.hard_failures = failed;
        r.metrics.attaches_ok = 4 - failed;
        r.metrics.trial_attaches = trials;
        r.devices = vec![DeviceResult { id: "d0".into(), domain: if failed > 0 { None } else { Some(0) }, ..Default::default() }];
        r
    }

    #[test]
    fn says_who_wins_and_by_how_much() {
        let r = Results {
            runs: vec![run("per-group", 4, 0, 0), run("compat-index", 2, 0, 2), run("hard-fail", 1, 1, 1)],
            ..Default::default()
        };
        let text: Vec<String> = for_results(&r).into_iter().map(|f| f.text).collect();
        let all = text.join("\n");
        assert!(all.contains("hard-fail failed 1 of 4 group attaches"), "{all}");
        assert!(all.contains("d0 ends with no domain"), "{all}");
        assert!(
            all.contains(
                "Of the strategies that attach every group, compat-index needs 2 domains where per-group needs 4 (\u{2212}50.0\u{a0}%)."
            ),
            "{all}"
        );
        assert!(all.contains("per-group makes 0 trial attaches"), "{all}");
    }

    #[test]
    fn compares_inputs() {
        let a = Results { runs: vec![run("per-group", 4, 0, 0)], ..Default::default() };
        let mut b = a.clone();
        assert_eq!(compare_inputs("a", &a, "b", &b)[0].tone, "good");
        b.runs[0].metrics.domains_allocated = 5;
        let all: Vec<String> = compare_inputs("a", &a, "b", &b).into_iter().map(|f| f.text).collect();
        assert!(all.iter().any(|t| t.contains("domains_allocated of per-group, 4 → 5 (+25.0\u{a0}%)")), "{all:?}");
    }

    #[test]
    fn empty_results() {
        assert_eq!(for_results(&Results::default()).len(), 1);
    }
}
