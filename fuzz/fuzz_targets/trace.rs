//! Fuzz target `trace`: see sim_core::fuzzing::trace and docs/fuzzing.md.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| sim_core::fuzzing::trace(data));
