//! A sweep expanded: axes with their values, seeds and strategies, numbered items
//! (point, seed, strategy), and the scenario of any point built by editing the base files'
//! trees and handing the text to the ordinary loaders.
//!
//! Items are numbered point-major (the first axis varies slowest), then by seed, then by
//! strategy in the order given; that number orders every results file.

use std::collections::BTreeMap;
use std::path::{Path as FsPath, PathBuf};

use super::SweepError;
use super::path::{Path, Seg};
use super::schema::{MAX_AXIS_VALUES, MAX_ITEMS, SeedRange, SweepFile};
use super::tree::{Doc, Node};
use crate::error::{InputError, parse_ron};
use crate::scenario::Scenario;
use crate::strategy::StrategyName;
use crate::topology::Platform;

/// Which file an axis edits.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Target {
    Scenario,
    Topology,
}

/// One axis, ready.
#[derive(Clone, Debug)]
pub struct Axis {
    /// The label in results and reports (the file's `name`, else the path as written).
    pub label: String,
    pub path: Path,
    target: Target,
    pub values: Vec<Node>,
    /// The canonical (compact RON) text of each value.
    pub texts: Vec<String>,
}

/// One unit of work: a point under one seed and one strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    pub index: u64,
    pub point: u64,
    pub seed: u64,
    pub strategy: StrategyName,
}

/// A sweep ready to run.
#[derive(Clone, Debug)]
pub struct Grid {
    pub name: String,
    pub scenario_path: PathBuf,
    base: Doc,
    /// Every topology file a point can use, parsed once (by resolved path).
    topologies: BTreeMap<PathBuf, Doc>,
    pub axes: Vec<Axis>,
    pub seeds: SeedRange,
    pub strategies: Vec<StrategyName>,
    /// Metrics the report draws by default (empty: those that vary).
    pub metrics: Vec<String>,
    /// Hash of the base files' canonical text: part of every key.
    base_hash: u128,
    /// 16 hex digits identifying the whole grid (base, axes, seeds, strategies).
    pub id: String,
}

/// FNV-1a over 128 bits: fixed and platform-independent (std's `Hash` is neither).
#[derive(Clone, Copy)]
struct Fnv(u128);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0x6c62_272e_07bb_0142_62b8_2175_6295_c58d)
    }
    fn bytes(mut self, b: &[u8]) -> Fnv {
        for &x in b {
            self.0 ^= u128::from(x);
            self.0 = self.0.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
        // A separator, so that ("ab", "c") and ("a", "bc") differ.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        self
    }
}

fn input_message(e: InputError) -> String {
    match e {
        InputError::Parse { message, .. } | InputError::Invalid { message, .. } => message,
        other => other.to_string(),
    }
}

fn read_doc(path: &FsPath) -> Result<Doc, SweepError> {
    let text = InputError::read(path)?;
    Doc::parse(&text).map_err(|e| SweepError::Other(format!("{}: {e}", path.display())))
}

impl Grid {
    /// Reads a sweep file and everything it names.
    pub fn load(path: &FsPath) -> Result<Grid, SweepError> {
        Grid::load_text(path, &InputError::read(path)?)
    }

