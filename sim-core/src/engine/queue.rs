//! The event queue, ordered by `(cycle, insertion sequence)`, so events due at the same cycle
//! pop in the order they were scheduled. That tie-break is what makes a run reproducible: it
//! never depends on the layout, pointer values or hashing.
//!
//! Two representations behind one interface (issue 15, item 4; numbers in the notes of the
//! change and `benches/icount.sh`):
//! - **few pending events** (≤ [`SMALL`], the common case: a handful of devices, scripted
//!   repeats and generators each waiting for their next event): a sorted ring. A pop takes
//!   the head; a push compares only the due time (the new event has the largest sequence
//!   number so far, so it goes after every event due at the same cycle) and lands at the tail
//!   (a periodic source: its next event is the latest), at the head (the earliest), or shifts
//!   the few later ones by one. No 128-bit keys, no tournament.
//! - **many pending events**: a 4-ary implicit min-heap (a pop sifts a hole down `log4 n`
//!   levels comparing four children that sit next to each other in memory, two cache lines)
//!   with the earliest event kept in a front slot outside the heap when it was pushed while
//!   being the earliest.
//!
//! The queue switches to the heap when a push would exceed [`SMALL`] pending events and back
//! to the ring when a pop leaves at most [`SMALL`]` / 4` (hysteresis: a switch costs O(SMALL
//! log SMALL) and needs ≥ 3/4 SMALL operations before the next one). Both representations
//! give exactly the same order; which one holds the events is invisible to the caller.
//! Measured with valgrind against the 4-ary heap alone (the previous queue, kept in
//! `benches/queues.rs` with `std`'s `BinaryHeap` and a radix heap): `event_queue` criterion
//! group in `benches/benches/engine.rs` and `benches/examples/queue_icount.rs`.

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

/// Children per heap node.
const D: usize = 4;

/// Most pending events the sorted ring holds (a power of two: ring indices are masked).
pub const SMALL: usize = 16;
const MASK: usize = SMALL - 1;

/// Min-queue of events keyed by `(cycle, insertion order)`. See the module documentation.
///
/// Ring mode (`ring_room == SMALL`): the events are `ring[head], ring[head + 1], …` (indices
/// mod [`SMALL`]), `ring_len` of them, sorted by key. The ring is a fixed array inside the
/// queue (its unused slots hold copies of the default event, never returned), so a ring push
/// is one compare (`ring_len < ring_room`) and a pop one test (`ring_len != 0`) before the
/// slot access, with no bounds check (issue 15).
///
/// Heap mode (`ring_room == 0`, `ring_len == 0`): the earliest event is kept in `front`, outside the heap, whenever it was pushed
/// while being the earliest (invariant: `front`, if set, is ≤ every element of the heap). The
/// heap is an implicit 4-ary min-heap in `slots[..len]`: the children of node `i` are `4i+1
/// ..= 4i+4`. Slots past `len` hold sentinels (largest key), at least [`D`] of them, so every
/// node that has a child has four slots to compare: the sift-down is one fixed-size
/// tournament per level. `slots` only grows (to the largest number of events ever
/// pending, plus the sentinels), so no event allocates once the run has reached its steady
/// state.
#[derive(Debug)]
pub struct EventQueue<E> {
    /// [`SMALL`] in ring mode, 0 in heap mode: a push goes to the ring iff `ring_len < ring_room`.
    ring_room: usize,
    ring: [Scheduled<E>; SMALL],
    head: usize,
    ring_len: usize,
    front: Option<Scheduled<E>>,
    slots: Vec<Scheduled<E>>,
    len: usize,
    next_seq: u64,
}

impl<E: Copy + Default> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy + Default> EventQueue<E> {
    /// An empty queue (`E::default()` only fills the ring's unused slots).
    pub fn new() -> Self {
        let fill = Scheduled { at: Cycle::MAX, seq: u64::MAX, event: E::default() };
        EventQueue { ring_room: SMALL, ring: [fill; SMALL], head: 0, ring_len: 0, front: None, slots: Vec::new(), len: 0, next_seq: 0 }
    }
}

impl<E: Copy> EventQueue<E> {
    /// In ring mode (else heap mode).
    #[inline(always)]
    fn small(&self) -> bool {
        self.ring_room != 0
    }

