//! Fuzz target `expected`: see sim_core::fuzzing::expected and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sim_core::fuzzing::expected(data));
