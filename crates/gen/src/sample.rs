//! Seeded sampling primitives.
//!
//! Everything here uses only IEEE basic arithmetic plus the pure-Rust `libm`,
//! so a given seed yields the same numbers on every target.

use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

pub(crate) struct Rng(ChaCha8Rng);

impl Rng {
    /// Separate streams per file let any single file be regenerated on its own
    /// and keep files independent of how many others the config asks for.
    pub(crate) fn for_stream(seed: u64, stream: [u64; 3]) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        for (i, part) in stream.iter().enumerate() {
            key[8 + i * 8..16 + i * 8].copy_from_slice(&part.to_le_bytes());
        }
        Rng(ChaCha8Rng::from_seed(key))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in [0, 1) with 53 random bits.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub(crate) fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in [0, n); Lemire's multiply-shift, whose bias is
    /// below 2^-40 for the small n used here.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub(crate) fn std_normal(&mut self) -> f64 {
        // 1 - unit() is in (0, 1], so the log is finite.
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(std::f64::consts::TAU * u2)
    }

    pub(crate) fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * libm::exp(sigma * self.std_normal())
    }
}

/// Categorical sampling by binary search over cumulative weights.
pub(crate) struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T: Copy> Weighted<T> {
    /// Entries with non-positive weight are dropped; an all-zero table is a bug in
    /// the static model, so it panics at construction rather than sampling garbage.
    pub(crate) fn new(entries: impl IntoIterator<Item = (T, f64)>) -> Self {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0.0;
        for (item, w) in entries {
            if w > 0.0 {
                total += w;
                items.push(item);
                cumulative.push(total);
            }
        }
        assert!(total > 0.0, "weighted table needs a positive weight");
        Weighted { items, cumulative }
    }

    pub(crate) fn sample(&self, rng: &mut Rng) -> T {
        let total = self.cumulative[self.cumulative.len() - 1];
        let x = rng.unit() * total;
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.items[i.min(self.items.len() - 1)]
    }
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_follows_weights() {
        let table = Weighted::new([(0u8, 1.0), (1u8, 3.0), (2u8, 0.0)]);
        let mut rng = Rng::for_stream(7, [0, 0, 0]);
        let mut counts = [0u32; 3];
        for _ in 0..40_000 {
            counts[table.sample(&mut rng) as usize] += 1;
        }
        assert_eq!(counts[2], 0);
        let share = f64::from(counts[1]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.02, "share {share}");
    }

    #[test]
    fn normal_has_unit_spread() {
        let mut rng = Rng::for_stream(1, [2, 3, 4]);
        let n = 50_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.std_normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }

    #[test]
    fn round2_rounds_to_cents() {
        assert_eq!(round2(12.345_000_1), 12.35);
        assert_eq!(round2(-3.004), -3.0);
    }
}
