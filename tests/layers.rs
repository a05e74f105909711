//! The layering of sim-core (docs/architecture.md, "Layers") checked against the code: every
//! top-level module is in exactly one layer of the page's table, no module's production code
//! imports (`crate::x`, `super::super::x`) a module of a higher layer, and the module graph
//! has no cycle. Test code (`mod tests`, `*tests.rs`) may reach up: a loader's property test
//! may run the simulation.
//!
//! Would it fail if the code were wrong? Adding `use crate::sim::...` to `iommu/` or
//! `use crate::scenario::Action` to `workload/` (the cycle issue 10 removed) fails it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `module -> layer` from the table under `## Layers` in docs/architecture.md: rows
/// `| N name | `a`, `b` | ... |`.
fn documented_layers() -> BTreeMap<String, (usize, String)> {
    let doc = std::fs::read_to_string("docs/architecture.md").expect("docs/architecture.md");
    let start = doc.lines().position(|l| l.trim() == "## Layers").expect("architecture.md has a `## Layers` section");
    let mut out = BTreeMap::new();
    for line in doc.lines().skip(start + 1).take_while(|l| !l.starts_with("## ")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 4 {
            continue;
        }
        let Some((n, name)) = cells[1].split_once(' ') else { continue };
        let Ok(n) = n.parse::<usize>() else { continue };
        for m in cells[2].split(',') {
            let m = m.trim().trim_matches('`').to_string();
            assert!(out.insert(m.clone(), (n, name.to_string())).is_none(), "module `{m}` listed twice in the layer table");
        }
    }
    assert!(!out.is_empty(), "no layer rows under `## Layers`");
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The production text of a source file: comment lines dropped, and nothing from a
/// `#[cfg(test)] mod ... {` on (test modules sit at the end of their file).
fn production_text(path: &Path, src: &str) -> String {
    let name = path.file_name().unwrap().to_string_lossy();
    if name == "tests.rs" || name.ends_with("_tests.rs") || path.components().any(|c| c.as_os_str() == "tests") {
        return String::new();
    }
    let lines: Vec<&str> = src.lines().collect();
    let mut out = String::new();
    for (i, l) in lines.iter().enumerate() {
        let t = l.trim();
        if t == "#[cfg(test)]" {
            let next = lines[i + 1..].iter().map(|l| l.trim()).find(|l| !l.is_empty()).unwrap_or("");
            if (next.starts_with("mod ") || next.starts_with("pub mod ") || next.starts_with("pub(crate) mod ")) && next.ends_with('{') {
                break;
            }
        }
        if t.starts_with("//") {
            continue;
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// The top-level modules named after `crate::` (also in `crate::{a, b::c}`) and, in a file one
/// folder down, after `super::super::`.
fn imported(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for prefix in ["crate::", "super::super::"] {
        let mut rest = text;
        while let Some(at) = rest.find(prefix) {
            rest = &rest[at + prefix.len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let (mut depth, mut item) = (0, String::new());
                for ch in group.chars() {
                    match ch {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            out.insert(item.trim().split("::").next().unwrap_or("").to_string());
                            item.clear();
                            continue;
                        }
                        _ => {}
                    }
                    item.push(ch);
                }
                out.insert(item.trim().split("::").next().unwrap_or("").to_string());
            } else {
                let name: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
                out.insert(name);
            }
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

#[test]
fn no_module_imports_a_higher_layer_and_there_is_no_cycle() {
    let layers = documented_layers();
    let root = Path::new("sim-core/src");
    let mut files = Vec::new();
    rust_files(root, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(root).unwrap();
        let first = rel.components().next().unwrap().as_os_str().to_string_lossy().trim_end_matches(".rs").to_string();
        if first == "lib" {
            continue;
        }
        let src = std::fs::read_to_string(f).unwrap();
        let Some(&(layer, _)) = layers.get(&first) else {
            panic!("module `{first}` ({}) is in no layer of docs/architecture.md's `## Layers` table", rel.display());
        };
        for m in imported(&production_text(f, &src)) {
            if m == first {
                continue;
            }
            let Some(&(to, ref to_name)) = layers.get(&m) else {
                panic!("{} imports `{m}`, which is in no layer of the table", rel.display());
            };
            if to > layer {
                wrong.push(format!("{} (layer {layer}) imports `{m}` (layer {to} {to_name})", rel.display()));
            }
            graph.entry(first.clone()).or_default().insert(m);
        }
    }
    assert!(wrong.is_empty(), "imports of a higher layer:\n{}", wrong.join("\n"));
    for m in layers.keys() {
        assert!(
            root.join(format!("{m}.rs")).exists() || root.join(m).join("mod.rs").exists(),
            "the layer table lists `{m}`, which is not a module of sim-core"
        );
    }
    // No cycle (within a layer too): depth-first search for a back edge.
    fn visit<'a>(
        n: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) -> Option<String> {
        match state.get(n) {
            Some(1) => return Some(format!("{} -> {n}", path.join(" -> "))),
            Some(_) => return None,
            None => {}
        }
        state.insert(n, 1);
        path.push(n);
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(n, 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(cycle) = visit(n, &graph, &mut state, &mut Vec::new()) {
            panic!("import cycle: {cycle}");
        }
    }
}

#[test]
fn the_import_scanner_sees_grouped_and_nested_paths() {
    let text = "use crate::{ids::X, linux::{self, Errno}};\nlet a = crate::sim::run();\nuse super::super::iommu::Caps;";
    let got: Vec<String> = imported(text).into_iter().collect();
    assert_eq!(got, ["ids", "iommu", "linux", "sim"]);
    let src = "use crate::a::B;\n// crate::c in a comment\n#[cfg(test)]\nmod tests {\n    use crate::d;\n}\n";
    assert_eq!(imported(&production_text(Path::new("x/y.rs"), src)).into_iter().collect::<Vec<_>>(), ["a"]);
}
