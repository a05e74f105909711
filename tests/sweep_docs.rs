//! docs/sweep-format.md lists every field of the sweep file and of a results line, and nothing
//! else: the names come from the types (serde introspection, `sim_core::schema`), as in
//! tests/docs_formats.rs. Also: the page's example and every bundled sweep load.

use sim_core::schema::struct_fields;
use sim_core::sweep::Record;
use sim_core::sweep::schema::{AxisSpec, RangeSpec, SeedRange, SweepFile};

#[path = "common/docs.rs"]
mod docs_table;
use docs_table::check;

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
    grid.validate(sim_core::budget::DEFAULT_MAX_EVENTS).unwrap_or_else(|e| panic!("the docs example: {e}"));
    let mut n = 0;
    for entry in std::fs::read_dir(root.join("sweeps")).expect("sweeps/") {
        let p = entry.expect("entry").path();
        if p.extension().is_some_and(|e| e == "ron") {
            let g = sim_core::sweep::Grid::load(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            g.validate(sim_core::budget::DEFAULT_MAX_EVENTS).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            n += 1;
        }
    }
    assert!(n >= 3, "sweeps/ should hold the bundled sweeps");
}
