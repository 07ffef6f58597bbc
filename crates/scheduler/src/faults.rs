//! A tiny deterministic random source for fault injection, so a seeded run fails the
//! same attempts every time (tests and lessons depend on that).

/// SplitMix64: enough randomness for "fail this attempt?", and reproducible from a seed.
#[derive(Clone, Debug)]
pub(crate) struct FaultDice(u64);

impl FaultDice {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// A uniform number in [0, 1).
    pub(crate) fn roll(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rolls_are_uniform_enough_and_reproducible() {
        let mut a = FaultDice::new(7);
        let mut b = FaultDice::new(7);
        let rolls: Vec<f64> = (0..10_000).map(|_| a.roll()).collect();
        assert!(rolls.iter().all(|r| (0.0..1.0).contains(r)));
        let below_half = rolls.iter().filter(|r| **r < 0.5).count();
        assert!((4_500..5_500).contains(&below_half), "{below_half}");
        assert_eq!(rolls[..5], (0..5).map(|_| b.roll()).collect::<Vec<_>>()[..]);
    }
}
