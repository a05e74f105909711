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

/// The strategies a sentence ranks, and how the sentence names them. When some strategies
/// failed attaches they are left out of every cost comparison (doing less work is not being
/// cheaper), and each such sentence says so in its `lead`.
struct Pool<'a> {
    runs: Vec<&'a RunResult>,
    names: Vec<&'a str>,
    /// "" when every run is in the pool, else "Among the strategies that attach every group
    /// (hard-fail is left out: it failed attaches), ".
    lead: String,
    /// How "all of them" reads: "every strategy" or "every one".
    every: &'static str,
}

impl<'a> Pool<'a> {
    fn all(runs: &[&'a RunResult]) -> Pool<'a> {
        Pool { runs: runs.to_vec(), names: names_of(runs), lead: String::new(), every: "every strategy" }
    }

    /// The runs that attached every group; all runs if none (or all) did.
    fn complete(runs: &[&'a RunResult]) -> Pool<'a> {
        let complete: Vec<&RunResult> = runs.iter().copied().filter(|x| x.metrics.attaches_failed == 0).collect();
        if complete.is_empty() || complete.len() == runs.len() {
            return Pool::all(runs);
        }
        let out: Vec<&str> = runs.iter().filter(|x| x.metrics.attaches_failed > 0).map(|x| x.strategy.as_str()).collect();
        let lead = format!(
            "Among the strategies that attach every group ({} {} left out: {} failed attaches), ",
            join_names(&out),
            verb(out.len(), "is", "are"),
            verb(out.len(), "it", "they")
        );
        Pool { names: names_of(&complete), runs: complete, lead, every: "every one" }
    }

    /// Names as the subject of a sentence with its verb: "a has", "a and b have", and for a
    /// set covering most of the pool, "every strategy except c has" (shorter to read than six
    /// names). "every ..." always means every member of this pool, which `lead` names.
    fn subject(&self, names: &[&str], one: &str, many: &str) -> String {
        self.subject_beside(names, &[], one, many)
    }

    /// Like `subject`, in a sentence that has already named `before`: the rest of the pool
    /// reads "every other strategy" / "every other one".
    fn subject_beside(&self, names: &[&str], before: &[&str], one: &str, many: &str) -> String {
        if names.len() == self.names.len() && self.names.len() > 1 {
            return format!("{} {one}", self.every);
        }
        let others: Vec<&str> = self.names.iter().copied().filter(|a| !names.contains(a)).collect();
        if names.len() > 1 && !before.is_empty() && others.iter().all(|o| before.contains(o)) {
            return format!("{} {one}", self.every.replacen("every ", "every other ", 1));
        }
        if names.len() >= 3 && others.len() <= 2 && !others.is_empty() {
            return format!("{} except {} {one}", self.every, join_names(&others));
        }
        format!("{} {}", join_names(names), verb(names.len(), one, many))
    }

    /// Names as an object ("for a and b", "for every strategy except c").
    fn object(&self, names: &[&str]) -> String {
        self.subject(names, "", "").trim_end().to_string()
    }

    /// `lead` + `rest`, capitalised.
    fn sentence(&self, rest: &str) -> String {
        capitalise(&format!("{}{rest}", self.lead))
    }
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

/// Whether a run may receive a "best" mark: a strategy that failed attaches did not do the
/// work the others did, so it cannot be best at what that work costs. When every run failed
/// some attach, all are eligible (nothing better to compare with).
pub fn best_eligible(runs: &[&RunResult]) -> Vec<bool> {
    let any_complete = runs.iter().any(|r| r.metrics.attaches_failed == 0);
    runs.iter().map(|r| !any_complete || r.metrics.attaches_failed == 0).collect()
}

/// A "lower is better" comparison sentence over `pool`, or an "all equal" one.
fn lower_better(pool: &Pool<'_>, what: &str, f: impl Fn(&RunResult) -> u64, show: impl Fn(u64) -> String) -> Option<Finding> {
    if pool.runs.len() < 2 {
        return None;
    }
    let s = spread(&pool.runs, f)?;
    if s.low == s.high {
        return Some(finding("info", pool.sentence(&format!("{} has the same {what}: {}.", pool.every, show(s.low)))));
    }
    Some(finding(
        "info",
        pool.sentence(&format!(
            "{} the least {what}: {} where {} {}{}.",
            pool.subject(&s.low_names, "has", "have"),
            show(s.low),
            pool.subject(&s.high_names, "has", "have"),
            show(s.high),
            change(s.high, s.low)
        )),
    ))
}

/// The driver rule that bounds domain reuse on this platform, from its IOMMU kinds (the
/// strings of `IommuKind::as_str`). Each names the Linux function that decides it.
fn driver_rules(r: &Results) -> Vec<&'static str> {
    let mut kinds: Vec<&str> = r.platform.iommus.iter().map(|m| m.kind.as_str()).collect();
    let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
    let mut out = Vec::new();
    if count("arm-smmu-v3") > 1 {
        out.push(
            "SMMUv3 domains cannot span instances: arm-smmu-v3.c refuses a domain finalised on another SMMU (arm_smmu_attach_dev, \
             -EINVAL since v6.2), so Linux needs at least one domain per SMMU that has devices",
        );
    }
    if count("arm-smmu-v2") > 1 {
        out.push("SMMUv2 context banks belong to one SMMU (arm-smmu.c arm_smmu_attach_dev refuses another instance's domain)");
    }
    if count("virtio-iommu") > 1 {
        out.push("virtio-iommu domains belong to one endpoint (virtio-iommu.c viommu_attach_dev)");
    }
    if count("intel-vtd") > 1 {
        out.push(
            "VT-d domains may span DMAR units whose snoop control, coherency, superpages and address width agree \
             (intel/iommu.c paging_domain_compatible)",
        );
    }
    if count("amd-vi") > 1 {
        out.push("AMD-Vi domains span IOMMUs (amd/iommu.c attaches any domain of its own driver)");
    }
    kinds.sort_unstable();
    kinds.dedup();
    if kinds.len() > 1 {
        out.push("a domain belongs to one driver (iommu.c __iommu_attach_group: the domain's owner ops must match)");
    }
    out
}

/// Strategies that model a proposal Linux has not merged: a win by one of them is reported
/// with the best strategy Linux has today beside it.
const WHAT_IF: [&str; 1] = ["shared-across-instances"];

/// The cheapest run: least CPU total, then fewest trial attaches, then run order.
fn best_of<'a>(pool: &[&'a RunResult]) -> Option<&'a RunResult> {
    pool.iter().copied().enumerate().min_by_key(|(i, x)| (cpu_total(&x.metrics), x.metrics.trial_attaches, *i)).map(|(_, x)| x)
}

/// The answer to "which strategy should I use here?": of the strategies that attach every
/// group, the one with the least CPU cost (attach + map + unmap + invalidate; fewer trial
/// attaches, then run order, break ties), by how much against the most expensive and against
/// mainline VFIO (`vfio-type1`), and the driver rule behind the domain counts.
fn answer(r: &Results, all: &[&RunResult]) -> Option<Finding> {
    let complete: Vec<&RunResult> = all.iter().copied().filter(|x| x.metrics.attaches_failed == 0).collect();
    if all.len() < 2 {
        return None;
    }
    if complete.is_empty() {
        return Some(finding("bad", "The answer: no strategy attaches every group on this scenario, so none can be recommended.".into()));
    }
    let winner = best_of(&complete)?;
    let worst = complete.iter().copied().max_by_key(|x| cpu_total(&x.metrics))?;
    let m = &winner.metrics;
    if cpu_total(&worst.metrics) == cpu_total(m) {
        let text = format!(
            "The answer: every strategy that attaches every group costs the same CPU ({} cycles); {} makes the fewest trial attaches ({}).",
            fmt::compact(cpu_total(m)),
            winner.strategy,
            fmt::thousands(m.trial_attaches)
        );
        return Some(finding("answer", text));
    }
    let mut text = format!(
        "The answer: {} — of the {} that attach every group it has the least CPU cost, {} cycles with {} at peak",
        winner.strategy,
        plural(complete.len() as u64, "strategy", "strategies"),
        fmt::compact(cpu_total(m)),
        plural(m.domains_peak, "domain", "domains"),
    );
    if worst.strategy != winner.strategy {
        text.push_str(&format!(
            ", against {} cycles and {} for {}{}",
            fmt::compact(cpu_total(&worst.metrics)),
            plural(worst.metrics.domains_peak, "domain", "domains"),
            worst.strategy,
            change(cpu_total(&worst.metrics), cpu_total(m))
        ));
    }
    if let Some(t1) =
        complete.iter().find(|x| x.strategy == "vfio-type1").filter(|t| t.strategy != winner.strategy && t.strategy != worst.strategy)
    {
        text.push_str(&format!(
            "; mainline vfio-type1 needs {} cycles{}",
            fmt::compact(cpu_total(&t1.metrics)),
            change(cpu_total(&t1.metrics), cpu_total(m))
        ));
    }
    text.push('.');
    if WHAT_IF.contains(&winner.strategy.as_str()) {
        let real: Vec<&RunResult> = complete.iter().copied().filter(|x| !WHAT_IF.contains(&x.strategy.as_str())).collect();
        if let Some(w2) = best_of(&real) {
            text.push_str(&format!(
                " {} models a proposal Linux has not merged; of what Linux has, {} wins with {} cycles and {} at peak.",
                winner.strategy,
                w2.strategy,
                fmt::compact(cpu_total(&w2.metrics)),
                plural(w2.metrics.domains_peak, "domain", "domains"),
            ));
        }
    }
    let rules = driver_rules(r);
    if !rules.is_empty() {
        text.push_str(&format!(" Why: {}.", rules.join("; ")));
    }
    Some(finding("answer", text))
}

/// The summary of one results file.
pub fn for_results(r: &Results) -> Vec<Finding> {
    let mut out = Vec::new();
    let all: Vec<&RunResult> = r.runs.iter().collect();
    if all.is_empty() {
        out.push(finding("info", "These results hold no runs.".to_string()));
        return out;
    }
    if let Some(n) = all.iter().map(|x| x.events_after_duration).max().filter(|n| *n > 0) {
        out.push(finding(
            "bad",
            format!(
                "{} that the scenario asked for {} due after its duration and {} not run (script lines, generator starts or \
                 stops, faults): unmaps and detaches among them are missing from every number below.",
                plural(n, "operation", "operations"),
                if n == 1 { "was" } else { "were" },
                if n == 1 { "was" } else { "were" }
            ),
        ));
    }
    out.extend(answer(r, &all));
    // Attach failures first: a strategy that saves domains by failing attaches is not a win.
    let attaches = |run: &RunResult| run.metrics.attaches_ok.saturating_add(run.metrics.attaches_failed);
    let failed: Vec<&RunResult> = all.iter().copied().filter(|x| x.metrics.attaches_failed > 0).collect();
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
        text.push_str("; it is left out of the cost comparisons below and gets no best (★) mark.");
        out.push(finding("bad", text));
    }
    if failed.is_empty() && all.len() > 1 {
        let n = attaches(all[0]);
        out.push(finding("good", format!("Every strategy attaches all {}.", plural(n, "group", "groups"))));
    }
    let everyone = Pool::all(&all);
    let pool = Pool::complete(&all);
    // Domains, among the strategies that attached everything.
    if let Some(s) = spread(&pool.runs, |x| x.metrics.domains_allocated) {
        if pool.runs.len() > 1 && s.low != s.high {
            out.push(finding(
                "good",
                pool.sentence(&format!(
                    "{} {} where {} {}{}.",
                    pool.subject(&s.low_names, "needs", "need"),
                    plural(s.low, "domain", "domains"),
                    pool.subject(&s.high_names, "needs", "need"),
                    fmt::thousands(s.high),
                    change(s.high, s.low)
                )),
            ));
        } else if pool.runs.len() > 1 {
            out.push(finding("info", pool.sentence(&format!("{} allocates {}.", pool.every, plural(s.low, "domain", "domains")))));
        }
    }
    // Trial attaches: what each strategy did, failed or not.
    if let Some(s) = spread(&all, |x| x.metrics.trial_attaches)
        && s.low != s.high
    {
        let soft: u64 = all.iter().filter(|x| x.metrics.trial_attaches == s.high).map(|x| x.metrics.soft_failures).max().unwrap_or(0);
        out.push(finding(
            "info",
            everyone.sentence(&format!(
                "{} {} against existing domains; {} {} ({} refused as incompatible).",
                everyone.subject(&s.low_names, "makes", "make"),
                plural(s.low, "trial attach", "trial attaches"),
                everyone.subject(&s.high_names, "makes", "make"),
                fmt::thousands(s.high),
                fmt::thousands(soft)
            )),
        ));
    }
    out.extend(lower_better(&pool, "peak page-table memory", |x| x.metrics.pagetable_bytes_peak, fmt::bytes));
    if let Some(mut f) = lower_better(
        &pool,
        "CPU cost (attach + map + unmap + invalidate)",
        |x| cpu_total(&x.metrics),
        |v| format!("{} cycles", fmt::compact(v)),
    ) {
        // Say where the most expensive strategy spends its cycles.
        if let Some(worst) = pool.runs.iter().max_by_key(|x| cpu_total(&x.metrics)).filter(|_| pool.runs.len() > 1) {
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
        &pool,
        "invalidation traffic (IOTLB and device-TLB commands)",
        |x| invalidations_total(&x.metrics),
        |v| plural(v, "command", "commands"),
    ));
    // IOTLB hit rate (higher is better), over the pool's strategies that reached the IOMMU.
    let known: Vec<(&str, u64)> =
        pool.runs.iter().filter_map(|x| iotlb_hit_permille(&x.metrics).map(|p| (x.strategy.as_str(), p))).collect();
    let unreached: Vec<&str> = pool.runs.iter().filter(|x| iotlb_hit_permille(&x.metrics).is_none()).map(|x| x.strategy.as_str()).collect();
    if let (Some(hi), Some(lo)) = (known.iter().map(|k| k.1).max(), known.iter().map(|k| k.1).min()) {
        let mut text = if hi == lo {
            pool.sentence(&format!(
                "the IOTLB hit rate is {} for {}.",
                fmt::percent(hi),
                if unreached.is_empty() { pool.every.to_string() } else { join_names(&known.iter().map(|k| k.0).collect::<Vec<_>>()) }
            ))
        } else {
            let names = |v: u64| known.iter().filter(|k| k.1 == v).map(|k| k.0).collect::<Vec<_>>();
            pool.sentence(&format!(
                "the IOTLB hit rate is {} for {}, {} for {}.",
                fmt::percent(hi),
                pool.object(&names(hi)),
                fmt::percent(lo),
                pool.object(&names(lo))
            ))
        };
        if !unreached.is_empty() {
            text.pop();
            text.push_str(&format!("; {} never looked up the IOTLB.", join_names(&unreached)));
        }
        out.push(finding("info", capitalise_first(&text)));
    }
    out.extend(lower_better(
        &pool,
        "99th-percentile DMA translation latency",
        |x| x.metrics.dma_latency_p99,
        |v| format!("{} cycles", fmt::thousands(v)),
    ));
    // Faults and stale translations: correctness, over every strategy.
    if let Some(s) = spread(&all, |x| x.metrics.faults) {
        if s.high == 0 {
            out.push(finding("good", "No strategy sees a DMA fault.".to_string()));
        } else if s.low == s.high {
            out.push(finding(
                "bad",
                format!(
                    "Every strategy sees {} (DMA to an address its domain does not map; the fault log below says where).",
                    plural(s.high, "DMA fault", "DMA faults")
                ),
            ));
        } else {
            out.push(finding(
                "bad",
                everyone.sentence(&format!(
                    "{} {} where {} {}.",
                    everyone.subject(&s.high_names, "sees", "see"),
                    plural(s.high, "DMA fault", "DMA faults"),
                    everyone.subject_beside(&s.low_names, &s.high_names, "sees", "see"),
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
        let parts: Vec<String> = by_count
            .iter()
            .rev()
            .map(|(n, names)| {
                format!("{} {}", everyone.subject(names, "serves", "serve"), plural(*n, "stale translation", "stale translations"))
            })
            .collect();
        let mut text = capitalise(&format!("{} (IOTLB entries used after their unmap, before the invalidation landed)", parts.join("; ")));
        if !clean.is_empty() {
            text.push_str(&format!("; {} none", everyone.subject(&clean, "serves", "serve")));
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

/// Upper-cases a sentence's first letter when it is one of our own words ("the IOTLB ...").
fn capitalise_first(s: &str) -> String {
    match s.strip_prefix("the ") {
        Some(rest) => format!("The {rest}"),
        None => s.to_string(),
    }
}

/// Capitalises a sentence that starts with our own words ("every strategy ..."); strategy
/// names keep their spelling (`per-group`, not `Per-group`).
fn capitalise(s: &str) -> String {
    match s.strip_prefix("every ") {
        Some(rest) => format!("Every {rest}"),
        None => s.to_string(),
    }
}

/// Whether two results may be compared number by number: the same scenario on the same
/// topology (seeds may differ: that is what comparing seeds is for).
pub fn comparable(a: &Results, b: &Results) -> bool {
    a.scenario == b.scenario && a.topology == b.topology
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
    if !comparable(base, new) {
        out.push(finding(
            "info",
            format!(
                "{label} runs scenario {} on {}, {base_label} runs scenario {} on {}: different scenarios are shown side by side, \
                 without changes computed between them.",
                new.scenario, new.topology, base.scenario, base.topology
            ),
        ));
        return out;
    }
    if base.seed != new.seed {
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
                "Among the strategies that attach every group (hard-fail is left out: it failed attaches), compat-index needs 2 domains where per-group needs 4 (\u{2212}50.0\u{a0}%)."
            ),
            "{all}"
        );
        assert!(all.contains("per-group makes 0 trial attaches"), "{all}");
    }

    /// The default report's bug: hard-fail (7 of 10 attaches failed) had the least CPU and
    /// invalidation traffic, yet sentences said another strategy had "the least", and "every
    /// strategy except ..." silently meant "every strategy that attached everything except".
    #[test]
    fn sentences_are_true_of_the_table_and_say_whom_they_leave_out() {
        let mut cheap_failer = run("hard-fail", 1, 3, 1);
        cheap_failer.metrics.cpu_cycles_map = 10;
        cheap_failer.metrics.invalidations_page = 1;
        let mut runs =
            vec![run("per-group", 4, 0, 0), run("vfio-type1", 3, 0, 3), run("iommufd-auto", 2, 0, 2), run("compat-index", 2, 0, 1)];
        for (k, r) in runs.iter_mut().enumerate() {
            r.metrics.cpu_cycles_map = 1000 * (k as u64 + 1);
            r.metrics.invalidations_page = 100;
        }
        runs[0].metrics.invalidations_page = 200;
        runs.insert(2, cheap_failer);
        let r = Results { runs, ..Default::default() };
        let text: Vec<String> = for_results(&r).into_iter().map(|f| f.text).collect();
        for t in &text[1..] {
            if t.contains("the least") {
                assert!(t.starts_with("Among the strategies that attach every group (hard-fail is left out: it failed attaches)"), "{t}");
                assert!(!t.contains("Every strategy except"), "{t}");
            }
        }
        let all = text.join("\n");
        assert!(all.contains("every one except per-group has the least invalidation traffic"), "{all}");
        assert!(all.contains("per-group has the least CPU cost"), "{all}");
        // The answer names the cheapest complete strategy, never the failing one.
        assert!(text[0].starts_with("The answer: per-group"), "{}", text[0]);
    }

    #[test]
    fn strategies_that_failed_attaches_get_no_best_mark() {
        let r = Results { runs: vec![run("per-group", 4, 0, 0), run("hard-fail", 1, 3, 1)], ..Default::default() };
        assert_eq!(best_eligible(&r.runs.iter().collect::<Vec<_>>()), vec![true, false]);
        // With nobody complete, everyone competes.
        let r = Results { runs: vec![run("a", 4, 1, 0), run("b", 1, 3, 1)], ..Default::default() };
        assert_eq!(best_eligible(&r.runs.iter().collect::<Vec<_>>()), vec![true, true]);
    }

    #[test]
    fn the_answer_names_the_winner_the_margin_and_the_driver_rule() {
        let mut r = Results {
            runs: vec![run("per-group", 4, 0, 0), run("compat-index", 2, 0, 0), run("shared-across-instances", 1, 0, 0)],
            ..Default::default()
        };
        for (k, run) in r.runs.iter_mut().enumerate() {
            run.metrics.cpu_cycles_map = 4000 - 1000 * k as u64;
        }
        r.platform.iommus =
            (0..2).map(|i| sim_core::metrics::results::PlatformIommu { id: format!("smmu{i}"), kind: "arm-smmu-v3".into() }).collect();
        let f = &for_results(&r)[0];
        assert_eq!(f.tone, "answer");
        assert!(f.text.starts_with("The answer: shared-across-instances"), "{}", f.text);
        assert!(f.text.contains("(\u{2212}50.0\u{a0}%)"), "{}", f.text);
        assert!(f.text.contains("of what Linux has, compat-index wins"), "{}", f.text);
        assert!(f.text.contains("SMMUv3 domains cannot span instances"), "{}", f.text);
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
