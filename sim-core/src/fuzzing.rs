//! The bodies of the fuzz targets in `fuzz/` (cargo-fuzz, docs/fuzzing.md), kept here so that
//! `tests/fuzz_smoke.rs` runs them over the seed corpora in every `cargo test` without
//! cargo-fuzz or a nightly compiler. Each takes arbitrary bytes and must never panic, hang or
//! allocate without bound; where a format can be written back, the round trip must hold.

use std::path::Path;

use crate::golden::Expected;
use crate::metrics::Results;
use crate::scenario::Scenario;
use crate::strategy::StrategyName;
use crate::topology::Platform;
use crate::trace::{TraceHeader, TraceReader, TraceWriter};

/// The bundled topologies, by file name: a fuzzed scenario resolves against the one it names.
pub const TOPOLOGIES: [(&str, &str); 5] = [
    ("arm-server.ron", include_str!("../../topologies/arm-server.ron")),
    ("arm-soc.ron", include_str!("../../topologies/arm-soc.ron")),
    ("epyc.ron", include_str!("../../topologies/epyc.ron")),
    ("mixed-arm.ron", include_str!("../../topologies/mixed-arm.ron")),
    ("xeon-2s.ron", include_str!("../../topologies/xeon-2s.ron")),
];

/// Work budget of a fuzzed scenario's run (per strategy), and its simulated-time cap.
pub const FUZZ_MAX_EVENTS: u64 = 20_000;
pub const FUZZ_MAX_DURATION: u64 = 1_000_000;

/// Topology loader: text → platform → both listings.
pub fn topology(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = Platform::parse(Path::new("fuzz.ron"), text) {
        let _ = crate::topology::report::text(&p);
        let _ = crate::topology::report::json_pretty(&p);
    }
}

/// Scenario loader, then a short capped run of every strategy (and a trace of one, read back).
pub fn scenario(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(parsed) = crate::error::parse_ron::<crate::scenario::schema::Scenario>(Path::new("fuzz.ron"), text) else { return };
    let file = Path::new(&parsed.topology).file_name().and_then(|f| f.to_str()).unwrap_or("");
    let topo = TOPOLOGIES.iter().find(|(n, _)| *n == file).unwrap_or(&TOPOLOGIES[0]);
    let Ok(platform) = Platform::parse(Path::new(topo.0), topo.1) else { return };
    let Ok(mut s) = Scenario::from_parts(Path::new("fuzz.ron"), text, platform) else { return };
    s.duration = s.duration.min(FUZZ_MAX_DURATION);
    if crate::budget::check(&s, FUZZ_MAX_EVENTS).is_err() {
        return;
    }
    for name in StrategyName::ALL {
        let run = crate::sim::run(&s, name, s.seed, None);
        assert_eq!(run.strategy, name.as_str());
    }
    // One traced run: the trace reads back with the same number of events.
    let mut w = TraceWriter::new(Vec::new(), &TraceHeader::for_run(&s, StrategyName::PerGroup, s.seed)).expect("in memory");
    let _ = crate::sim::run(&s, StrategyName::PerGroup, s.seed, Some(&mut w));
    let (n, bytes) = w.finish_into().expect("in memory");
    let mut r = TraceReader::new(bytes.as_slice()).expect("own trace");
    let mut read = 0;
    while r.next_event().expect("own trace").is_some() {
        read += 1;
    }
    assert_eq!(read, n);
}

/// Expected-file parser; whatever parses renders to text that parses to the same thing.
pub fn expected(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(e) = Expected::parse(Path::new("fuzz.expected"), text) {
        let again = Expected::parse(Path::new("fuzz.expected"), &e.render()).expect("a rendered file parses");
        assert_eq!(again.render(), e.render(), "render → parse → render is stable");
    }
}

/// Trace reader: arbitrary bytes are a trace or an error, never a panic or a huge allocation.
pub fn trace(data: &[u8]) {
    if let Ok(mut r) = TraceReader::new(data) {
        let _ = r.header().clone();
        while let Ok(Some(_)) = r.next_event() {}
    }
}

/// Results JSON (`run --json`, the input of `report`): what parses serialises and parses back
/// equal.
pub fn results(data: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<Results>(data) {
        let text = serde_json::to_string(&r).expect("serialises");
        let back: Results = serde_json::from_str(&text).expect("own output parses");
        assert_eq!(back, r);
    }
}
