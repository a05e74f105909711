//! What a new user meets on the command line (issue 14): best marks only for strategies
//! that did the work, and the other CLI manners.

use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iommu-sim")).args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("run")
}

fn text(o: &Output) -> (String, String) {
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned())
}

/// hard-fail fails 4 of 6 attaches in the default scenario and so has the fewest domains and
/// the least CPU; it must not get the `*` best mark for that.
#[test]
fn a_strategy_that_failed_attaches_gets_no_best_mark() {
    let o = sim(&["compare", "scenarios/default.ron", "--wide"]);
    let (out, err) = text(&o);
    assert!(o.status.success(), "{err}");
    let header = out.lines().find(|l| l.starts_with("metric")).expect("header");
    let cols: Vec<&str> = header.split_whitespace().collect();
    let hf = cols.iter().position(|c| *c == "hard-fail").expect("hard-fail column");
    let mut rows = 0;
    for line in out.lines().skip_while(|l| !l.starts_with("metric")).skip(1).take_while(|l| !l.starts_with('(')) {
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.len() == cols.len() {
            rows += 1;
            assert!(!cells[hf].starts_with('*'), "hard-fail marked best: {line}");
        }
    }
    assert!(rows > 30, "{out}");
    assert!(out.contains("hard-fail failed attaches and cannot be best"), "{out}");
}
