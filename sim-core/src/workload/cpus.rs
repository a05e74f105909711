//! The host CPUs a device's driver work runs on (NIC packet handling, NVMe submission and
//! completion): each piece of work takes the earliest free CPU, so when the work per request
//! outgrows the CPUs the device waits on them (backpressure), as a driver bound to a few
//! cores does.

use super::GenStats;
use crate::time::Cycle;

/// When each of a generator's CPUs is next free.
#[derive(Clone, Debug)]
pub struct Cpus {
    free: Vec<Cycle>,
}

impl Cpus {
    /// `n` CPUs (at least one), all free at time 0.
    pub fn new(n: u32) -> Cpus {
        Cpus { free: vec![0; n.max(1) as usize] }
    }

    /// Runs `work` cycles from `now` on the earliest free CPU (the lowest-numbered one on a
    /// tie, so the choice is deterministic); the wait for it counts as backpressure. Returns
    /// when the work is done.
    pub fn run(&mut self, now: Cycle, work: Cycle, stats: &mut GenStats) -> Cycle {
        let mut best = 0;
        for i in 1..self.free.len() {
            if self.free[i] < self.free[best] {
                best = i;
            }
        }
        let start = self.free[best].max(now);
        stats.backpressure_cycles += start - now;
        self.free[best] = start + work;
        start + work
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_goes_to_the_earliest_free_cpu_and_waits_when_all_are_busy() {
        let mut stats = GenStats::default();
        let mut cpus = Cpus::new(2);
        assert_eq!(cpus.run(0, 100, &mut stats), 100);
        assert_eq!(cpus.run(0, 100, &mut stats), 100, "the second CPU was free");
        assert_eq!(stats.backpressure_cycles, 0);
        assert_eq!(cpus.run(10, 50, &mut stats), 150, "both busy until 100");
        assert_eq!(stats.backpressure_cycles, 90);
        assert_eq!(Cpus::new(0).run(5, 1, &mut stats), 6, "zero CPUs means one");
    }
}
