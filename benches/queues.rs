//! Event-queue candidates measured against the engine's queue (`sim_core::engine::EventQueue`,
//! a 4-ary heap since issue 15): the previous queue (`std`'s binary heap with the same front
//! slot) and a radix heap over integer time. Same interface: `push(at, e) -> seq`, `pop()`.

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
