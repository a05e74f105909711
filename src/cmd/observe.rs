//! What `run` watches while a simulation runs, through the simulation's `Observer`: the
//! kernel log lines (`--log`), the event trace (`--trace`) and a progress bar with ETA on a
//! terminal. Each is optional; with none of them the run has no observer at all (nothing per
//! event), which is what every non-interactive use gets.

use std::io::IsTerminal as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sim_core::linux::klog::{self, LogRecord};
use sim_core::scenario::Scenario;
use sim_core::sim::{EventRecord, Observer};

/// A kernel log line as `run --log` prints it.
pub struct LogLine {
    pub cycle: u64,
    pub text: String,
    pub source: &'static str,
}

/// One strategy's observer.
pub struct Watch<'a> {
    pub scenario: &'a Scenario,
    pub trace: Option<&'a mut dyn Observer>,
    pub log: Option<Vec<LogLine>>,
    pub progress: Option<Progress>,
}

impl Observer for Watch<'_> {
    fn event(&mut self, rec: &EventRecord) {
        if let Some(t) = self.trace.as_mut() {
            t.event(rec);
        }
        if let Some(p) = self.progress.as_mut() {
            p.at(rec.cycle);
        }
    }

    fn log(&mut self, r: &LogRecord) {
        if let Some(t) = self.trace.as_mut() {
            t.log(r);
        }
        if let Some(lines) = self.log.as_mut() {
            let p = &self.scenario.platform;
            let device = p.groups[r.group.index()].devices.first().map_or("?", |d| p.devices[d.index()].name.as_str());
            let inst = &p.iommus[r.iommu.index()];
            let (text, source) = klog::text(inst.kind, r, device, &inst.name, &p.iommus[r.domain_owner.index()].name);
            lines.push(LogLine { cycle: r.cycle, text, source });
        }
    }
}

/// One strategy's share of a progress bar over all strategies (position = simulated cycles).
pub struct Progress {
    bar: Arc<ProgressBar>,
    done: u64,
    events: u32,
    started: Instant,
    shown: bool,
}

impl Progress {
    /// A bar of `strategies × duration` cycles on stderr, drawn only when stderr is a terminal
    /// (and not `--quiet`), and only once the run has taken a second: short runs stay silent.
    pub fn bar(scenario: &Scenario, strategies: usize) -> Option<Arc<ProgressBar>> {
        if crate::out::quiet() || !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(scenario.duration.saturating_mul(strategies as u64)), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} simulating {msg} [{bar:30}] {percent}% of simulated time, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_message(scenario.name.clone());
        Some(Arc::new(bar))
    }

    pub fn new(bar: Arc<ProgressBar>) -> Progress {
        Progress { bar, done: 0, events: 0, started: Instant::now(), shown: false }
    }

    fn at(&mut self, cycle: u64) {
        self.events = self.events.wrapping_add(1);
        if !self.events.is_multiple_of(4096) {
            return;
        }
        let cycle = cycle.min(self.bar.length().unwrap_or(u64::MAX));
        if cycle > self.done {
            self.bar.inc(cycle - self.done);
            self.done = cycle;
        }
        if !self.shown && self.started.elapsed() >= Duration::from_secs(1) {
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }
}
