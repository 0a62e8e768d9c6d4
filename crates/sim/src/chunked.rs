//! A growable array whose clones share storage: the run's append-mostly histories (partition
//! logs, the client's batches, produce requests, responses, message outcomes).
//!
//! A player keeps many clones of one simulation (its checkpoints, see the app's timeline). With
//! a plain `Vec`, each clone copies every batch ever written, so checkpoints of a long run cost
//! megabytes each and only a few fit a memory budget. Here the elements live in fixed-size
//! chunks behind `Rc`s: a clone copies one pointer per chunk, and a write to a chunk that is
//! shared copies that chunk only (`Rc::make_mut`), so the old, settled part of a history is
//! stored once for all checkpoints. Reads cost one shift and one mask more than a `Vec`'s.
//!
//! Persistent-vector crates (`imbl`, `rpds`) do this with trees, for arbitrary inserts and
//! splits; these histories only push, index and cut their tail, so fixed chunks suffice and add
//! little to the web build.
//!
//! `Rc`, not `Arc`: a run lives on one thread (a sweep runs many simulations in parallel, each
//! whole on its thread), and every push to a history did an atomic `make_mut` check; ten per
//! produced batch on the happy path.

use std::rc::Rc;

/// Elements per chunk: a write to a shared chunk copies at most this many.
const CHUNK_BITS: u32 = 7;
const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: usize = CHUNK - 1;

/// A `Vec`-like array stored in shared, copy-on-write chunks of `CHUNK` elements.
#[derive(Clone)]
pub struct ChunkedVec<T> {
    chunks: Vec<Rc<Vec<T>>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        ChunkedVec {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for ChunkedVec<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<T: PartialEq> PartialEq for ChunkedVec<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T> ChunkedVec<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, index: usize) -> Option<&T> {
        if index >= self.len {
            return None;
        }
        Some(&self.chunks[index >> CHUNK_BITS][index & MASK])
    }

    pub fn first(&self) -> Option<&T> {
        self.get(0)
    }

    pub fn last(&self) -> Option<&T> {
        self.len.checked_sub(1).and_then(|i| self.get(i))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &T> + '_ {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The elements from `start` on (all of them when `start` is 0, none past the end).
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = &T> + '_ {
        let first = start >> CHUNK_BITS;
        let skip = start & MASK;
        self.chunks
            .iter()
            .skip(first)
            .enumerate()
            .flat_map(move |(i, c)| c[if i == 0 { skip.min(c.len()) } else { 0 }..].iter())
    }

    /// The index of the first element for which `pred` is false, for elements ordered so that
    /// `pred` holds on a prefix (as `slice::partition_point`).
    pub fn partition_point(&self, mut pred: impl FnMut(&T) -> bool) -> usize {
        let (mut lo, mut hi) = (0, self.len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if pred(&self[mid]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

impl<T: Clone> ChunkedVec<T> {
    pub fn push(&mut self, value: T) {
        if self.len & MASK == 0 {
            self.chunks.push(Rc::new(Vec::with_capacity(CHUNK)));
        }
        let last = self.chunks.last_mut().expect("a chunk was just ensured");
        Rc::make_mut(last).push(value);
        self.len += 1;
    }

    /// The element at `index`, copying its chunk first if another clone shares it.
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        if index >= self.len {
            return None;
        }
        Some(&mut Rc::make_mut(&mut self.chunks[index >> CHUNK_BITS])[index & MASK])
    }

    pub fn last_mut(&mut self) -> Option<&mut T> {
        self.len.checked_sub(1).and_then(|i| self.get_mut(i))
    }

    /// Keeps the first `len` elements.
    pub fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let chunks = len.div_ceil(CHUNK);
        self.chunks.truncate(chunks);
        if let Some(last) = self.chunks.last_mut() {
            let keep = len - (chunks - 1) * CHUNK;
            if last.len() != keep {
                Rc::make_mut(last).truncate(keep);
            }
        }
        self.len = len;
    }

    /// Every element, mutably: copies every shared chunk.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> + '_ {
        self.chunks
            .iter_mut()
            .flat_map(|c| Rc::make_mut(c).iter_mut())
    }

    pub fn to_vec(&self) -> Vec<T> {
        self.iter().cloned().collect()
    }

    /// This array's share of the memory its chunks hold: each chunk's bytes divided by the
    /// number of clones that hold it, so the shares of all clones add up to what they hold
    /// together. `element_bytes` estimates one element (with what it owns on the heap) from the
    /// first element of each chunk.
    pub fn fair_share_bytes(&self, element_bytes: impl Fn(&T) -> usize) -> usize {
        self.chunks
            .iter()
            .map(|c| {
                let per = c.first().map_or(0, &element_bytes);
                (c.capacity() * std::mem::size_of::<T>() + c.len() * per) / Rc::strong_count(c)
            })
            .sum()
    }

    /// Chunks this array shares with another (for memory estimates: shared chunks are stored
    /// once).
    pub fn shared_chunks(&self) -> usize {
        self.chunks
            .iter()
            .filter(|c| Rc::strong_count(c) > 1)
            .count()
    }
}

impl<T> std::ops::Index<usize> for ChunkedVec<T> {
    type Output = T;
    fn index(&self, index: usize) -> &T {
        assert!(index < self.len, "index {index} out of {}", self.len);
        &self.chunks[index >> CHUNK_BITS][index & MASK]
    }
}

impl<T: Clone> std::ops::IndexMut<usize> for ChunkedVec<T> {
    fn index_mut(&mut self, index: usize) -> &mut T {
        let len = self.len;
        self.get_mut(index)
            .unwrap_or_else(|| panic!("index {index} out of {len}"))
    }
}

impl<T: Clone> FromIterator<T> for ChunkedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut out = ChunkedVec::new();
        for v in iter {
            out.push(v);
        }
        out
    }
}

