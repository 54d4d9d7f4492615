//! What each attribute key of the previous event resolved to, by
//! position. A sender writes its keys in the same order event after
//! event, so most lookups are one short comparison with the key at the
//! same position last time, instead of lower-casing and hashing it
//! (measured: the key lookup was a tenth of CEF parsing). Used by the
//! parsers of key-value formats: CEF, LEEF, Imperva, the SSR.

/// Keys longer than this are not cached (they are looked up each time).
const MAX_KEY: usize = 64;

/// Per-stream cache; keep one in the parser.
#[derive(Debug)]
pub struct KeyCache<T> {
    last: Vec<(String, T)>,
}

impl<T> Default for KeyCache<T> {
    fn default() -> Self {
        KeyCache { last: Vec::new() }
    }
}

impl<T: Copy> KeyCache<T> {
    /// What `key`, the `position`th key of an event, resolves to.
    #[inline]
    pub fn get(&mut self, position: usize, key: &str, lookup: impl FnOnce(&str) -> T) -> T {
        if let Some((k, v)) = self.last.get(position) {
            if same_key(k.as_bytes(), key.as_bytes()) {
                return *v;
            }
        }
        let v = lookup(key);
        // Bounded by the event's size; keys past a miss are relearned.
        if key.len() <= MAX_KEY {
            self.last.truncate(position);
            if self.last.len() == position {
                self.last.push((key.to_string(), v));
            }
        }
        v
    }
}

/// Equality of two short keys, inline: eight bytes at a time, the last
/// eight overlapping, instead of a call to `memcmp` for every parameter of
/// every event.
#[inline(always)]
fn same_key(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0;
    }
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_key_compares_every_byte() {
        for n in 0..40 {
            let a: Vec<u8> = (0..n as u8).map(|i| b'a' + i % 26).collect();
            assert!(same_key(&a, &a.clone()));
            for i in 0..n {
                let mut b = a.clone();
                b[i] ^= 1;
                assert!(!same_key(&a, &b), "length {n}, byte {i}");
            }
            assert!(!same_key(&a, &a[..n.saturating_sub(1)]) || n == 0);
        }
    }

    #[test]
    fn follows_each_event() {
        let mut c = KeyCache::default();
        let calls = std::cell::Cell::new(0);
        let look = |c: &mut KeyCache<usize>, i: usize, k: &str| {
            c.get(i, k, |k| {
                calls.set(calls.get() + 1);
                k.len()
            })
        };
        for k in ["a", "bb", "ccc"].iter().enumerate() {
            assert_eq!(look(&mut c, k.0, k.1), k.1.len());
        }
        assert_eq!(calls.get(), 3);
        for k in ["a", "bb", "ccc"].iter().enumerate() {
            assert_eq!(look(&mut c, k.0, k.1), k.1.len());
        }
        assert_eq!(calls.get(), 3, "the same keys again: no lookup");
        assert_eq!(look(&mut c, 1, "dddd"), 4);
        assert_eq!(look(&mut c, 2, "ccc"), 3);
        assert_eq!(calls.get(), 5, "after a change, the rest is relearned");
        assert_eq!(look(&mut c, 2, "ccc"), 3);
        assert_eq!(calls.get(), 5);
        let long = "k".repeat(MAX_KEY + 1);
        assert_eq!(look(&mut c, 0, &long), MAX_KEY + 1);
        assert_eq!(look(&mut c, 0, &long), MAX_KEY + 1);
        assert_eq!(calls.get(), 7, "long keys are not kept");
    }
}
