//! The platform as a node-link diagram, laid out left to right: IOMMU instances, then the bus
//! tree (root complexes, ports, switches, bridges), then the devices in one column with each
//! IOMMU group outlined and each device filled with the colour of the domain it ended in.
//! A tree laid out with one row per leaf grows downwards, not sideways, so it stays readable
//! on a narrow screen. Input order decides everything (no hashing), so the drawing is stable.

use std::collections::BTreeMap;

use sim_core::metrics::results::PlatformSummary;

use super::{Svg, series_colour, text_width, tint};

const ROW: i64 = 42;
const NODE_H: i64 = 32;
const COL_GAP: i64 = 34;
const PAD: i64 = 10;
const GROUP_LABEL_W: i64 = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Iommu(usize),
    /// Roots with no (or an unknown) IOMMU hang off this pseudo node.
    NoIommu,
    Bus(usize),
    Device(usize),
}

struct Node {
    kind: Kind,
    depth: usize,
    children: Vec<usize>,
    y: i64,
}

/// Short, human names for the bus kinds (`BusSpec` variant names in sim-core).
fn bus_kind_label(kind: &str) -> &str {
    match kind {
        "RootComplex" => "root complex",
        "RootPort" => "root port",
        "SwitchUpstream" => "switch upstream",
        "SwitchDownstream" => "switch downstream",
        "PcieToPciBridge" => "PCIe-to-PCI bridge",
        "PlatformBus" => "platform bus",
        other => other,
    }
}

/// Whether ACS matters for this bus kind (Linux `pci_acs_enabled` looks at root and
/// downstream ports only; for the rest the flag means nothing).
fn acs_applies(kind: &str) -> bool {
    matches!(kind, "RootPort" | "SwitchDownstream")
}

/// The colour of a domain: its rank among the serials of this run picks the palette entry.
pub fn domain_colours(domains: &BTreeMap<String, Option<u64>>) -> BTreeMap<u64, &'static str> {
    let serials: std::collections::BTreeSet<u64> = domains.values().flatten().copied().collect();
    serials.into_iter().enumerate().map(|(i, s)| (s, series_colour(i))).collect()
}