    /// Schedules `event` at cycle `at`. Returns the sequence number it was given.
    #[inline(always)]
    pub fn push(&mut self, at: Cycle, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let new = Scheduled { at, seq, event };
        if self.ring_len < self.ring_room {
            self.ring_push(new);
        } else {
            self.push_slow(new);
        }
        seq
    }

    /// A push the ring cannot take (full, or heap mode).
    #[inline(always)]
    fn push_slow(&mut self, new: Scheduled<E>) {
        if self.small() {
            self.switch_to_heap();
        }
        self.push_heap_mode(new);
    }

    /// Removes and returns the earliest event as `(cycle, seq, event)`.
    #[inline(always)]
    pub fn pop(&mut self) -> Option<(Cycle, u64, E)> {
        // Heap mode keeps `ring_len` at 0: one test serves the ring's pop.
        let s = if self.ring_len != 0 {
            let h = self.head;
            let s = self.ring[h & MASK];
            self.head = (h + 1) & MASK;
            self.ring_len -= 1;
            s
        } else if self.small() {
            return None;
        } else {
            self.pop_heap_mode()?
        };
        Some((s.at, s.seq, s.event))
    }

    /// The earliest event as `(cycle, event)`, left in the queue: the caller then removes it
    /// with [`EventQueue::remove_first`] or replaces it with [`EventQueue::replace_first`].
    #[inline(always)]
    pub fn first(&self) -> Option<(Cycle, E)> {
        if self.ring_len != 0 {
            let s = &self.ring[self.head & MASK];
            return Some((s.at, s.event));
        }
        if self.small() {
            return None;
        }
        let s = match &self.front {
            Some(f) => f,
            None if self.len == 0 => return None,
            None => &self.slots[0],
        };
        Some((s.at, s.event))
    }

    /// Removes the earliest event (the queue is not empty): [`EventQueue::pop`] without
    /// returning it.
    #[inline(always)]
    pub fn remove_first(&mut self) {
        let _ = self.pop();
    }

    /// Removes the earliest event (the queue is not empty) and schedules `event` at `at`:
    /// exactly a pop then a push (same order, same sequence numbers). Why (issue 15): a
    /// periodic source — a scripted repeat — reschedules the event it just popped; in ring
    /// mode, when the new event is the latest (the common case), it goes to the slot after
    /// the tail and the head moves on, the ring's length unchanged: no length update, no
    /// empty-ring test.
    #[inline(always)]
    pub fn replace_first(&mut self, at: Cycle, event: E) {
        let (head, n) = (self.head, self.ring_len);
        if n != 0 && self.ring[(head + n - 1) & MASK].at <= at {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.ring[(head + n) & MASK] = Scheduled { at, seq, event };
            self.head = (head + 1) & MASK;
            return;
        }
        self.remove_first();
        self.push(at, event);
    }

    /// A pop in heap mode.
    #[inline(always)]
    fn pop_heap_mode(&mut self) -> Option<Scheduled<E>> {
        let s = match self.front.take() {
            Some(f) => f,
            None => self.heap_pop()?,
        };
        if self.len <= SMALL / 4 {
            self.switch_to_ring();
        }
        Some(s)
    }

    /// The cycle of the earliest event, if any.
    #[inline]
    pub fn peek_time(&self) -> Option<Cycle> {
        if self.small() {
            return (self.ring_len > 0).then(|| self.ring[self.head & MASK].at);
        }
        match (&self.front, self.len) {
            (Some(f), _) => Some(f.at),
            (None, 0) => None,
            (None, _) => Some(self.slots[0].at),
        }
    }

