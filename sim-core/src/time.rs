//! Simulated time. Everything the model computes is in integer cycles of one reference
//! clock; conversion to seconds happens only for display.

/// A point in simulated time, or a duration, in cycles of the reference clock.
pub type Cycle = u64;

/// The reference clock: 1 GHz, so one cycle is one nanosecond. Assumed (gem5's Arm
/// full-system configurations commonly clock the SMMU at 1 GHz; see
/// `reference/models-and-costs.md` §5), and it makes nanosecond-quoted costs such as
/// "PTE read ≈ 100 ns" read directly as cycles.
pub const CYCLES_PER_SECOND: u64 = 1_000_000_000;

/// Converts a duration in nanoseconds to cycles of the reference clock.
pub const fn ns(n: u64) -> Cycle {
    n * CYCLES_PER_SECOND / 1_000_000_000
}

/// Converts a duration in microseconds to cycles of the reference clock.
pub const fn us(n: u64) -> Cycle {
    ns(n * 1_000)
}

/// Converts a duration in milliseconds to cycles of the reference clock.
pub const fn ms(n: u64) -> Cycle {
    ns(n * 1_000_000)
}
