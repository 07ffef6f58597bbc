//! Bytes already read from sources, kept for the next read of the same range.
//!
//! In the page a read of a picked `File` is the dearest step of a scan: the browser
//! copies the bytes from disk through its blob system into the worker (a CPU profile of
//! a pool worker on a group-by put a quarter of its time there), and every job read
//! them again. People ask a file many questions in a row, mostly over the same columns,
//! so each worker keeps what it read, up to a budget, least recently used out first.
//! Natively the operating system's page cache does this job; the CLI does not use it.

use std::collections::BTreeMap;
use std::ops::Range;

use bytes::Bytes;

/// One read kept: the bytes of `start..start + bytes.len()` of source `source`.
struct Kept {
    bytes: Bytes,
    last_use: u64,
}

/// The kept reads of many sources (named by a number the caller gives each source),
/// holding at most `budget` bytes.
pub struct RangeCache {
    budget: u64,
    used: u64,
    clock: u64,
    kept: BTreeMap<(u64, u64), Kept>,
    hits: u64,
    misses: u64,
}

/// How many kept reads that start before a wanted range are looked at for one holding
/// it. Reads of one file rarely overlap; a few is plenty and keeps lookups cheap.
const LOOK_BACK: usize = 4;

impl RangeCache {
    pub fn new(budget: u64) -> Self {
        Self {
            budget,
            used: 0,
            clock: 0,
            kept: BTreeMap::new(),
            hits: 0,
            misses: 0,
        }
    }

    /// `range` of `source`, when a kept read holds all of it.
    pub fn get(&mut self, source: u64, range: &Range<u64>) -> Option<Bytes> {
        self.clock += 1;
        let clock = self.clock;
        let found = self
            .kept
            .range_mut((source, 0)..=(source, range.start))
            .rev()
            .take(LOOK_BACK)
            .find(|((_, start), kept)| range.end <= start + kept.bytes.len() as u64)
            .map(|((_, start), kept)| {
                kept.last_use = clock;
                let from = (range.start - start) as usize;
                kept.bytes
                    .slice(from..from + (range.end - range.start) as usize)
            });
        match found {
            Some(_) => self.hits += 1,
            None => self.misses += 1,
        }
        found
    }

    /// Holds at most `budget` bytes from now on, dropping the reads used longest ago
    /// until what is kept fits.
    pub fn set_budget(&mut self, budget: u64) {
        self.budget = budget;
        self.shrink_to(budget);
    }

    fn shrink_to(&mut self, limit: u64) {
        while self.used > limit {
            let Some(oldest) = self
                .kept
                .iter()
                .min_by_key(|(_, kept)| kept.last_use)
                .map(|(key, _)| *key)
            else {
                break;
            };
            if let Some(dropped) = self.kept.remove(&oldest) {
                self.used -= dropped.bytes.len() as u64;
            }
        }
    }

    /// Keeps `bytes`, read from `source` at `start`, making room by dropping the reads
    /// used longest ago. A read larger than an eighth of the budget is not kept: it
    /// would push out many smaller ones that are likelier to be asked for again.
    pub fn put(&mut self, source: u64, start: u64, bytes: Bytes) {
        let len = bytes.len() as u64;
        if len == 0 || len > self.budget / 8 {
            return;
        }
        if let Some(old) = self.kept.remove(&(source, start)) {
            self.used -= old.bytes.len() as u64;
        }
        self.shrink_to(self.budget - len);
        self.clock += 1;
        self.used += len;
        self.kept.insert(
            (source, start),
            Kept {
                bytes,
                last_use: self.clock,
            },
        );
    }

    /// Drops every read kept from `source` (it changed, or is gone).
    pub fn forget(&mut self, source: u64) {
        let keys: Vec<(u64, u64)> = self
            .kept
            .range((source, 0)..=(source, u64::MAX))
            .map(|(key, _)| *key)
            .collect();
        for key in keys {
            if let Some(dropped) = self.kept.remove(&key) {
                self.used -= dropped.bytes.len() as u64;
            }
        }
    }

