//! `run --trace` and `trace-diff`, through the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/check").join(name)
}

fn workdir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("iommu-sim-trace-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["topo.ron", "trace.ron", "small.ron"] {
        std::fs::copy(data(f), dir.join(f)).unwrap();
    }
    dir
}

fn sim(args: &[&str], dir: &Path) -> (i32, String, String) {
    let out = Command::new(BIN).args(args).current_dir(dir).output().unwrap();
    let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), s(&out.stdout), s(&out.stderr))
}

#[test]
fn two_runs_give_byte_identical_traces() {
    let dir = workdir("identical");
    for t in ["a.trace", "b.trace"] {
        let (code, _, err) = sim(&["run", "trace.ron", "--trace", t], &dir);
        assert_eq!(code, 0, "{err}");
    }
    let a = std::fs::read(dir.join("a.trace")).unwrap();
    assert!(a.starts_with(b"IOMMUTRC"));
    assert_eq!(a, std::fs::read(dir.join("b.trace")).unwrap());
    let (code, out, _) = sim(&["trace-diff", "a.trace", "b.trace"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("identical: 15 events"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn trace_diff_finds_an_injected_divergence() {
    let dir = workdir("diverge");
    // The copy differs only in the size of event #12 (the DMA at cycle 500000).
    let text = std::fs::read_to_string(dir.join("trace.ron")).unwrap();
    let from = "iova: 0x3000, bytes: 8192";
    assert_eq!(text.matches(from).count(), 1);
    std::fs::write(dir.join("trace2.ron"), text.replace(from, "iova: 0x3000, bytes: 4096")).unwrap();
    sim(&["run", "trace.ron", "--trace", "a.trace"], &dir);
    sim(&["run", "trace2.ron", "--trace", "b.trace"], &dir);
    let (code, out, err) = sim(&["trace-diff", "a.trace", "b.trace"], &dir);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("first difference at event #12"), "{out}");
    let a = out.lines().find(|l| l.trim_start().starts_with("A #12")).unwrap();
    let b = out.lines().find(|l| l.trim_start().starts_with("B #12")).unwrap();
    assert!(a.contains("cycle 500000 dma 0000:01:00.0 read iova 0x3000 bytes 8192"), "{a}");
    assert!(b.contains("bytes 4096"), "{b}");
    // Three events of context, decoded.
    for i in 9..12 {
        assert!(out.contains(&format!("#{i} cycle {} dma 0000:01:00.0 write", 2000 + 100 * (i - 2))), "{out}");
    }
    assert!(out.contains("differs in: bytes"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn several_strategies_write_one_trace_each() {
    let dir = workdir("per-strategy");
    let (code, _, err) = sim(&["run", "small.ron", "--trace", "s.trace"], &dir);
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("s.per-group.trace").is_file());
    assert!(dir.join("s.vfio-type1.trace").is_file());
    assert!(!dir.join("s.trace").exists());
    let (code, out, _) = sim(&["trace-diff", "s.per-group.trace", "s.vfio-type1.trace"], &dir);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("strategy differs: per-group → vfio-type1"), "{out}");
    // --strategy: exactly the file named.
    let (code, _, _) = sim(&["run", "small.ron", "--strategy", "vfio-type1", "--trace", "one.trace"], &dir);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(dir.join("one.trace")).unwrap(), std::fs::read(dir.join("s.vfio-type1.trace")).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn non_traces_are_exit_2() {
    let dir = workdir("bad");
    sim(&["run", "trace.ron", "--trace", "a.trace"], &dir);
    let (code, _, err) = sim(&["trace-diff", "a.trace", "trace.ron"], &dir);
    assert_eq!(code, 2);
    assert!(err.contains("trace.ron") && err.contains("not an iommu-sim trace"), "{err}");
    let bytes = std::fs::read(dir.join("a.trace")).unwrap();
    std::fs::write(dir.join("cut.trace"), &bytes[..bytes.len() - 3]).unwrap();
    let (code, _, err) = sim(&["trace-diff", "a.trace", "cut.trace"], &dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.trace"), "{err}");
    let (code, _, _) = sim(&["trace-diff", "a.trace", "missing.trace"], &dir);
    assert_eq!(code, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-` reads one of the two traces from stdin (a pipe from another machine); both `-` is a
/// usage error.
#[test]
fn trace_diff_reads_one_trace_from_stdin() {
    let dir = workdir("stdin");
    for t in ["a.trace", "b.trace"] {
        assert_eq!(sim(&["run", "trace.ron", "--trace", t], &dir).0, 0);
    }
    let out = Command::new(BIN)
        .args(["trace-diff", "-", "b.trace"])
        .current_dir(&dir)
        .stdin(std::fs::File::open(dir.join("a.trace")).unwrap())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("identical: 15 events"), "{text}");
    let (code, _, err) = sim(&["trace-diff", "-", "-"], &dir);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("only one of the two traces"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