impl<T: Clone> From<Vec<T>> for ChunkedVec<T> {
    fn from(v: Vec<T>) -> Self {
        v.into_iter().collect()
    }
}

impl<'a, T> IntoIterator for &'a ChunkedVec<T> {
    type Item = &'a T;
    type IntoIter = std::iter::FlatMap<
        std::slice::Iter<'a, Rc<Vec<T>>>,
        std::slice::Iter<'a, T>,
        fn(&'a Rc<Vec<T>>) -> std::slice::Iter<'a, T>,
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flat_map(|c| c.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_vec_across_chunk_boundaries() {
        let n = 3 * CHUNK + 5;
        let mut c: ChunkedVec<usize> = (0..n).collect();
        let v: Vec<usize> = (0..n).collect();
        assert_eq!(c.len(), n);
        assert_eq!(c.to_vec(), v);
        assert_eq!(c.iter().next_back(), Some(&(n - 1)));
        for start in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, n - 1, n, n + 7] {
            let got: Vec<usize> = c.iter_from(start).copied().collect();
            assert_eq!(got, v[start.min(n)..], "from {start}");
        }
        assert_eq!(c.partition_point(|&x| x < 200), 200);
        assert_eq!(c.partition_point(|_| true), n);
        for len in [n, n - 1, 2 * CHUNK, 2 * CHUNK - 1, 1, 0] {
            let mut t = c.clone();
            t.truncate(len);
            assert_eq!(t.to_vec(), v[..len], "truncate to {len}");
            t.push(99);
            assert_eq!(t.len(), len + 1);
            assert_eq!(t.last(), Some(&99));
        }
        c[CHUNK] = 7;
        assert_eq!(c.get(CHUNK), Some(&7));
        assert_eq!(c.get(n), None);
    }

    #[test]
    fn a_clone_shares_chunks_until_one_side_writes() {
        let mut a: ChunkedVec<u32> = (0..(4 * CHUNK) as u32).collect();
        let b = a.clone();
        assert_eq!(a.shared_chunks(), 4);
        a[0] = 1000;
        a.push(5);
        assert_eq!(b[0], 0, "the clone keeps its value");
        assert_eq!(b.len(), 4 * CHUNK);
        assert_eq!(a.shared_chunks(), 3, "only the written chunk was copied");
        let chunk = CHUNK * std::mem::size_of::<u32>();
        assert_eq!(b.fair_share_bytes(|_| 0), chunk + 3 * chunk / 2);
        assert_eq!(
            a.fair_share_bytes(|_| 0) + b.fair_share_bytes(|_| 0),
            6 * chunk,
            "five chunks of `a` (one its own, one new) and one of `b` alone"
        );
        let mut c = b.clone();
        c.truncate(CHUNK + 1);
        assert_eq!(b.len(), 4 * CHUNK);
        assert_eq!(b[CHUNK + 1], (CHUNK + 1) as u32);
    }
}
