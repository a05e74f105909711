//! The discrete-event engine: time-ordered queue, random streams and the run digest.

pub mod rng;

pub use rng::SimRng;
