//! The reference pages in `docs/` must list every field users can write, and nothing else:
//! the field names come from the types themselves (serde introspection, `sim_core::schema`),
//! so a field added to the schema without documentation fails here.

use sim_core::scenario::schema::{Container, Op, Repeat, Scenario, ScriptEvent};
use sim_core::schema::{struct_fields, variant_fields};
use sim_core::workload::schema::{Churn, Fault, Generator};

#[path = "common/docs.rs"]
mod docs_table;
use docs_table::check;

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