/// Draws the platform. `domains` maps device id → the domain serial it ended in (`None` = no
/// domain); devices missing from the map are drawn neutral. `title` is the accessible name.
pub fn diagram(title: &str, p: &PlatformSummary, domains: &BTreeMap<String, Option<u64>>) -> String {
    let mut nodes: Vec<Node> = Vec::new();
    let new_node = |nodes: &mut Vec<Node>, kind, depth| {
        nodes.push(Node { kind, depth, children: Vec::new(), y: 0 });
        nodes.len() - 1
    };
    // Children lists in input order.
    let bus_index: BTreeMap<&str, usize> = p.buses.iter().enumerate().map(|(i, b)| (b.id.as_str(), i)).collect();
    let mut child_buses: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut roots: Vec<usize> = Vec::new();
    for (i, b) in p.buses.iter().enumerate() {
        match b.parent.as_deref().filter(|par| bus_index.contains_key(par)) {
            Some(par) => child_buses.entry(par).or_default().push(i),
            None => roots.push(i),
        }
    }
    let mut bus_devices: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, d) in p.devices.iter().enumerate() {
        bus_devices.entry(d.parent.as_str()).or_default().push(i);
    }
    let iommu_index: BTreeMap<&str, usize> = p.iommus.iter().enumerate().map(|(i, m)| (m.id.as_str(), i)).collect();

    let mut top: Vec<usize> = Vec::new();
    let mut iommu_nodes: Vec<usize> = Vec::new();
    for i in 0..p.iommus.len() {
        let n = new_node(&mut nodes, Kind::Iommu(i), 0);
        top.push(n);
        iommu_nodes.push(n);
    }
    let mut no_iommu: Option<usize> = None;
    let mut placed_dev = vec![false; p.devices.len()];
    let mut placed_bus = vec![false; p.buses.len()];
    // Depth-first over the bus tree, iteratively (a malformed parent cycle is never reached
    // from a root, and `placed_bus` stops any revisit).
    for &r in &roots {
        let owner = match p.buses[r].iommu.as_deref().and_then(|m| iommu_index.get(m)) {
            Some(&m) => iommu_nodes[m],
            None => *no_iommu.get_or_insert_with(|| {
                let n = new_node(&mut nodes, Kind::NoIommu, 0);
                top.push(n);
                n
            }),
        };
        let mut stack: Vec<(usize, usize)> = vec![(owner, r)];
        while let Some((parent, b)) = stack.pop() {
            if placed_bus[b] {
                continue;
            }
            placed_bus[b] = true;
            let depth = nodes[parent].depth + 1;
            let n = new_node(&mut nodes, Kind::Bus(b), depth);
            nodes[parent].children.push(n);
            let id = p.buses[b].id.as_str();
            for &d in bus_devices.get(id).map(Vec::as_slice).unwrap_or(&[]) {
                placed_dev[d] = true;
                let dn = new_node(&mut nodes, Kind::Device(d), 0);
                nodes[n].children.push(dn);
            }
            // Push in reverse so children come out in input order.
            for &c in child_buses.get(id).map(Vec::as_slice).unwrap_or(&[]).iter().rev() {
                stack.push((n, c));
            }
        }
    }
    // Devices whose parent bus was not drawn hang directly off their IOMMU.
    for (d, dev) in p.devices.iter().enumerate() {
        if !placed_dev[d] {
            let owner = match iommu_index.get(dev.iommu.as_str()) {
                Some(&m) => iommu_nodes[m],
                None => *no_iommu.get_or_insert_with(|| {
                    let n = new_node(&mut nodes, Kind::NoIommu, 0);
                    top.push(n);
                    n
                }),
            };
            let dn = new_node(&mut nodes, Kind::Device(d), 0);
            nodes[owner].children.push(dn);
        }
    }
    // Bus children were pushed before the devices of deeper buses; order each node's children
    // as: devices first (in input order), then buses (in input order) - the stack gives the
    // latter in input order already.
    let max_bus_depth = nodes.iter().filter(|n| matches!(n.kind, Kind::Bus(_))).map(|n| n.depth).max().unwrap_or(0);
    let dev_depth = max_bus_depth + 1;
    for n in nodes.iter_mut() {
        if matches!(n.kind, Kind::Device(_)) {
            n.depth = dev_depth;
        }
    }

    // Labels.
    let label = |k: Kind| -> (String, String) {
        match k {
            Kind::Iommu(i) => (p.iommus[i].id.clone(), p.iommus[i].kind.clone()),
            Kind::NoIommu => ("no IOMMU".to_string(), "untranslated".to_string()),
            Kind::Bus(b) => {
                let bus = &p.buses[b];
                let mut sub = bus_kind_label(&bus.kind).to_string();
                if acs_applies(&bus.kind) {
                    sub.push_str(if bus.acs { " · ACS" } else { " · no ACS" });
                }
                (bus.id.clone(), sub)
            }
            Kind::Device(d) => {
                let dev = &p.devices[d];
                let mut sub = match domains.get(&dev.id) {
                    Some(Some(s)) => format!("domain {s}"),
                    Some(None) => "no domain".to_string(),
                    None => format!("group {}", dev.group),
                };
                if dev.ats {
                    sub.push_str(" · ATS");
                }
                (dev.id.clone(), sub)
            }
        }
    };
    let mut col_w = vec![60i64; dev_depth + 1];
    for n in &nodes {
        let (a, b) = label(n.kind);
        let w = text_width(&a, 12).max(text_width(&b, 10)) + 2 * PAD + 4;
        col_w[n.depth] = col_w[n.depth].max(w);
    }
    let mut col_x = vec![8i64; dev_depth + 1];
    for c in 1..=dev_depth {
        col_x[c] = col_x[c - 1] + col_w[c - 1] + COL_GAP;
    }

    // Legend (domain colours, no domain, group outline) on top.
    let colours = domain_colours(domains);
    let mut items: Vec<(String, &str)> = colours.iter().map(|(s, c)| (format!("domain {s}"), *c)).collect();
    if domains.values().any(Option::is_none) {
        items.push(("no domain".to_string(), "#ffffff"));
    }
    let width = col_x[dev_depth] + col_w[dev_depth] + GROUP_LABEL_W + 8;
    let mut probe = Svg::new("", 0, 0, "");
    let legend_bottom = if items.is_empty() { 6 } else { probe.legend(8, 6, width, &items) };
    let y_start = legend_bottom + 10;

    // Rows: one per leaf, in depth-first order.
    let mut next_row = 0i64;
    let mut order: Vec<usize> = Vec::new();
    fn assign(nodes: &mut Vec<Node>, n: usize, next_row: &mut i64, order: &mut Vec<usize>, y_start: i64) {
        order.push(n);
        let children = nodes[n].children.clone();
        if children.is_empty() {
            nodes[n].y = y_start + *next_row * ROW;
            *next_row += 1;
            return;
        }
        for &c in &children {
            assign(nodes, c, next_row, order, y_start);
        }
        let (first, last) = (nodes[children[0]].y, nodes[children[children.len() - 1]].y);
        nodes[n].y = (first + last) / 2;
    }
    for &t in &top {
        assign(&mut nodes, t, &mut next_row, &mut order, y_start);
    }
    let height = y_start + next_row.max(1) * ROW + 4;

    // 12 px labels drawn at ≥ 4/5 scale stay ≥ 9.6 px: on a phone the diagram scrolls
    // sideways rather than shrinking its text to 5-7 px.
    let mut svg = Svg::with_min_width("platform", width, height, title, width * 4 / 5);
    if !items.is_empty() {
        svg.legend(8, 6, width, &items);
    }
    // Group outlines: one per contiguous run of devices of the same group in row order.
    let dev_rows: Vec<(i64, u64)> = order
        .iter()
        .filter_map(|&n| match nodes[n].kind {
            Kind::Device(d) => Some((nodes[n].y, p.devices[d].group)),
            _ => None,
        })
        .collect();
    svg.group("groups");
    let gx = col_x[dev_depth] - 5;
    let gw = col_w[dev_depth] + 10 + GROUP_LABEL_W - 8;
    let mut i = 0;
    while i < dev_rows.len() {
        let mut j = i;
        while j + 1 < dev_rows.len() && dev_rows[j + 1].1 == dev_rows[i].1 {
            j += 1;
        }
        let (ya, yb) = (dev_rows[i].0 - 4, dev_rows[j].0 + NODE_H + 4);
        let members = p.groups.get(dev_rows[i].1 as usize).map(|g| g.join(", ")).unwrap_or_default();
        svg.round_rect(gx, ya, gw, yb - ya, 6, "none", "group-outline", &format!("IOMMU group {}: {members}", dev_rows[i].1));
        svg.text(gx + gw - 6, (ya + yb) / 2 + 4, "end", "group-label", &format!("group {}", dev_rows[i].1));
        i = j + 1;
    }
    svg.end_group();
    // Edges.
    svg.group("edges");
    for n in &nodes {
        let (px, py) = (col_x[n.depth] + col_w[n.depth], n.y + NODE_H / 2);
        for &c in &n.children {
            let cx = col_x[nodes[c].depth];
            let cy = nodes[c].y + NODE_H / 2;
            let mid = cx - COL_GAP / 2;
            let d = if py == cy { format!("M{px} {py}H{cx}") } else { format!("M{px} {py}H{mid}V{cy}H{cx}") };
            svg.path(&d, "", "", "edge", "");
        }
    }
    svg.end_group();
    // Nodes.
    for &n in &order {
        let node = &nodes[n];
        let (x, y, w) = (col_x[node.depth], node.y, col_w[node.depth]);
        let (name, sub) = label(node.kind);
        let (fill, class, tip) = match node.kind {
            Kind::Iommu(i) => ("#37474f", "node iommu", format!("IOMMU {} ({})", p.iommus[i].id, p.iommus[i].kind)),
            Kind::NoIommu => ("#ffffff", "node none", "buses with no IOMMU: DMA is untranslated".to_string()),
            Kind::Bus(b) => (
                "#eceff1",
                if acs_applies(&p.buses[b].kind) && !p.buses[b].acs { "node bus no-acs" } else { "node bus" },
                format!("{name}: {sub}"),
            ),
            Kind::Device(d) => {
                let dev = &p.devices[d];
                match domains.get(&dev.id) {
                    Some(Some(s)) => {
                        (colours.get(s).copied().unwrap_or("#cccccc"), "node device", format!("{name}: {sub}, IOMMU group {}", dev.group))
                    }
                    Some(None) => ("#ffffff", "node device nodomain", format!("{name}: ended with no domain, IOMMU group {}", dev.group)),
                    None => ("#ffffff", "node device", format!("{name}: IOMMU group {}", dev.group)),
                }
            }
        };
        let device_colour = matches!(node.kind, Kind::Device(_)) && fill != "#ffffff";
        if device_colour {
            // A light tint keeps the text readable; a stripe of the full colour names the domain.
            svg.round_rect(x, y, w, NODE_H, 5, &tint(fill, 40), class, &tip);
            svg.rect(x + 1, y + 1, 6, NODE_H - 2, fill, "stripe", "");
        } else {
            svg.round_rect(x, y, w, NODE_H, 5, fill, class, &tip);
        }
        let text_class = if matches!(node.kind, Kind::Iommu(_)) { "node-name on-dark" } else { "node-name" };
        let tx = if device_colour { x + PAD + 4 } else { x + PAD };
        svg.text(tx, y + 14, "start", text_class, &name);
        let sub_class = if matches!(node.kind, Kind::Iommu(_)) { "node-sub on-dark" } else { "node-sub" };
        svg.text(tx, y + 27, "start", sub_class, &sub);
    }
    svg.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::results::{PlatformBus, PlatformDevice, PlatformIommu};

    fn platform() -> PlatformSummary {
        let bus = |id: &str, kind: &str, parent: Option<&str>, iommu: Option<&str>, acs| PlatformBus {
            id: id.into(),
            kind: kind.into(),
            parent: parent.map(Into::into),
            iommu: iommu.map(Into::into),
            acs,
        };
        let dev = |id: &str, parent: &str, iommu: &str, group, ats| PlatformDevice {
            id: id.into(),
            parent: parent.into(),
            iommu: iommu.into(),
            group,
            ats,
        };
        PlatformSummary {
            iommus: vec![PlatformIommu { id: "dmar0".into(), kind: "intel-vtd".into() }],
            buses: vec![
                bus("pci0000:00", "RootComplex", None, Some("dmar0"), false),
                bus("0000:00:01.0", "RootPort", Some("pci0000:00"), Some("dmar0"), false),
                bus("loop-a", "RootPort", Some("loop-b"), None, true),
                bus("loop-b", "RootPort", Some("loop-a"), None, true),
                bus("bare", "PlatformBus", None, None, false),
            ],
            devices: vec![
                dev("0000:01:00.0", "0000:00:01.0", "dmar0", 0, true),
                dev("0000:01:00.1", "0000:00:01.0", "dmar0", 0, false),
                dev("orphan", "nowhere", "dmar0", 1, false),
                dev("<script>", "bare", "", 2, false),
            ],
            groups: vec![vec!["0000:01:00.0".into(), "0000:01:00.1".into()], vec!["orphan".into()], vec!["<script>".into()]],
        }
    }

    #[test]
    fn draws_every_node_and_outlines_groups() {
        let p = platform();
        let mut doms = BTreeMap::new();
        doms.insert("0000:01:00.0".to_string(), Some(3));
        doms.insert("0000:01:00.1".to_string(), Some(3));
        doms.insert("orphan".to_string(), None);
        let svg = diagram("t", &p, &doms);
        // 1 IOMMU + "no IOMMU" + 3 reachable buses + 4 devices.
        assert_eq!(svg.matches("class=\"node ").count(), 9, "{svg}");
        assert_eq!(svg.matches("class=\"group-outline\"").count(), 3);
        assert!(svg.contains("domain 3"));
        assert!(svg.contains("no domain"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert_eq!(svg, diagram("t", &p, &doms));
    }

    #[test]
    fn empty_platform() {
        let svg = diagram("t", &PlatformSummary::default(), &BTreeMap::new());
        assert!(svg.starts_with("<svg class=\"chart platform\""));
    }
}
