//! What the resolver knows about containers: full metadata by id, ids the
//! runtime did not know (kept briefly so a stream of lookups does not
//! become a stream of requests), ids with a fetch queued or running, and
//! destroyed containers kept for a grace period so late events resolve.
//!
//! Bounded: past `capacity` entries the oldest are evicted (and counted).

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use event::Container;

/// One cached answer.
#[derive(Debug, Clone)]
enum Entry {
    /// Full metadata; `gone_since` is set when the runtime said it was destroyed.
    Known { container: Box<Container>, gone_since: Option<Instant> },
    /// The runtime does not know this id; ask again after `until`.
    Unknown { until: Instant },
}

/// What a lookup found.
#[derive(Debug, PartialEq)]
pub(crate) enum Cached {
    Known(Box<Container>),
    /// Recently not found: answer id-only without asking again.
    Unknown,
    /// Nothing (or an expired answer): a fetch is needed.
    Absent,
}

#[derive(Debug)]
pub(crate) struct Cache {
    entries: HashMap<String, Entry>,
    /// Insertion order, for eviction; may hold ids already removed.
    order: VecDeque<String>,
    /// Ids with a fetch queued or running.
    pending: HashSet<String>,
    capacity: usize,
}

impl Cache {
    pub fn new(capacity: usize) -> Self {
        Cache { entries: HashMap::new(), order: VecDeque::new(), pending: HashSet::new(), capacity: capacity.max(1) }
    }

    pub fn get(&self, id: &str, now: Instant) -> Cached {
        match self.entries.get(id) {
            Some(Entry::Known { container, .. }) => Cached::Known(container.clone()),
            Some(Entry::Unknown { until }) if *until > now => Cached::Unknown,
            _ => Cached::Absent,
        }
    }

    /// Full metadata for `id` is held.
    pub fn is_known(&self, id: &str) -> bool {
        matches!(self.entries.get(id), Some(Entry::Known { .. }))
    }

    /// A fetch for `id` is queued or running.
    pub fn is_pending(&self, id: &str) -> bool {
        self.pending.contains(id)
    }

    /// Marks `id` as being fetched; false when it already is.
    pub fn begin_fetch(&mut self, id: &str) -> bool {
        self.pending.insert(id.to_owned())
    }

    /// Forgets that `id` is being fetched (the request was dropped).
    pub fn abandon_fetch(&mut self, id: &str) {
        self.pending.remove(id);
    }

    /// Stores full metadata; returns how many entries were evicted.
    pub fn insert_known(&mut self, container: Container) -> u64 {
        let id = container.id.clone();
        self.pending.remove(&id);
        self.insert(id, Entry::Known { container: Box::new(container), gone_since: None })
    }

    /// Stores "the runtime does not know `id`" until `until`.
    pub fn insert_unknown(&mut self, id: &str, until: Instant) -> u64 {
        self.pending.remove(id);
        if matches!(self.entries.get(id), Some(Entry::Known { .. })) {
            // A destroyed container we still hold for its grace period.
            return 0;
        }
        self.insert(id.to_owned(), Entry::Unknown { until })
    }

    /// The runtime destroyed `id`: keep it until the grace period ends.
    pub fn mark_gone(&mut self, id: &str, now: Instant) {
        if let Some(Entry::Known { gone_since, .. }) = self.entries.get_mut(id) {
            gone_since.get_or_insert(now);
        }
    }

    /// Drops destroyed containers past `grace` and expired unknowns.
    pub fn sweep(&mut self, now: Instant, grace: Duration) {
        self.entries.retain(|_, entry| match entry {
            Entry::Known { gone_since: Some(t), .. } => now.saturating_duration_since(*t) < grace,
            Entry::Known { gone_since: None, .. } => true,
            Entry::Unknown { until } => *until > now,
        });
        if self.order.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.order.retain(|id| entries.contains_key(id));
        }
    }

    /// Containers with full metadata.
    pub fn known(&self) -> u64 {
        self.entries.values().filter(|e| matches!(e, Entry::Known { .. })).count() as u64
    }

    fn insert(&mut self, id: String, entry: Entry) -> u64 {
        let mut evicted = 0;
        if !self.entries.contains_key(&id) {
            while self.entries.len() >= self.capacity {
                let Some(oldest) = self.order.pop_front() else { break };
                if self.entries.remove(&oldest).is_some() {
                    evicted += 1;
                }
            }
            self.order.push_back(id.clone());
        }
        self.entries.insert(id, entry);
        evicted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(id: &str) -> Container {
        Container { id: id.to_owned(), name: Some(format!("name-{id}")), ..Container::default() }
    }

    #[test]
    fn known_unknown_absent() {
        let now = Instant::now();
        let mut c = Cache::new(10);
        assert_eq!(c.get("a", now), Cached::Absent);
        c.insert_known(container("a"));
        assert_eq!(c.get("a", now), Cached::Known(Box::new(container("a"))));
        c.insert_unknown("b", now + Duration::from_secs(5));
        assert_eq!(c.get("b", now), Cached::Unknown);
        assert_eq!(c.get("b", now + Duration::from_secs(6)), Cached::Absent);
        assert_eq!(c.known(), 1);
    }

    #[test]
    fn pending_is_deduplicated() {
        let mut c = Cache::new(10);
        assert!(c.begin_fetch("a"));
        assert!(!c.begin_fetch("a"));
        c.insert_known(container("a"));
        assert!(c.begin_fetch("a"), "answered fetch is no longer pending");
        c.abandon_fetch("a");
        assert!(c.begin_fetch("a"));
    }

    #[test]
    fn gone_containers_outlive_their_grace_period_only() {
        let t0 = Instant::now();
        let grace = Duration::from_secs(60);
        let mut c = Cache::new(10);
        c.insert_known(container("a"));
        c.mark_gone("a", t0);
        c.sweep(t0 + Duration::from_secs(59), grace);
        assert!(matches!(c.get("a", t0), Cached::Known(_)), "late events still resolve");
        c.insert_unknown("a", t0 + grace);
        assert!(matches!(c.get("a", t0), Cached::Known(_)), "not-found does not hide a gone container");
        c.sweep(t0 + Duration::from_secs(61), grace);
        assert_eq!(c.get("a", t0), Cached::Absent);
    }

    #[test]
    fn capacity_evicts_oldest() {
        let mut c = Cache::new(2);
        assert_eq!(c.insert_known(container("a")), 0);
        assert_eq!(c.insert_known(container("b")), 0);
        assert_eq!(c.insert_known(container("b")), 0, "replacing is not growing");
        assert_eq!(c.insert_known(container("c")), 1);
        let now = Instant::now();
        assert_eq!(c.get("a", now), Cached::Absent);
        assert!(matches!(c.get("c", now), Cached::Known(_)));
    }

    #[test]
    fn sweep_compacts_order() {
        let t0 = Instant::now();
        let mut c = Cache::new(1000);
        for i in 0..200 {
            c.insert_unknown(&i.to_string(), t0);
        }
        c.sweep(t0 + Duration::from_secs(1), Duration::from_secs(1));
        assert_eq!(c.entries.len(), 0);
        assert!(c.order.len() <= 64);
    }
}