    pub fn len(&self) -> usize {
        if self.small() { self.ring_len } else { self.len + usize::from(self.front.is_some()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts into the sorted ring (which has room). `new` has the largest sequence number
    /// so far, so only due times are compared: it goes after every event due at its cycle.
    #[inline(always)]
    fn ring_push(&mut self, new: Scheduled<E>) {
        let (head, n) = (self.head, self.ring_len);
        self.ring_len = n + 1;
        let r = &mut self.ring;
        if n == 0 || r[(head + n - 1) & MASK].at <= new.at {
            // The latest (a periodic source's next occurrence): append.
            r[(head + n) & MASK] = new;
            return;
        }
        if new.at < r[head & MASK].at {
            // Strictly the earliest: prepend.
            let h = (head + MASK) & MASK;
            r[h] = new;
            self.head = h;
            return;
        }
        // In between: shift the later events one place towards the tail.
        let mut i = n;
        while r[(head + i - 1) & MASK].at > new.at {
            r[(head + i) & MASK] = r[(head + i - 1) & MASK];
            i -= 1;
        }
        r[(head + i) & MASK] = new;
    }

    /// Moves the ring's events into the (empty) heap.
    #[cold]
    #[inline(never)]
    fn switch_to_heap(&mut self) {
        debug_assert!(self.len == 0 && self.front.is_none());
        self.ring_room = 0;
        for k in 0..self.ring_len {
            let s = self.ring[(self.head + k) & MASK];
            self.heap_push(s);
        }
        self.ring_len = 0;
        self.head = 0;
    }

    /// Moves the heap's (few) events back into the ring, in order.
    #[cold]
    #[inline(never)]
    fn switch_to_ring(&mut self) {
        let mut n = 0;
        self.head = 0;
        while let Some(s) = self.front.take().or_else(|| self.heap_pop()) {
            self.ring[n] = s;
            n += 1;
        }
        self.ring_len = n;
        self.ring_room = SMALL;
    }

    /// A push in heap mode.
    #[inline(always)]
    fn push_heap_mode(&mut self, new: Scheduled<E>) {
        match self.front {
            // `new` has the largest seq so far: it is due first only if strictly earlier.
            None if self.len == 0 || new.at < self.slots[0].at => self.front = Some(new),
            Some(f) if new.at < f.at => {
                self.heap_push(f);
                self.front = Some(new);
            }
            _ => self.heap_push(new),
        }
    }

    /// Sift up with a hole: parents move down until `new`'s place is found, one store each.
    #[inline(always)]
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
    #[inline(always)]
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

    proptest::proptest! {
        /// `first` + `replace_first` / `remove_first` is exactly `pop` + `push` / `pop`, in
        /// ring and heap mode (bursts cross `SMALL`), with ties and earlier times.
        #[test]
        fn replace_first_is_pop_then_push(ops in proptest::collection::vec((0u8..4, 0u64..30, 1usize..24), 1..300)) {
            let mut q = EventQueue::new();
            let mut r = EventQueue::new();
            let mut now = 0;
            for (op, delay, burst) in ops {
                match op {
                    0 => for k in 0..burst {
                        let at = now + (delay * k as u64) % 30;
                        q.push(at, at);
                        r.push(at, at);
                    },
                    1 => {
                        let want = r.pop();
                        proptest::prop_assert_eq!(q.first(), want.map(|(at, _, e)| (at, e)));
                        if want.is_some() {
                            q.remove_first();
                        }
                    }
                    _ => {
                        let want = r.pop();
                        proptest::prop_assert_eq!(q.first(), want.map(|(at, _, e)| (at, e)));
                        if let Some((at, _, _)) = want {
                            now = at;
                            let next = at + delay % 7;
                            r.push(next, next);
                            q.replace_first(next, next);
                        }
                    }
                }
                proptest::prop_assert_eq!(q.len(), r.len());
            }
            while let Some(want) = r.pop() {
                proptest::prop_assert_eq!(q.pop(), Some(want));
            }
            proptest::prop_assert!(q.is_empty());
        }
    }

    /// Crossing between the sorted ring and the heap many times (up past `SMALL`, down to a
    /// few), with ties and pushes earlier than everything pending, keeps the reference order.
    #[test]
    fn ring_heap_switches_keep_the_order() {
        let mut q = EventQueue::new();
        let mut reference = BinaryHeap::new();
        let mut now = 0u64;
        let mut x = 7u64;
        for round in 0..50u64 {
            let burst = if round % 2 == 0 { SMALL as u64 + 1 + round % 5 } else { 3 };
            for _ in 0..burst {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                // Mostly later, some ties, some earlier than what is pending.
                let at = now + (x >> 60) % 5;
                let seq = q.push(at, (at, x));
                reference.push(Reverse((at, seq, x)));
            }
            let pops = if round % 2 == 0 { burst - 2 } else { 1 };
            for _ in 0..pops {
                let want = reference.pop().map(|Reverse((at, seq, x))| (at, seq, (at, x)));
                assert_eq!(q.peek_time(), want.map(|w| w.0));
                let got = q.pop();
                assert_eq!(got, want);
                now = got.map_or(now, |g| g.0);
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(Reverse((at, seq, x))) = reference.pop() {
            assert_eq!(q.pop(), Some((at, seq, (at, x))));
        }
        assert!(q.is_empty() && q.pop().is_none());
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
