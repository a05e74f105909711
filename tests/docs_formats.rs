//! The reference pages in `docs/` must list every field users can write, and nothing else:
//! the field names come from the types themselves (serde introspection, `sim_core::schema`),
//! so a field added to the schema without documentation fails here.

use std::collections::BTreeSet;

use sim_core::scenario::schema::{Container, Op, Repeat, Scenario, ScriptEvent};
use sim_core::schema::{struct_fields, variant_fields};
use sim_core::workload::schema::{Churn, Fault, Generator};

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
    let have = documented(doc, section);
    assert_eq!(have, want, "docs section `{section}` out of step with the schema (left: documented, right: schema)");
}

#[test]
fn scenario_format_page_matches_the_schema() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/scenario-format.md")).expect("docs/scenario-format.md");
    check(&doc, "Scenario", struct_fields::<Scenario>().1);
    for variant in sim_core::schema::enum_variants::<Container>().1 {
        check(&doc, variant, variant_fields::<Container>(variant));
    }
    check(&doc, "ScriptEvent", struct_fields::<ScriptEvent>().1);
    check(&doc, "Repeat", struct_fields::<Repeat>().1);
    for variant in sim_core::schema::enum_variants::<Op>().1 {
        check(&doc, variant, variant_fields::<Op>(variant));
    }
    for variant in sim_core::schema::enum_variants::<Generator>().1 {
        check(&doc, variant, variant_fields::<Generator>(variant));
    }
    for variant in sim_core::schema::enum_variants::<Fault>().1 {
        check(&doc, variant, variant_fields::<Fault>(variant));
    }
    check(&doc, "Churn", struct_fields::<Churn>().1);
}
