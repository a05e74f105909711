//! Bench-only crate: see `benches/`.