    /// [`Grid::load`] of text already read (stdin: `path` is its label, `<stdin>`, and the
    /// scenario it names is relative to the current folder).
    pub fn load_text(path: &FsPath, source: &str) -> Result<Grid, SweepError> {
        let file: SweepFile = parse_ron(path, source)?;
        let dir = path.parent().unwrap_or(FsPath::new("."));
        let mut axes = Vec::with_capacity(file.axes.len());
        for spec in &file.axes {
            let label = spec.name.clone().unwrap_or_else(|| spec.path.clone());
            let at = |m: String| SweepError::Axis { axis: label.clone(), message: m };
            let values: Vec<Node> = match (&spec.values, &spec.range) {
                (Some(vals), None) => vals
                    .iter()
                    .map(|raw| Node::parse(raw.get_ron().trim()).map_err(|e| at(format!("value `{}`: {e}", raw.get_ron().trim()))))
                    .collect::<Result<_, _>>()?,
                (None, Some(r)) => {
                    r.expand().map_err(|m| at(format!("range: {m}")))?.into_iter().map(|v| Node::Atom(v.to_string())).collect()
                }
                _ => return Err(at("give exactly one of `values` and `range`".into())),
            };
            axes.push((label, spec.path.clone(), values));
        }
        let strategies = file
            .strategies
            .iter()
            .map(|s| StrategyName::parse(s).map_err(|e| SweepError::Other(format!("strategies: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        Grid::new(file.name, &dir.join(&file.scenario), None, axes, file.seeds, strategies, file.metrics)
    }

    /// A sweep from the command line: `--set PATH=V1,V2,...` (values split at top-level commas)
    /// and `--seeds A..B`.
    pub fn from_cli(scenario: &FsPath, sets: &[String], seeds: Option<&str>, strategies: Vec<StrategyName>) -> Result<Grid, SweepError> {
        Grid::from_cli_text(scenario, None, sets, seeds, strategies)
    }

    /// [`Grid::from_cli`] with the scenario's text already read (`text`: stdin, `scenario`
    /// its label; its topology is relative to the current folder).
    pub fn from_cli_text(
        scenario: &FsPath,
        text: Option<&str>,
        sets: &[String],
        seeds: Option<&str>,
        strategies: Vec<StrategyName>,
    ) -> Result<Grid, SweepError> {
        let mut axes = Vec::new();
        for set in sets {
            let (path, vals) = set.split_once('=').ok_or_else(|| SweepError::Other(format!("--set {set}: expected PATH=V1,V2,...")))?;
            let label = path.trim().to_string();
            let values = split_top_level(vals)
                .into_iter()
                .map(|v| {
                    Node::parse(v.trim())
                        .map_err(|e| SweepError::Axis { axis: label.clone(), message: format!("value `{}`: {e}", v.trim()) })
                })
                .collect::<Result<Vec<_>, _>>()?;
            axes.push((label.clone(), label, values));
        }
        let seeds = seeds.map(SeedRange::parse).transpose().map_err(SweepError::Other)?;
        let name = scenario.file_stem().map_or_else(|| "sweep".to_string(), |s| s.to_string_lossy().into_owned());
        Grid::new(name, scenario, text, axes, seeds, strategies, Vec::new())
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        name: String,
        scenario_path: &FsPath,
        scenario_text: Option<&str>,
        raw_axes: Vec<(String, String, Vec<Node>)>,
        seeds: Option<SeedRange>,
        strategies: Vec<StrategyName>,
        metrics: Vec<String>,
    ) -> Result<Grid, SweepError> {
        let text = match scenario_text {
            Some(t) => t.to_string(),
            None => InputError::read(scenario_path)?,
        };
        let base = Doc::parse(&text).map_err(|e| SweepError::Other(format!("{}: {e}", scenario_path.display())))?;
        // The base scenario must load as it is (its own errors are not an axis's).
        let scenario = Scenario::load_text(scenario_path, &text)?;
        let topo_rel =
            base.root.field("topology").and_then(Node::as_str).ok_or_else(|| SweepError::Other("scenario has no `topology`".into()))?;
        let dir = scenario_path.parent().unwrap_or(FsPath::new(".")).to_path_buf();
        let mut topologies = BTreeMap::new();
        topologies.insert(dir.join(&topo_rel), read_doc(&dir.join(&topo_rel))?);
        let base_topo = topologies.values().next().cloned().expect("just inserted");

        let mut axes = Vec::new();
        for (label, path_text, values) in raw_axes {
            let at = |m: String| SweepError::Axis { axis: label.clone(), message: m };
            let path = Path::parse(&path_text).map_err(|m| at(format!("path `{path_text}`: {m}")))?;
            if values.is_empty() {
                return Err(at("no values".into()));
            }
            if values.len() as u64 > MAX_AXIS_VALUES {
                return Err(at(format!("more than {MAX_AXIS_VALUES} values")));
            }
            let (target, path) = route(&path, &base.root, &base_topo.root);
            // Every run takes its seed from the item (`seeds`), which would silently override
            // an axis on the scenario's `seed`: refused, pointing at the right tool.
            if target == Target::Scenario && path.segs == [Seg::Field("seed".into())] {
                return Err(at("seeds are not an axis: runs take theirs from `seeds: (from: A, to: B)` in a sweep file \
                               or `--seeds A..B` with `compare`"
                    .into()));
            }
            if target == Target::Scenario && path.segs == [Seg::Field("topology".into())] {
                for v in &values {
                    let rel = v.as_str().ok_or_else(|| at(format!("value {}: `topology` takes a file name (a string)", v.print())))?;
                    let p = dir.join(&rel);
                    if let std::collections::btree_map::Entry::Vacant(slot) = topologies.entry(p) {
                        let doc = read_doc(slot.key()).map_err(|e| at(format!("value \"{rel}\": {e}")))?;
                        slot.insert(doc);
                    }
                }
            }
            let texts = values.iter().map(Node::print).collect();
            axes.push(Axis { label, path, target, values, texts });
        }
        for (i, a) in axes.iter().enumerate() {
            if axes[..i].iter().any(|b| b.label == a.label) {
                return Err(SweepError::Axis { axis: a.label.clone(), message: "two axes with this name".into() });
            }
        }

        let seeds = seeds.unwrap_or(SeedRange { from: scenario.seed, to: scenario.seed });
        let strategies = if strategies.is_empty() { scenario.strategies.clone() } else { strategies };
        for m in &metrics {
            if m != super::record::IOTLB_HIT_PERMILLE && !crate::metrics::Metrics::INFO.iter().any(|i| i.name == m) {
                return Err(SweepError::Other(format!("metrics: unknown metric \"{m}\"")));
            }
        }

        let mut h = Fnv::new().bytes(base.print().as_bytes());
        for (p, doc) in &topologies {
            h = h.bytes(p.to_string_lossy().as_bytes()).bytes(doc.print().as_bytes());
        }
        let base_hash = h.0;
        let mut g = Fnv(base_hash);
        for a in &axes {
            g = g.bytes(a.path.to_string().as_bytes());
            for t in &a.texts {
                g = g.bytes(t.as_bytes());
            }
        }
        g = g.bytes(&seeds.from.to_le_bytes()).bytes(&seeds.to.to_le_bytes());
        for s in &strategies {
            g = g.bytes(s.to_string().as_bytes());
        }
        let grid = Grid {
            name,
            scenario_path: scenario_path.to_path_buf(),
            base,
            topologies,
            axes,
            seeds,
            strategies,
            metrics,
            base_hash,
            id: format!("{:016x}", (g.0 >> 64) as u64 ^ g.0 as u64),
        };
        grid.checked_items()?;
        Ok(grid)
    }

    fn checked_items(&self) -> Result<u64, SweepError> {
        let mut n = self.seeds.count().checked_mul(self.strategies.len() as u64);
        for a in &self.axes {
            n = n.and_then(|n| n.checked_mul(a.values.len() as u64));
        }
        match n {
            Some(n) if n <= MAX_ITEMS && n > 0 => Ok(n),
            Some(0) => Err(SweepError::Other("the sweep has no items (no strategies?)".into())),
            _ => Err(SweepError::Other(format!("more than {MAX_ITEMS} items (points × seeds × strategies): refused"))),
        }
    }

    /// Number of points (combinations of axis values).
    pub fn points(&self) -> u64 {
        self.axes.iter().map(|a| a.values.len() as u64).product()
    }

    /// Number of items (points × seeds × strategies).
    pub fn items(&self) -> u64 {
        self.points() * self.seeds.count() * self.strategies.len() as u64
    }

    /// Item number `index`.
    pub fn item(&self, index: u64) -> Item {
        let ns = self.strategies.len() as u64;
        let strategy = self.strategies[(index % ns) as usize];
        let rest = index / ns;
        let seed = self.seeds.from + rest % self.seeds.count();
        Item { index, point: rest / self.seeds.count(), seed, strategy }
    }

    /// The value index on each axis of `point`.
    pub fn coords(&self, point: u64) -> Vec<usize> {
        let mut out = vec![0; self.axes.len()];
        let mut rest = point;
        for (i, a) in self.axes.iter().enumerate().rev() {
            let n = a.values.len() as u64;
            out[i] = (rest % n) as usize;
            rest /= n;
        }
        out
    }

    /// `(axis label, value text)` of `point`.
    pub fn point_label(&self, point: u64) -> Vec<(String, String)> {
        self.coords(point).iter().zip(&self.axes).map(|(&c, a)| (a.label.clone(), a.texts[c].clone())).collect()
    }

    /// The stable key of an item: 32 hex digits hashing the base files, the point's values,
    /// the seed and the strategy — everything that defines the run.
    pub fn key(&self, item: &Item) -> String {
        let mut h = Fnv(self.base_hash);
        for (a, c) in self.axes.iter().zip(self.coords(item.point)) {
            h = h.bytes(a.path.to_string().as_bytes()).bytes(a.texts[c].as_bytes());
        }
        h = h.bytes(&item.seed.to_le_bytes()).bytes(item.strategy.to_string().as_bytes());
        format!("{:032x}", h.0)
    }

    /// The scenario of `point`. Errors name the point.
    pub fn build(&self, point: u64) -> Result<Scenario, SweepError> {
        let coords = self.coords(point);
        let edits: Vec<(&Axis, &Node)> = self.axes.iter().zip(&coords).map(|(a, &c)| (a, &a.values[c])).collect();
        self.build_with(&edits).map_err(|message| SweepError::Point { point: self.describe(point), message })
    }

    fn describe(&self, point: u64) -> String {
        self.point_label(point).iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>().join(", ")
    }

    fn build_with(&self, edits: &[(&Axis, &Node)]) -> Result<Scenario, String> {
        let mut sc = self.base.clone();
        for (a, v) in edits.iter().filter(|(a, _)| a.target == Target::Scenario) {
            a.path.set(&mut sc.root, (*v).clone())?;
        }
        let rel = sc.root.field("topology").and_then(Node::as_str).ok_or("`topology` is not a string")?;
        let topo_path = self.scenario_path.parent().unwrap_or(FsPath::new(".")).join(&rel);
        let mut topo = self.topologies.get(&topo_path).cloned().ok_or_else(|| format!("topology \"{rel}\" was not loaded"))?;
        for (a, v) in edits.iter().filter(|(a, _)| a.target == Target::Topology) {
            a.path.set(&mut topo.root, (*v).clone()).map_err(|m| format!("in the topology: {m}"))?;
        }
        // The groups follow the point's kernel (its PCI quirks, the proposed ACS rework), as
        // `Scenario::load` forms them; an unparsable `kernel` is reported by `from_parts`.
        let kernel = sc.root.field("kernel").and_then(Node::as_str).and_then(|k| crate::linux::Kernel::parse(&k).ok()).unwrap_or_default();
        let platform = Platform::parse_for_kernel(&topo_path, &topo.print(), kernel.pci_quirks())
            .map_err(|e| format!("topology: {}", input_message(e)))?;
        Scenario::from_parts(&self.scenario_path, &sc.print(), platform).map_err(input_message)
    }

    /// Checks every value of every axis on its own (an error names the axis), then every point
    /// (an error names the point), each also against the work budget of one run
    /// (`budget::check`, `--max-events`). Nothing runs. The checks are spread over the current
    /// rayon pool (all values of all axes at once, then all points), and the error reported is
    /// the first in that order, whatever the scheduling.
    pub fn validate(&self, max_events: u64) -> Result<(), SweepError> {
        use rayon::prelude::*;
        let budget = |s: Scenario| crate::budget::check(&s, max_events).map(drop);
        let values: Vec<(&Axis, &Node, &String)> =
            self.axes.iter().flat_map(|a| a.values.iter().zip(&a.texts).map(move |(v, t)| (a, v, t))).collect();
        let bad_value = values.par_iter().find_map_first(|&(a, v, t)| {
            self.build_with(&[(a, v)])
                .and_then(budget)
                .err()
                .map(|m| SweepError::Axis { axis: a.label.clone(), message: format!("value {t}: {m}") })
        });
        if let Some(e) = bad_value {
            return Err(e);
        }
        if self.axes.len() != 1 {
            let bad_point = (0..self.points()).into_par_iter().find_map_first(|p| match self.build(p) {
                Err(e) => Some(e),
                Ok(s) => budget(s).err().map(|message| SweepError::Point { point: self.describe(p), message }),
            });
            if let Some(e) = bad_point {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// Decides which file an axis edits: `topology.<rest>` → the topology; a first field the
/// scenario lacks but the topology has (`iommus`, `devices`, `buses`) → the topology; anything
/// else → the scenario (the typed loader refuses fields that do not exist).
fn route(path: &Path, scenario: &Node, topology: &Node) -> (Target, Path) {
    match path.segs.first() {
        Some(Seg::Field(f)) if f == "topology" && path.segs.len() > 1 => (Target::Topology, Path { segs: path.segs[1..].to_vec() }),
        Some(Seg::Field(f)) if scenario.field(f).is_none() && topology.field(f).is_some() => (Target::Topology, path.clone()),
        _ => (Target::Scenario, path.clone()),
    }
}

/// Splits `a,[b,c],"d,e"` at commas outside brackets, parentheses, braces and quotes.
pub fn split_top_level(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut quote, mut escaped, mut start) = (0i32, None::<char>, false, 0);
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            },
        }
    }
    out.push(&text[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(rel: &str) -> PathBuf {
        FsPath::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data").join(rel)
    }

    #[test]
    fn a_point_without_edits_is_the_scenario_as_loaded() {
        for rel in ["reports/sample.ron", "check/small.ron"] {
            let path = data(rel);
            let grid = Grid::from_cli(&path, &[], None, Vec::new()).expect("grid");
            assert_eq!(grid.items(), grid.strategies.len() as u64);
            let built = grid.build(0).expect("build");
            assert_eq!(format!("{built:?}"), format!("{:?}", Scenario::load(&path).expect("load")), "{rel}");
        }
    }

    #[test]
    fn keys_name_what_defines_a_run_and_nothing_else() {
        let grid = Grid::load(&data("sweep/small.ron")).expect("grid");
        assert_eq!((grid.points(), grid.items()), (9, 36));
        let keys: std::collections::BTreeSet<String> = (0..grid.items()).map(|i| grid.key(&grid.item(i))).collect();
        assert_eq!(keys.len(), 36, "every item has its own key");
        let again = Grid::load(&data("sweep/small.ron")).expect("grid");
        assert_eq!(grid.key(&grid.item(7)), again.key(&again.item(7)));
        assert_eq!(grid.id, again.id);

        // Comments and layout of the base files do not change keys; a value does.
        let dir = std::env::temp_dir().join(format!("iommu-sim-grid-keys-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let src = std::fs::read_to_string(data("reports/sample.ron")).expect("sample");
        std::fs::copy(data("reports/topo.ron"), dir.join("topo.ron")).expect("topo");
        let key_of = |text: &str| {
            std::fs::write(dir.join("s.ron"), text).expect("write");
            let g = Grid::from_cli(&dir.join("s.ron"), &["duration=1000".into()], Some("3"), vec![StrategyName::PerGroup]).expect("grid");
            g.key(&g.item(0))
        };
        let plain = key_of(&src);
        assert_eq!(key_of(&format!("// a comment\n{}", src.replace(", ", ",   "))), plain);
        assert_ne!(key_of(&src.replace("seed: 7", "seed: 8")), plain, "the base scenario is part of the key");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn items_are_numbered_point_major_then_seed_then_strategy() {
        let grid = Grid::load(&data("sweep/small.ron")).expect("grid");
        let it = grid.item(13);
        // 13 = ((point 3 × 2 seeds) + seed 0) × 2 strategies + 1
        assert_eq!((it.point, it.seed, it.strategy), (3, 1, StrategyName::VfioType1));
        assert_eq!(grid.coords(3), vec![1, 0]);
        assert_eq!(
            grid.point_label(3),
            vec![("dmar0 IOTLB entries".to_string(), "256".to_string()), ("containers[vm0].granularity".to_string(), "Auto".to_string())]
        );
    }

    #[test]
    fn splits_values_at_top_level_commas_only() {
        assert_eq!(split_top_level("1,2"), vec!["1", "2"]);
        assert_eq!(split_top_level("[\"a\",\"b\"],(x: 1, y: 2),\"c,d\""), vec!["[\"a\",\"b\"]", "(x: 1, y: 2)", "\"c,d\""]);
    }
}
