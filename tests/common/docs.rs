//! The docs-table drift check shared by tests/docs_formats.rs and tests/sweep_docs.rs: a
//! reference page's table must list exactly the fields the schema has.

use std::collections::BTreeSet;

/// The first-column backticked names of the table under the `### {section}` heading.
pub fn documented(doc: &str, section: &str) -> BTreeSet<String> {
    let heading = format!("### {section}");
    let start = doc.lines().position(|l| l.trim() == heading).unwrap_or_else(|| panic!("docs page has no `{heading}` section"));
    doc.lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_start_matches("| `").split('`').next().unwrap_or_default().to_string())
        .collect()
}

/// Asserts that section `section` of `doc` documents exactly `fields`.
pub fn check(doc: &str, section: &str, fields: &[&str]) {
    let want: BTreeSet<String> = fields.iter().map(|s| s.to_string()).collect();
    assert!(!want.is_empty(), "{section}: no fields introspected");
    assert_eq!(documented(doc, section), want, "docs section `{section}` out of step with the schema (left: documented, right: schema)");
}
