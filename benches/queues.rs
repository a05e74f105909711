//! Event-queue candidates measured against the engine's queue (`sim_core::engine::EventQueue`,
//! a sorted ring for few pending events and a 4-ary heap for many): the 4-ary heap alone (the
//! queue before the ring), the one before it (`std`'s binary heap with the same front slot) and
//! a radix heap over integer time. Same interface: `push(at, e) -> seq`, `pop()`.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// The engine's queue before issue 15's item 4: `std::collections::BinaryHeap` ordered by
/// `(cycle, seq)` reversed, with the earliest event kept outside the heap (verbatim logic).
pub struct BinaryEventQueue<E> {
    front: Option<Scheduled<E>>,
    heap: BinaryHeap<Scheduled<E>>,
    next_seq: u64,
}

#[derive(Clone, Copy)]
struct Scheduled<E> {
    at: u64,
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
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl<E: Copy> Default for BinaryEventQueue<E> {
    fn default() -> Self {
        BinaryEventQueue { front: None, heap: BinaryHeap::with_capacity(64), next_seq: 0 }
    }
}

impl<E: Copy> BinaryEventQueue<E> {
    #[inline]
    pub fn push(&mut self, at: u64, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let new = Scheduled { at, seq, event };
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

    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u64, E)> {
        let s = match self.front.take() {
            Some(f) => f,
            None => self.heap.pop()?,
        };
        Some((s.at, s.seq, s.event))
    }
}

/// A radix heap over integer time (Ahuja, Mehlhorn, Orlin, Tarjan 1990): bucket `b` holds the
/// events whose time first differs from the last popped time at bit `b - 1`. Needs monotone
/// time (every push at or after the last pop — true of a discrete-event run). Ties stay in
/// insertion order: every bucket is kept in sequence order (direct pushes append larger
/// sequence numbers; a bucket refilled from a higher one was empty, and the higher one was in
/// order), so bucket 0 (time == last) is a FIFO.
pub struct RadixEventQueue<E> {
    last: u64,
    zero: VecDeque<(u64, u64, E)>,
    buckets: Vec<Vec<(u64, u64, E)>>,
    len: usize,
    next_seq: u64,
}

impl<E: Copy> Default for RadixEventQueue<E> {
    fn default() -> Self {
        RadixEventQueue { last: 0, zero: VecDeque::with_capacity(64), buckets: (0..65).map(|_| Vec::new()).collect(), len: 0, next_seq: 0 }
    }
}

impl<E: Copy> RadixEventQueue<E> {
    #[inline]
    fn bucket(x: u64, last: u64) -> usize {
        64 - (x ^ last).leading_zeros() as usize
    }

    #[inline]
    pub fn push(&mut self, at: u64, event: E) -> u64 {
        assert!(at >= self.last, "radix heap needs monotone time");
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        match Self::bucket(at, self.last) {
            0 => self.zero.push_back((at, seq, event)),
            b => self.buckets[b].push((at, seq, event)),
        }
        seq
    }

    #[inline]
    pub fn pop(&mut self) -> Option<(u64, u64, E)> {
        if self.zero.is_empty() {
            if self.len == 0 {
                return None;
            }
            let i = (1..65).find(|&i| !self.buckets[i].is_empty()).expect("len > 0");
            let mut b = std::mem::take(&mut self.buckets[i]);
            self.last = b.iter().map(|e| e.0).min().expect("non-empty");
            for &e in &b {
                match Self::bucket(e.0, self.last) {
                    0 => self.zero.push_back(e),
                    j => self.buckets[j].push(e),
                }
            }
            b.clear();
            self.buckets[i] = b;
        }
        self.len -= 1;
        self.zero.pop_front()
    }
}

/// Entry of [`DaryEventQueue`].
#[derive(Clone, Copy, Debug)]
struct Sched4<E> {
    at: u64,
    seq: u64,
    event: E,
}

impl<E> Sched4<E> {
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.at) << 64) | u128::from(self.seq)
    }
}

type Cycle = u64;

/// Children per node.
const D: usize = 4;

/// The engine's queue from issue 15 item 4 until the sorted ring for few pending events was
/// added (verbatim): a 4-ary heap with a front slot. Min-queue keyed by `(cycle, insertion order)`.
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
pub struct DaryEventQueue<E> {
    front: Option<Sched4<E>>,
    slots: Vec<Sched4<E>>,
    len: usize,
    next_seq: u64,
}

impl<E: Copy> Default for DaryEventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> DaryEventQueue<E> {
    pub fn new() -> Self {
        DaryEventQueue { front: None, slots: Vec::with_capacity(64), len: 0, next_seq: 0 }
    }

    /// Schedules `event` at cycle `at`. Returns the sequence number it was given.
    #[inline]
    pub fn push(&mut self, at: Cycle, event: E) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let new = Sched4 { at, seq, event };
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
    fn heap_push(&mut self, new: Sched4<E>) {
        if self.len + D >= self.slots.len() {
            // Grow by one node's worth of sentinels (amortised by `Vec`'s doubling).
            let sentinel = Sched4 { at: Cycle::MAX, seq: u64::MAX, event: new.event };
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
    fn heap_pop(&mut self) -> Option<Sched4<E>> {
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
