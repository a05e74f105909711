//! Fuzz target `scenario`: see sim_core::fuzzing::scenario and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sim_core::fuzzing::scenario(data));