    /// Whether anything of `source` is kept.
    pub fn holds(&self, source: u64) -> bool {
        self.kept
            .range((source, 0)..=(source, u64::MAX))
            .next()
            .is_some()
    }

    pub fn used_bytes(&self) -> u64 {
        self.used
    }

    /// Reads answered from the cache and reads that were not, since it was made.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(start: u8, len: usize) -> Bytes {
        Bytes::from(
            (0..len)
                .map(|i| start.wrapping_add(i as u8))
                .collect::<Vec<_>>(),
        )
    }

    #[test]
    fn a_kept_read_answers_any_range_inside_it_and_nothing_past_it() {
        let mut cache = RangeCache::new(1 << 20);
        cache.put(1, 100, bytes(0, 50));
        assert_eq!(cache.get(1, &(110..120)), Some(bytes(10, 10)));
        assert_eq!(cache.get(1, &(100..150)), Some(bytes(0, 50)));
        assert_eq!(cache.get(1, &(140..151)), None, "one byte past the end");
        assert_eq!(cache.get(1, &(99..110)), None, "one byte before the start");
        assert_eq!(cache.get(2, &(110..120)), None, "another source");
        assert_eq!(cache.hits_and_misses(), (2, 3));
    }

    #[test]
    fn the_read_used_longest_ago_goes_first_when_the_budget_is_reached() {
        let mut cache = RangeCache::new(800);
        cache.put(1, 0, bytes(0, 100));
        cache.put(1, 1000, bytes(0, 100));
        cache.put(2, 0, bytes(0, 100));
        // Touch the first: the second is now the oldest.
        assert!(cache.get(1, &(0..10)).is_some());
        for k in 0..5 {
            cache.put(3, k * 1000, bytes(0, 100));
        }
        assert_eq!(cache.used_bytes(), 800);
        cache.put(4, 0, bytes(0, 100));
        assert_eq!(cache.used_bytes(), 800);
        assert!(cache.get(1, &(1000..1010)).is_none(), "the oldest went");
        assert!(cache.get(1, &(0..10)).is_some(), "the recently used stayed");
        assert!(cache.get(4, &(0..100)).is_some());
    }

    #[test]
    fn a_smaller_budget_drops_the_oldest_reads_until_the_rest_fits() {
        let mut cache = RangeCache::new(800);
        for k in 0..8 {
            cache.put(1, k * 1000, bytes(0, 100));
        }
        assert!(cache.get(1, &(0..10)).is_some(), "the first, touched");
        cache.set_budget(300);
        assert_eq!(cache.used_bytes(), 300);
        assert!(cache.get(1, &(0..10)).is_some(), "the recently used stayed");
        assert!(cache.get(1, &(7000..7010)).is_some(), "the newest stayed");
        assert!(cache.get(1, &(1000..1010)).is_none(), "an old one went");
        // Past it now: a read over an eighth of the new budget is not kept.
        cache.put(2, 0, bytes(0, 40));
        assert!(!cache.holds(2));
    }

    #[test]
    fn reads_too_large_for_the_budget_are_not_kept_and_forget_drops_a_source() {
        let mut cache = RangeCache::new(800);
        cache.put(1, 0, bytes(0, 101));
        assert!(!cache.holds(1), "over an eighth of the budget");
        cache.put(1, 0, bytes(0, 100));
        cache.put(1, 500, bytes(0, 50));
        cache.put(2, 0, bytes(0, 10));
        assert!(cache.holds(1));
        cache.forget(1);
        assert!(!cache.holds(1));
        assert_eq!(cache.used_bytes(), 10);
        // Keeping the same start again replaces, and counts the bytes once.
        cache.put(2, 0, bytes(5, 20));
        assert_eq!(cache.used_bytes(), 20);
        assert_eq!(cache.get(2, &(0..20)), Some(bytes(5, 20)));
    }
}
