package io.jrcu.examples;

import io.jrcu.Rcu;
import io.jrcu.ReadSection;
import io.jrcu.arena.RcuArena;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * An RCU-protected singly linked list of longs whose nodes live off-heap in an {@link RcuArena} (QEMU's
 * {@code QLIST_*_RCU}, liburcu's {@code rculist}): readers traverse it inside a read section without a lock, writers
 * insert and unlink under one lock, and an unlinked node goes back to the arena, which reuses it only after a grace
 * period.
 *
 * <pre>
 *   head cell          node                 node
 *   +---------+       +------+-------+     +------+-------+
 *   | address | ----> | next | value | --> |  0   | value |
 *   +---------+       +------+-------+     +------+-------+
 *   offset 0           0      8             (16 bytes, 16-byte aligned)
 * </pre>
 *
 * <p>Ordering: a writer fills a node in, then publishes its address with a release store (into the head cell or the
 * previous node's {@code next}); a reader loads every address with an acquire load, so it sees the node filled in
 * ({@code rcu_assign_pointer} / {@code rcu_dereference}). Unlinking is one release store of the successor's address
 * into the predecessor: a reader is on the old path or the new one, both complete lists.
 */
final class RcuLongList implements AutoCloseable {
    static final long NEXT = 0;
    static final long VALUE = 8;
    static final long NODE_SIZE = 16;
    /** The address words: acquire loads and release stores. */
    private static final VarHandle ADDRESS = ValueLayout.JAVA_LONG.varHandle();

    private final Rcu rcu;
    private final RcuArena arena;
    /** One word: the address of the first node, 0 when the list is empty. */
    private final MemorySegment head;
    private final Object writeLock = new Object();
    /**
     * The segments of the linked nodes by address, for writers: {@link RcuArena#free} takes a segment as the arena
     * returned it. Guarded by {@code writeLock}.
     */
    private final Map<Long, MemorySegment> nodes = new HashMap<>();

    RcuLongList(Rcu rcu, RcuArena arena) {
        this.rcu = rcu;
        this.arena = arena;
        this.head = arena.allocate(8);
        ADDRESS.setRelease(head, 0L, 0L);
    }

    /** Inserts {@code value} at the front. Writers serialize on one lock; readers never wait. */
    void insertFirst(long value) {
        MemorySegment node = arena.allocate(NODE_SIZE);
        node.set(ValueLayout.JAVA_LONG, VALUE, value);
        synchronized (writeLock) {
            nodes.put(node.address(), node);
            node.set(ValueLayout.JAVA_LONG, NEXT, (long) ADDRESS.get(head, 0L));   // plain: the lock orders writers
            ADDRESS.setRelease(head, 0L, node.address());   // release; pairs with the acquire in firstAddress
        }
    }

    /**
     * Unlinks the first node holding {@code value} and frees it; readers still on it finish their walk, since the
     * arena reuses its memory only after a grace period.
     *
     * @return whether a node was unlinked
     */
    boolean remove(long value) {
        synchronized (writeLock) {
            MemorySegment link = head;   // the word that points at `node`
            long linkOffset = 0;
            for (long a = (long) ADDRESS.get(head, 0L); a != 0; ) {
                MemorySegment node = node(a);
                long next = node.get(ValueLayout.JAVA_LONG, NEXT);
                if (node.get(ValueLayout.JAVA_LONG, VALUE) == value) {
                    ADDRESS.setRelease(link, linkOffset, next);   // release; pairs with the acquire in readers' loads
                    arena.free(nodes.remove(a));   // reused after a grace period: no reader can reach it by then
                    return true;
                }
                link = node;
                linkOffset = NEXT;
                a = next;
            }
            return false;
        }
    }

    /**
     * Calls {@code visitor} with each value, front to back, until it returns false. Lock-free: it runs inside a read
     * section of the list's domain, which it opens itself.
     */
    void forEach(LongPredicate visitor) {
        try (ReadSection s = rcu.read()) {
            for (long a = firstAddress(); a != 0; a = nextAddress(a)) {
                if (!visitor.test(node(a).get(ValueLayout.JAVA_LONG, VALUE))) {
                    return;
                }
            }
        }
    }

    /** Whether the list holds {@code value}, read without a lock. */
    boolean contains(long value) {
        boolean[] found = {false};
        forEach(v -> !(found[0] = v == value));
        return found[0];
    }

    /** The first node's address, 0 if none; for a reader inside a read section. */
    long firstAddress() {
        return (long) ADDRESS.getAcquire(head, 0L);   // acquire; pairs with the release stores
    }

    /** The address of the node after the one at {@code address}; for a reader inside a read section. */
    static long nextAddress(long address) {
        return (long) ADDRESS.getAcquire(node(address), NEXT);   // acquire; pairs with the release stores
    }

    /** A node's memory from its address (the arena's blocks stay mapped until it closes). */
    static MemorySegment node(long address) {
        return MemorySegment.ofAddress(address).reinterpret(NODE_SIZE);
    }

    /** Frees every node and the head cell; no reader may be using the list any more. */
    @Override
    public void close() {
        synchronized (writeLock) {
            for (MemorySegment node : nodes.values()) {
                arena.free(node);
            }
            nodes.clear();
            arena.free(head);
        }
    }
}
