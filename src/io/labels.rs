//! Dense ids for the few distinct labels of an experiment's arms and
//! segments, without an allocation or a hash per row.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

/// Dense ids (0, 1, ...) of keys in order of first appearance.
///
/// An experiment has a handful of arms and segments, so up to [`Ids::SCAN`]
/// distinct keys are found by a linear scan (cheaper than hashing each
/// row's label); beyond that, a hash map. A key is copied only when first
/// seen.
#[derive(Debug)]
pub(crate) struct Ids<K> {
    keys: Vec<K>,
    index: HashMap<K, u32>,
}

impl<K> Default for Ids<K> {
    fn default() -> Self {
        Ids { keys: Vec::new(), index: HashMap::new() }
    }
}

impl<K: Eq + Hash + Clone> Ids<K> {
    /// Distinct keys found by a linear scan before a hash map takes over.
    const SCAN: usize = 16;

    /// The id of `key`, a new one (the number of keys so far) when unseen.
    pub(crate) fn id<Q>(&mut self, key: &Q) -> u32
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ToOwned<Owned = K> + ?Sized,
    {
        if self.keys.len() <= Self::SCAN {
            if let Some(i) = self.keys.iter().position(|k| k.borrow() == key) {
                return i as u32;
            }
        } else if let Some(&i) = self.index.get(key) {
            return i;
        }
        let id = self.keys.len() as u32;
        self.keys.push(key.to_owned());
        if self.keys.len() > Self::SCAN {
            if self.index.is_empty() {
                self.index = self.keys.iter().cloned().zip(0..).collect();
            } else {
                self.index.insert(key.to_owned(), id);
            }
        }
        id
    }

    /// The keys, in id order.
    pub(crate) fn keys(&self) -> &[K] {
        &self.keys
    }

    /// Key → id, for code that sorts the labels afterwards.
    pub(crate) fn into_map(self) -> HashMap<K, u32> {
        self.keys.into_iter().zip(0..).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_dense_in_first_seen_order_past_the_scan_limit() {
        let mut ids: Ids<String> = Ids::default();
        let labels: Vec<String> = (0..40).map(|i| format!("arm{i}")).collect();
        for round in 0..3 {
            for (i, l) in labels.iter().enumerate().rev() {
                let expected = 39 - i as u32;
                assert_eq!(ids.id(l.as_str()), expected, "round {round}, label {l}");
            }
        }
        assert_eq!(ids.keys().len(), 40);
        let map = ids.into_map();
        assert_eq!(map["arm39"], 0);
        assert_eq!(map["arm0"], 39);
    }
}
