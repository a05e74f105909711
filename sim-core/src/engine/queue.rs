//! The event queue: a binary heap ordered by `(cycle, insertion sequence)`, so events due at the
//! same cycle pop in the order they were scheduled. That tie-break is what makes a run
//! reproducible: it never depends on heap layout, pointer values or hashing.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::time::Cycle;

/// A scheduled event: due time, tie-breaking sequence number and a small `Copy` payload.
#[derive(Clone, Copy, Debug)]
struct Scheduled<E> {
    at: Cycle,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.at == other.at && self.seq == other.seq
    }
}
impl<E> Eq for Scheduled<E> {}
impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Scheduled<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest `(at, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// Min-queue of events keyed by `(cycle, insertion order)`.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(64), next_seq: 0 }
    }

    /// Schedules `event` at cycle `at`. Returns the sequence number it was given.
    #[inline]
    pub fn push(&mut self, at: Cycle, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Scheduled { at, seq, event });
        seq
    }

    /// Removes and returns the earliest event as `(cycle, seq, event)`.
    #[inline]
    pub fn pop(&mut self) -> Option<(Cycle, u64, E)> {
        self.heap.pop().map(|s| (s.at, s.seq, s.event))
    }

    /// The cycle of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Cycle> {
        self.heap.peek().map(|s| s.at)
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_cycles_pop_in_insertion_order() {
        let mut q = EventQueue::new();
        q.push(10, 'a');
        q.push(5, 'b');
        q.push(10, 'c');
        q.push(5, 'd');
        q.push(10, 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, _, e)| e)).collect();
        assert_eq!(order, vec!['b', 'd', 'a', 'c', 'e']);
    }

    #[test]
    fn many_ties_keep_fifo_order() {
        let mut q = EventQueue::new();
        for i in 0..1000u32 {
            q.push(u64::from(i % 3), i);
        }
        let mut last = (0u64, None::<u32>);
        while let Some((at, _, e)) = q.pop() {
            if at == last.0 {
                if let Some(prev) = last.1 {
                    assert!(e > prev, "tie broken out of insertion order");
                }
            } else {
                assert!(at > last.0);
            }
            last = (at, Some(e));
        }
    }
}
