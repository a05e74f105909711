//! docs/sweep-format.md lists every field of the sweep file and of a results line, and nothing
//! else: the names come from the types (serde introspection, `sim_core::schema`), as in
//! tests/docs_formats.rs. Also: the page's example and every bundled sweep load.

use std::collections::BTreeSet;

use sim_core::schema::struct_fields;
use sim_core::sweep::Record;
use sim_core::sweep::schema::{AxisSpec, RangeSpec, SeedRange, SweepFile};

/// The first-column backticked names of the table under the `### {section}` heading.
fn documented(doc: &str, section: &str) -> BTreeSet<String> {
    let heading = format!("### {section}");
    let start = doc.lines().position(|l| l.trim() == heading).unwrap_or_else(|| panic!("docs page has no `{heading}` section"));
    doc.lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_start_matches("| `").split('`').next().unwrap_or_default().to_string())
        .collect()
}

fn check(doc: &str, section: &str, fields: &[&str]) {
    let want: BTreeSet<String> = fields.iter().map(|s| s.to_string()).collect();
    assert!(!want.is_empty(), "{section}: no fields introspected");
    assert_eq!(documented(doc, section), want, "docs section `{section}` out of step with the schema (left: documented, right: schema)");
}

#[test]
fn sweep_format_page_matches_the_schema() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/sweep-format.md")).expect("docs/sweep-format.md");
    check(&doc, "Sweep", struct_fields::<SweepFile>().1);
    check(&doc, "Axis", struct_fields::<AxisSpec>().1);
    check(&doc, "Range", struct_fields::<RangeSpec>().1);
    check(&doc, "Seeds", struct_fields::<SeedRange>().1);
    check(&doc, "Record", struct_fields::<Record>().1);
}

#[test]
fn the_pages_example_and_every_bundled_sweep_load() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/sweep-format.md")).expect("page");
    let example = doc.split("```ron\n").nth(1).and_then(|s| s.split("```").next()).expect("an example");
    let path = root.join("sweeps/example-from-docs.ron");
    std::fs::write(&path, example).expect("write example");
    let loaded = sim_core::sweep::Grid::load(&path);
    let _ = std::fs::remove_file(&path);
    let grid = loaded.unwrap_or_else(|e| panic!("the docs example: {e}"));
    grid.validate().unwrap_or_else(|e| panic!("the docs example: {e}"));
    let mut n = 0;
    for entry in std::fs::read_dir(root.join("sweeps")).expect("sweeps/") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "ron") {
            let g = sim_core::sweep::Grid::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            g.validate().unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 3, "sweeps/ should hold the bundled sweeps");
}
