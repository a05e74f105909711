//! Axis paths: where in a scenario (or its topology) a sweep puts its values.
//!
//! `generators[0].working_set` (a list index), `iommus[smmu0].geometry.iotlb_entries` (a list
//! element chosen by its `id`), `devices["0000:03:00.0"].ats` (quoted when the id looks like a
//! number), `tolerances.dma_latency_p99` (a map key). Fields that are absent are added (with
//! enclosing `( )` structs as needed); whether they are allowed is for the typed loader to say.

use super::tree::Node;

/// One step of a path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// `.name` (or the first name): a struct field or map key.
    Field(String),
    /// `[3]`: a list position.
    Index(usize),
    /// `[smmu0]`: the list element whose `id` (or `name`) is this.
    Id(String),
}

/// A parsed path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    pub segs: Vec<Seg>,
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, s) in self.segs.iter().enumerate() {
            match s {
                Seg::Field(n) if i == 0 => write!(f, "{n}")?,
                Seg::Field(n) => write!(f, ".{n}")?,
                Seg::Index(n) => write!(f, "[{n}]")?,
                Seg::Id(id) if id.parse::<usize>().is_ok() || id.contains(['[', ']']) => write!(f, "[{id:?}]")?,
                Seg::Id(id) => write!(f, "[{id}]")?,
            }
        }
        Ok(())
    }
}

impl Path {
    /// Parses `a.b[2].c[id]`.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut segs = Vec::new();
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err("empty path".into());
        }
        let field_len = |s: &str| s.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(s.len());
        let mut first = true;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('[') {
                let (key, after) = if let Some(q) = r.strip_prefix('"') {
                    let end = q.find('"').ok_or("unterminated quoted id")?;
                    let after = q[end + 1..].strip_prefix(']').ok_or("expected `]` after the quoted id")?;
                    (Seg::Id(q[..end].to_string()), after)
                } else {
                    let end = r.find(']').ok_or("unterminated `[`")?;
                    let key = r[..end].trim();
                    if key.is_empty() {
                        return Err("empty `[]`".into());
                    }
                    let seg = key.parse::<usize>().map_or_else(|_| Seg::Id(key.to_string()), Seg::Index);
                    (seg, &r[end + 1..])
                };
                segs.push(key);
                rest = after;
            } else {
                let r = if first { rest } else { rest.strip_prefix('.').ok_or_else(|| format!("expected `.` or `[` at `{rest}`"))? };
                let n = field_len(r);
                if n == 0 {
                    return Err(format!("expected a field name at `{r}`"));
                }
                segs.push(Seg::Field(r[..n].to_string()));
                rest = &r[n..];
            }
            first = false;
        }
        Ok(Path { segs })
    }

    /// Puts `value` at this path inside `root`.
    pub fn set(&self, root: &mut Node, value: Node) -> Result<(), String> {
        set(root, &self.segs, value, 0)
    }

    /// The value at this path, if present.
    pub fn get<'a>(&self, root: &'a Node) -> Option<&'a Node> {
        let mut node = root;
        for seg in &self.segs {
            node = match (seg, node) {
                (Seg::Field(f), Node::Struct { fields, .. }) => &fields.iter().find(|(k, _)| k == f)?.1,
                (Seg::Field(f), Node::Map(entries)) => &entries.iter().find(|(k, _)| k.as_str().as_deref() == Some(f))?.1,
                (Seg::Index(i), Node::List(items)) => items.get(*i)?,
                (Seg::Id(id), Node::List(items)) => items.iter().find(|n| has_id(n, id))?,
                _ => return None,
            };
        }
        Some(node)
    }
}

/// Whether a list element is the one called `id` (its `id` field, else its `name`).
fn has_id(node: &Node, id: &str) -> bool {
    ["id", "name"].iter().any(|f| node.field(f).and_then(Node::as_str).as_deref() == Some(id))
}

fn ids(items: &[Node]) -> String {
    let names: Vec<String> = items.iter().filter_map(|n| n.field("id").or_else(|| n.field("name")).and_then(Node::as_str)).collect();
    if names.is_empty() { "none have an `id`".into() } else { format!("ids: {}", names.join(", ")) }
}

