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
///
/// The earliest event is kept in `front`, outside the heap, whenever it was pushed while
/// being the earliest: a stream of events that each schedule their successor (a repeating
/// script line, a generator's arrivals) then never touches the heap, which saves the sift and
/// a store-to-load forwarding stall per event (the heap writes an element and reads it back
/// at once). Invariant: `front`, if set, is ≤ every element of `heap`.
#[derive(Debug)]
pub struct EventQueue<E> {
    front: Option<Scheduled<E>>,
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
        EventQueue { front: None, heap: BinaryHeap::with_capacity(64), next_seq: 0 }
    }

    /// Schedules `event` at cycle `at`. Returns the sequence number it was given.
    #[inline]
    pub fn push(&mut self, at: Cycle, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let new = Scheduled { at, seq, event };
        // `Scheduled`'s order is reversed (max-heap); `a > b` means `a` is due first.
        match self.front {
            None if self.heap.peek().is_none_or(|top| new > *top) => self.front = Some(new),
            Some(f) if new > f => {
                self.heap.push(f);
                self.front = Some(new);
            }
            _ => self.heap.push(new),
        }
        seq
    }

    /// Removes and returns the earliest event as `(cycle, seq, event)`.
    #[inline]
    pub fn pop(&mut self) -> Option<(Cycle, u64, E)> {
        let s = match self.front.take() {
            Some(f) => f,
            None => self.heap.pop()?,
        };
        Some((s.at, s.seq, s.event))
    }

    /// The cycle of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Cycle> {
        self.front.as_ref().or(self.heap.peek()).map(|s| s.at)
    }

    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.front.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.front.is_none() && self.heap.is_empty()
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

    proptest::proptest! {
        /// Any interleaving of pushes and pops gives exactly the order of a plain sorted list
        /// keyed by (cycle, insertion): the front slot never reorders anything.
        #[test]
        fn matches_a_sorted_reference(ops in proptest::collection::vec((0u8..3, 0u64..20), 1..300)) {
            let mut q = EventQueue::new();
            let mut reference: Vec<(u64, u64)> = Vec::new();
            let mut now = 0;
            for (op, delay) in ops {
                if op < 2 {
                    let seq = q.push(now + delay, seq_payload(now + delay));
                    reference.push((now + delay, seq));
                } else {
                    reference.sort();
                    let want = if reference.is_empty() { None } else { Some(reference.remove(0)) };
                    let got = q.pop().map(|(at, seq, _)| (at, seq));
                    proptest::prop_assert_eq!(got, want);
                    if let Some((at, _)) = got {
                        now = at;
                    }
                }
                proptest::prop_assert_eq!(q.len(), reference.len());
            }
        }
    }

    fn seq_payload(at: u64) -> u64 {
        at
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
