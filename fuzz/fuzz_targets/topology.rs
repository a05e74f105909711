//! Fuzz target `topology`: see sim_core::fuzzing::topology and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sim_core::fuzzing::topology(data));
