//! The key-value state: a map from byte keys to byte values, split into shards, each
//! behind its own `std::sync::Mutex`, so connections on different workers rarely wait
//! on each other. Runtime-free: both runtimes' builds use this same code.

use std::collections::hash_map::RandomState;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Shards of the map; a power of two, several per core.
const SHARDS: usize = 64;

type Shard = HashMap<Vec<u8>, Vec<u8>>;

/// The sharded map.
pub struct Store {
    shards: Box<[Mutex<Shard>]>,
    /// Picks a key's shard (the shards' maps hash again, with their own keys).
    picker: RandomState,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty store.
    pub fn new() -> Store {
        Store {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            picker: RandomState::new(),
        }
    }

    fn shard(&self, key: &[u8]) -> MutexGuard<'_, Shard> {
        let index = self.picker.hash_one(key) as usize % SHARDS;
        // Only map operations run under the lock, so a poisoned shard is still consistent.
        self.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `read` on the value of `key` (`None` if absent) while its shard is locked:
    /// the caller copies it straight into its reply, with no intermediate clone.
    pub fn with_value<R>(&self, key: &[u8], read: impl FnOnce(Option<&[u8]>) -> R) -> R {
        read(self.shard(key).get(key).map(Vec::as_slice))
    }

    /// Sets `key` to `value`, reusing the old value's allocation when there is one.
    pub fn set(&self, key: &[u8], value: &[u8]) {
        let mut shard = self.shard(key);
        match shard.get_mut(key) {
            Some(old) => {
                old.clear();
                old.extend_from_slice(value);
            }
            None => {
                shard.insert(key.to_vec(), value.to_vec());
            }
        }
    }

    /// Removes `key`; whether it was there.
    pub fn remove(&self, key: &[u8]) -> bool {
        self.shard(key).remove(key).is_some()
    }

    /// Whether `key` is there.
    pub fn contains(&self, key: &[u8]) -> bool {
        self.shard(key).contains_key(key)
    }
}
