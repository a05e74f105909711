//! Fuzz target `results`: see sim_core::fuzzing::results and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sim_core::fuzzing::results(data));
