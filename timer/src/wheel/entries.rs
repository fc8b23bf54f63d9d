//! Storage for the timers of one [`TimerWheel`](super::TimerWheel): a slab of nodes addressed by
//! `u32` index, each occupied node threaded on exactly one intrusive doubly linked list (a wheel
//! slot, the ready list or the overflow list), so allocating, freeing, linking and unlinking a
//! node are all O(1). Every allocation gets a fresh 64-bit id, so a stale key (its node freed and
//! the index reused) is recognised and never reaches another timer.

/// "No node": the end of a list, or an empty list head.
pub(super) const NIL: u32 = u32::MAX;

/// `Node::list` of a node that is allocated but on no list (only between `alloc` and `link`, or
/// while the wheel re-places the nodes of a list it detached).
const UNLINKED: u16 = u16::MAX;

/// Largest number of timers one wheel can hold: indices are `u32` and `NIL` is reserved.
pub(super) const MAX_ENTRIES: usize = (u32::MAX - 1) as usize;

/// Above this many slots, a wheel that becomes empty gives its memory back.
const SHRINK_ABOVE: usize = 4096;

struct Node<T> {
    /// 0 while vacant; otherwise the id handed out with this allocation.
    id: u64,
    deadline: u64,
    prev: u32,
    /// Next node on the same list; for a vacant node, the next vacant node.
    next: u32,
    list: u16,
    payload: Option<T>,
}

/// The slab plus the heads of `LISTS` intrusive lists.
pub(super) struct Entries<T, const LISTS: usize> {
    nodes: Vec<Node<T>>,
    free_head: u32,
    heads: [u32; LISTS],
    len: usize,
    /// Id of the next allocation; starts at 1 (0 marks a vacant node) and never repeats.
    next_id: u64,
}

impl<T, const LISTS: usize> Entries<T, LISTS> {
    pub(super) fn new() -> Self {
        Entries {
            nodes: Vec::new(),
            free_head: NIL,
            heads: [NIL; LISTS],
            len: 0,
            next_id: 1,
        }
    }

    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Stores `payload` in a vacant node (not yet on any list); returns its index and id.
    ///
    /// # Panics
    /// When the wheel already holds [`MAX_ENTRIES`] timers.
    pub(super) fn alloc(&mut self, deadline: u64, payload: T) -> (u32, u64) {
        let id = self.next_id;
        // A u64 counter incremented once per insert cannot wrap in practice (584 years at 1 GHz).
        self.next_id += 1;
        let node = Node {
            id,
            deadline,
            prev: NIL,
            next: NIL,
            list: UNLINKED,
            payload: Some(payload),
        };
        let index = if self.free_head != NIL {
            let index = self.free_head;
            self.free_head = self.nodes[index as usize].next;
            self.nodes[index as usize] = node;
            index
        } else {
            assert!(
                self.nodes.len() < MAX_ENTRIES,
                "timer wheel is full: it cannot hold more than {MAX_ENTRIES} pending timers"
            );
            self.nodes.push(node);
            (self.nodes.len() - 1) as u32
        };
        self.len += 1;
        (index, id)
    }

    /// Index of the live node `(index, id)`, or `None` if that allocation has been freed.
    pub(super) fn find(&self, index: u32, id: u64) -> Option<u32> {
        let node = self.nodes.get(index as usize)?;
        (node.id == id).then_some(index)
    }

    /// Frees an unlinked node and returns its payload.
    pub(super) fn free(&mut self, index: u32) -> T {
        let node = &mut self.nodes[index as usize];
        debug_assert!(node.id != 0 && node.list == UNLINKED);
        node.id = 0;
        node.next = self.free_head;
        let payload = node.payload.take();
        self.free_head = index;
        self.len -= 1;
        if self.len == 0 && self.nodes.len() > SHRINK_ABOVE {
            // Everything is vacant: forget the free list and give the memory back. Ids keep
            // counting up, so keys into the discarded nodes stay stale.
            self.nodes = Vec::new();
            self.free_head = NIL;
        }
        payload.expect("an occupied timer node always holds its payload")
    }

    pub(super) fn deadline(&self, index: u32) -> u64 {
        self.nodes[index as usize].deadline
    }

    pub(super) fn payload_mut(&mut self, index: u32) -> &mut T {
        self.nodes[index as usize]
            .payload
            .as_mut()
            .expect("an occupied timer node always holds its payload")
    }

    /// The list `index` is on (`None` if on none).
    pub(super) fn list_of(&self, index: u32) -> Option<usize> {
        let list = self.nodes[index as usize].list;
        (list != UNLINKED).then_some(list as usize)
    }

    pub(super) fn is_list_empty(&self, list: usize) -> bool {
        self.heads[list] == NIL
    }

    pub(super) fn head(&self, list: usize) -> u32 {
        self.heads[list]
    }

    pub(super) fn next(&self, index: u32) -> u32 {
        self.nodes[index as usize].next
    }

    /// Pushes the unlinked node `index` on the front of `list`.
    pub(super) fn link(&mut self, index: u32, list: usize) {
        let old_head = self.heads[list];
        let node = &mut self.nodes[index as usize];
        debug_assert!(node.id != 0);
        node.list = list as u16;
        node.prev = NIL;
        node.next = old_head;
        if old_head != NIL {
            self.nodes[old_head as usize].prev = index;
        }
        self.heads[list] = index;
    }

    /// Takes node `index` off its list; returns true when that list is now empty.
    pub(super) fn unlink(&mut self, index: u32) -> bool {
        let node = &mut self.nodes[index as usize];
        let (list, prev, next) = (node.list as usize, node.prev, node.next);
        debug_assert!(node.list != UNLINKED);
        node.list = UNLINKED;
        node.prev = NIL;
        node.next = NIL;
        if prev != NIL {
            self.nodes[prev as usize].next = next;
        } else {
            self.heads[list] = next;
        }
        if next != NIL {
            self.nodes[next as usize].prev = prev;
        }
        self.heads[list] == NIL
    }

    /// Detaches the whole of `list` and returns its first node. The caller walks the chain with
    /// [`next`](Self::next) and must [`relink`](Self::relink) every node of it before doing
    /// anything else to this storage.
    pub(super) fn detach(&mut self, list: usize) -> u32 {
        std::mem::replace(&mut self.heads[list], NIL)
    }

    /// Links a node of a detached chain onto `list` (its stale links are overwritten).
    pub(super) fn relink(&mut self, index: u32, list: usize) {
        self.nodes[index as usize].list = UNLINKED;
        self.link(index, list);
    }

    /// Removes every node and returns the payloads (in no particular order).
    pub(super) fn drain(&mut self) -> Vec<T> {
        let payloads = std::mem::take(&mut self.nodes)
            .into_iter()
            .filter_map(|node| node.payload)
            .collect();
        self.free_head = NIL;
        self.heads = [NIL; LISTS];
        self.len = 0;
        payloads
    }
}