fn set(node: &mut Node, segs: &[Seg], value: Node, depth: usize) -> Result<(), String> {
    let Some((seg, rest)) = segs.split_first() else {
        *node = value;
        return Ok(());
    };
    let here = |what: String| if depth == 0 { what } else { format!("{what} (step {} of the path)", depth + 1) };
    match (seg, &mut *node) {
        (Seg::Field(f), Node::Struct { fields, .. }) => {
            if let Some((_, v)) = fields.iter_mut().find(|(k, _)| k == f) {
                return set(v, rest, value, depth + 1);
            }
            let mut fresh = Node::Struct { name: None, fields: Vec::new() };
            set(&mut fresh, rest, value, depth + 1)?;
            fields.push((f.clone(), fresh));
            Ok(())
        }
        (Seg::Field(f), Node::Map(entries)) => {
            if let Some((_, v)) = entries.iter_mut().find(|(k, _)| k.as_str().as_deref() == Some(f)) {
                return set(v, rest, value, depth + 1);
            }
            let mut fresh = Node::Struct { name: None, fields: Vec::new() };
            set(&mut fresh, rest, value, depth + 1)?;
            entries.push((Node::Atom(format!("{f:?}")), fresh));
            Ok(())
        }
        (Seg::Index(i), Node::List(items)) => {
            let len = items.len();
            let item = items.get_mut(*i).ok_or_else(|| here(format!("index [{i}] is out of range: the list has {len} element(s)")))?;
            set(item, rest, value, depth + 1)
        }
        (Seg::Id(id), Node::List(items)) => {
            let known = ids(items);
            let item = items.iter_mut().find(|n| has_id(n, id)).ok_or_else(|| here(format!("no element with id \"{id}\" ({known})")))?;
            set(item, rest, value, depth + 1)
        }
        (Seg::Field(f), other) => Err(here(format!("cannot take field `{f}` of {}", other.kind()))),
        (Seg::Index(_) | Seg::Id(_), other) => Err(here(format!("cannot index {} (only lists)", other.kind()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_paths() {
        for text in ["generators[0].working_set", "iommus[smmu0].geometry.iotlb_entries", "devices[\"7\"].ats", "tolerances.x"] {
            assert_eq!(Path::parse(text).expect(text).to_string(), text);
        }
        let p = Path::parse("devices[0000:03:00.0].ats").expect("bdf id");
        assert_eq!(p.segs[1], Seg::Id("0000:03:00.0".into()));
        for bad in ["", "a..b", "a[", "a[]", "[0]x", "a.", ".a"] {
            assert!(Path::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sets_existing_and_missing_fields_and_reports_bad_steps() {
        let mut n = Node::parse(r#"T(iommus: [Iommu(id: "a", kind: K), Iommu(id: "b", kind: K)], m: {"x": 1})"#).expect("parse");
        Path::parse("iommus[b].geometry.iotlb_entries").unwrap().set(&mut n, Node::Atom("64".into())).unwrap();
        Path::parse("iommus[0].kind").unwrap().set(&mut n, Node::Ident("J".into())).unwrap();
        Path::parse("m.x").unwrap().set(&mut n, Node::Atom("2".into())).unwrap();
        assert_eq!(n.print(), r#"T(iommus:[Iommu(id:"a",kind:J),Iommu(id:"b",kind:K,geometry:(iotlb_entries:64))],m:{"x":2})"#);
        let err = Path::parse("iommus[c].kind").unwrap().set(&mut n, Node::Ident("J".into())).unwrap_err();
        assert!(err.contains("no element with id \"c\"") && err.contains("ids: a, b"), "{err}");
        let err = Path::parse("iommus[5]").unwrap().set(&mut n, Node::Ident("J".into())).unwrap_err();
        assert!(err.contains("out of range"), "{err}");
        let err = Path::parse("m.x.y").unwrap().set(&mut n, Node::Ident("J".into())).unwrap_err();
        assert!(err.contains("cannot take field `y` of a number"), "{err}");
        assert_eq!(Path::parse("iommus[b].geometry.iotlb_entries").unwrap().get(&n), Some(&Node::Atom("64".into())));
    }
}
