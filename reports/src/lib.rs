//! HTML performance reports: one or more `Results` (what `compare --json` prints) rendered
//! into ONE self-contained HTML page that needs no network to view: no scripts, no web fonts,
//! no external URL; styles inline, charts as inline SVG drawn by [`charts`]. The page can be
//! attached to a CI artifact, mailed, or opened offline.
//!
//! The page is rendered with minijinja from templates embedded at compile time
//! (`templates/*.html`, auto-escaping on). Identical inputs give a byte-identical page: every
//! number is formatted from integers (per-mille for percentages, fixed-point log2 for the log
//! axis), every list keeps input order or a `BTreeMap` order, and nothing reads the clock.
//!
//! ```no_run
//! let results: sim_core::metrics::Results = Default::default();
//! let html = reports::render(&[("seed 42", results)]);
//! assert!(html.starts_with("<!DOCTYPE html>"));
//! ```

pub mod charts;
pub mod findings;
pub mod fmt;
pub mod sweep;
mod view;

use std::path::{Path, PathBuf};

use minijinja::{AutoEscape, Environment};
use sim_core::metrics::Results;

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The template failed to render (a bug in this crate: the templates are fixed).
    #[error("report template: {0}")]
    Template(#[from] minijinja::Error),
    /// Writing the page failed.
    #[error("cannot write report {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

const TEMPLATES: [(&str, &str); 2] =
    [("report.html", include_str!("../templates/report.html")), ("style.css.html", include_str!("../templates/style.css.html"))];

fn environment() -> Result<Environment<'static>, minijinja::Error> {
    let mut env = Environment::new();
    // HTML escaping everywhere (also for the CSS partial, which prints no values anyway);
    // finished SVGs are marked `|safe` in the template because `charts` escapes their text.
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    for (name, src) in TEMPLATES {
        env.add_template(name, src)?;
    }
    Ok(env)
}

/// Renders the report, or says why the template failed.
///
/// `inputs` are `(label, results)` pairs; with several, the first is the baseline and the
/// page adds a side-by-side table (a column per input × strategy) and a table of changes.
pub fn try_render<L: AsRef<str>>(inputs: &[(L, Results)]) -> Result<String, ReportError> {
    // Runs of several kernels (`compare --kernels`) are labelled `strategy@kernel`.
    let labelled: Vec<Results> = inputs.iter().map(|(_, r)| r.labelled_by_kernel()).collect();
    let refs: Vec<(&str, &Results)> = inputs.iter().zip(&labelled).map(|((l, _), r)| (l.as_ref(), r)).collect();
    let page = view::page(&refs);
    let env = environment()?;
    let tmpl = env.get_template("report.html")?;
    let mut html = tmpl.render(minijinja::context! { page => page })?;
    if !html.ends_with('\n') {
        html.push('\n');
    }
    Ok(html)
}

/// Renders `inputs` (`(label, results)` pairs) into one self-contained HTML page.
///
/// Never panics and never fails for any `Results` value: a template error (a bug) yields a
/// minimal page that states it. Use [`try_render`] to get the error instead.
pub fn render<L: AsRef<str>>(inputs: &[(L, Results)]) -> String {
    match try_render(inputs) {
        Ok(html) => html,
        Err(e) => format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>iommu-sim report</title></head><body><p>The report could not be rendered: {}</p></body></html>\n",
            charts::esc(&e.to_string())
        ),
    }
}

/// Renders `inputs` and writes the page to `path` (created or replaced).
pub fn write_report<L: AsRef<str>>(path: &Path, inputs: &[(L, Results)]) -> Result<(), ReportError> {
    let html = try_render(inputs)?;
    sim_core::atomic::write(path, html).map_err(|source| ReportError::Io { path: path.to_path_buf(), source })
}

#[cfg(test)]
mod tests;
