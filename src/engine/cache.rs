//! Conversations recently seen, kept in memory: a person's next message then needs no
//! read from the database. Only this process writes conversations (a person's updates
//! are handled one at a time, in order), so the cache is written through and never
//! stale; an erasure removes the entry.

use crate::ids::UserId;
use crate::storage::Conversation;
use std::collections::HashMap;
use std::sync::Mutex;

/// How many people are kept. A conversation is a few hundred bytes: 20,000 of them
/// are a few megabytes, and cover the people active in any one day.
pub const CAPACITY: usize = 20_000;

/// Two generations: entries go into the young one; when it is full it becomes the old
/// one (and the old one is dropped). A hit in the old generation moves up. Memory stays
/// bounded by `capacity` without keeping an order per access.
pub struct Conversations {
    capacity: usize,
    inner: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    young: HashMap<i64, Conversation>,
    old: HashMap<i64, Conversation>,
}

impl Conversations {
    pub fn new(capacity: usize) -> Conversations {
        Conversations {
            capacity: capacity.max(2),
            inner: Mutex::new(Generations::default()),
        }
    }

    pub fn get(&self, user: UserId) -> Option<Conversation> {
        let mut g = self.inner.lock().expect("conversation cache lock");
        if let Some(c) = g.young.get(&user.0) {
            return Some(c.clone());
        }
        let c = g.old.remove(&user.0)?;
        self.insert(&mut g, c.clone());
        Some(c)
    }

    pub fn put(&self, c: Conversation) {
        let mut g = self.inner.lock().expect("conversation cache lock");
        g.old.remove(&c.user);
        self.insert(&mut g, c);
    }

    pub fn remove(&self, user: UserId) {
        let mut g = self.inner.lock().expect("conversation cache lock");
        g.young.remove(&user.0);
        g.old.remove(&user.0);
    }

    fn insert(&self, g: &mut Generations, c: Conversation) {
        if g.young.len() >= self.capacity / 2 && !g.young.contains_key(&c.user) {
            g.old = std::mem::take(&mut g.young);
        }
        g.young.insert(c.user, c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(user: i64) -> Conversation {
        Conversation {
            user,
            lang: None,
            node: "main".into(),
            flow: None,
            last_question: None,
            last_update: None,
        }
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_keeps_recent_people() {
        let cache = Conversations::new(10);
        for u in 0..100 {
            cache.put(conv(u));
            assert_eq!(cache.get(crate::ids::UserId(u)).map(|c| c.user), Some(u));
        }
        let g = cache.inner.lock().unwrap();
        assert!(g.young.len() + g.old.len() <= 10);
    }

    #[test]
    fn removed_people_are_gone() {
        let cache = Conversations::new(10);
        cache.put(conv(1));
        cache.remove(crate::ids::UserId(1));
        assert!(cache.get(crate::ids::UserId(1)).is_none());
    }
}
