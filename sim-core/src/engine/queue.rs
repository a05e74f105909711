//! The event queue: a 4-ary implicit min-heap ordered by `(cycle, insertion sequence)`, so events
//! due at the same cycle pop in the order they were scheduled. That tie-break is what makes a run
//! reproducible: it never depends on heap layout, pointer values or hashing.
//!
//! Why 4-ary (issue 15, item 4; numbers in README "Speed"): a pop sifts a hole down
//! `log4 n` levels instead of `log2 n`, comparing the four children of a node, which sit next to
//! each other in memory (two cache lines), so a pop touches half the lines of a binary heap and
//! does fewer dependent loads. Measured with valgrind against `std`'s `BinaryHeap` (the previous
//! queue, kept in `benches/queues.rs`) and a radix heap over integer time: see the
//! `event_queue` criterion group in `benches/benches/engine.rs`.

use crate::time::Cycle;

/// A scheduled event: due time, tie-breaking sequence number and a small `Copy` payload.
#[derive(Clone, Copy, Debug)]
struct Scheduled<E> {
    at: Cycle,
    seq: u64,
    event: E,
}

impl<E> Scheduled<E> {
    /// The total order: due time, then insertion sequence (unique, so no two keys are equal).
    /// One 128-bit compare, branch-free.
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.at) << 64) | u128::from(self.seq)
    }
}

/// Children per node.
const D: usize = 4;

/// Min-queue of events keyed by `(cycle, insertion order)`.
///
/// The earliest event is kept in `front`, outside the heap, whenever it was pushed while
/// being the earliest: a stream of events that each schedule their successor (a repeating
/// script line, a generator's arrivals) then never touches the heap, which saves the sift and
/// a store-to-load forwarding stall per event (the heap writes an element and reads it back
/// at once). Invariant: `front`, if set, is ≤ every element of the heap.
///
/// The heap is an implicit 4-ary min-heap in `slots[..len]`: the children of node `i` are
/// `4i+1 ..= 4i+4`. Slots past `len` hold sentinels (largest key), at least [`D`] of them, so
/// every node that has a child has four slots to compare: the sift-down is one fixed-size
/// tournament per level, without a separate path for the last, partly filled node (the usual
/// case when few events are pending). `slots` only grows (to the largest number of events ever
/// pending, plus the sentinels), so no event allocates once the run has reached its steady
/// state.
#[derive(Debug)]
pub struct EventQueue<E> {
    front: Option<Scheduled<E>>,
    slots: Vec<Scheduled<E>>,
    len: usize,
    next_seq: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { front: None, slots: Vec::with_capacity(64), len: 0, next_seq: 0 }
    }

    /// Schedules `event` at cycle `at`. Returns the sequence number it was given.
    #[inline]
    pub fn push(&mut self, at: Cycle, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let new = Scheduled { at, seq, event };
        match self.front {
            // `new` has the largest seq so far: it is due first only if strictly earlier.
            None if self.len == 0 || at < self.slots[0].at => self.front = Some(new),
            Some(f) if at < f.at => {
                self.heap_push(f);
                self.front = Some(new);
            }
            _ => self.heap_push(new),
        }
        seq
    }

    /// Removes and returns the earliest event as `(cycle, seq, event)`.
    #[inline]
    pub fn pop(&mut self) -> Option<(Cycle, u64, E)> {
        let s = match self.front.take() {
            Some(f) => f,
            None => self.heap_pop()?,
        };
        Some((s.at, s.seq, s.event))
    }

    /// The cycle of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Cycle> {
        match (&self.front, self.len) {
            (Some(f), _) => Some(f.at),
            (None, 0) => None,
            (None, _) => Some(self.slots[0].at),
        }
    }

    pub fn len(&self) -> usize {
        self.len + usize::from(self.front.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.front.is_none() && self.len == 0
    }

    /// Sift up with a hole: parents move down until `new`'s place is found, one store each.
    #[inline]
    fn heap_push(&mut self, new: Scheduled<E>) {
        if self.len + D >= self.slots.len() {
            // Grow by one node's worth of sentinels (amortised by `Vec`'s doubling).
            let sentinel = Scheduled { at: Cycle::MAX, seq: u64::MAX, event: new.event };
            let want = (self.len + 2 * D).max(self.slots.len());
            self.slots.resize(want, sentinel);
        }
        let key = new.key();
        let h = &mut self.slots[..];
        let mut i = self.len;
        self.len += 1;
        while i > 0 {
            let parent = (i - 1) / D;
            if h[parent].key() <= key {
                break;
            }
            h[i] = h[parent];
            i = parent;
        }
        h[i] = new;
    }

    /// Removes the root: the last element leaves a sentinel behind and is sifted down from the
    /// root with a hole, the smallest of each node's four children moving up.
    #[inline]
    fn heap_pop(&mut self) -> Option<Scheduled<E>> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let n = self.len;
        let h = &mut self.slots[..];
        let top = h[0];
        let last = h[n];
        h[n].at = Cycle::MAX;
        h[n].seq = u64::MAX;
        let key = last.key();
        let mut i = 0;
        loop {
            let first = D * i + 1;
            if first >= n {
                break;
            }
            // Four slots exist (sentinels past `len`): a fixed-size tournament.
            let c = &h[first..first + D];
            let (a, ka) = if c[1].key() < c[0].key() { (1, c[1].key()) } else { (0, c[0].key()) };
            let (b, kb) = if c[3].key() < c[2].key() { (3, c[3].key()) } else { (2, c[2].key()) };
            let (m, km) = if kb < ka { (b, kb) } else { (a, ka) };
            if km >= key {
                break;
            }
            h[i] = c[m];
            i = first + m;
        }
        if n > 0 {
            h[i] = last;
        }
        Some(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

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
                    let seq = q.push(now + delay, now + delay);
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

        /// The 4-ary heap against `std`'s `BinaryHeap` of `Reverse((time, seq))` (the previous
        /// queue's order) on random operation sequences: bursts of pushes (deep heaps, partial
        /// last nodes), pops, times anywhere (not only after the last pop), payloads checked.
        #[test]
        fn pop_order_equals_binary_heap_reference(
            ops in proptest::collection::vec((0u8..10, 0u64..1000, 1usize..40), 1..400)
        ) {
            let mut q = EventQueue::new();
            let mut reference = BinaryHeap::new();
            for (op, t, burst) in ops {
                if op < 6 {
                    for k in 0..burst {
                        let at = t.wrapping_mul(k as u64 + 1) % 1000;
                        let seq = q.push(at, (at, k));
                        reference.push(Reverse((at, seq, k)));
                    }
                } else {
                    for _ in 0..burst {
                        let want = reference.pop().map(|Reverse((at, seq, k))| (at, seq, (at, k)));
                        proptest::prop_assert_eq!(q.peek_time(), want.map(|w| w.0));
                        proptest::prop_assert_eq!(q.pop(), want);
                    }
                }
                proptest::prop_assert_eq!(q.len(), reference.len());
            }
            while let Some(Reverse((at, seq, k))) = reference.pop() {
                proptest::prop_assert_eq!(q.pop(), Some((at, seq, (at, k))));
            }
            proptest::prop_assert!(q.is_empty());
        }
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
