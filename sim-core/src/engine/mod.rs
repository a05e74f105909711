//! The discrete-event engine: time-ordered queue, random streams and the run digest.

pub mod digest;
pub mod queue;
pub mod rng;

pub use digest::Digest;
pub use queue::EventQueue;
pub use rng::SimRng;
