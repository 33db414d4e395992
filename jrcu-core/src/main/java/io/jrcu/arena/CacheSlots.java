package io.jrcu.arena;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An arena's thread caches indexed by thread id, for the allocate and free fast paths: a lookup is a load of the
 * slot {@code threadId mod SLOTS} and a compare of its cache's owner with the caller, where a {@link ThreadLocal}
 * lookup is a hash probe whose compiled code, with its checks, would make {@code allocate} too large for its callers
 * to inline (and the segment it returns could not then be kept off the heap).
 *
 * <pre>
 *   Invariants:
 *   - The ThreadLocal stays the authority: a slot is a shortcut, and a lookup that finds no slot of its own asks it.
 *   - A slot holds null or a cache registered for its owner (retired once its owner has ended, until remove). Slots
 *     are written by CAS and read opaque: the only field a thread reads of another thread's cache is its owner, a
 *     final field (so seen as constructed, whatever the race), and a cache it uses is one it made itself.
 *   - owner == caller (a reference compare) means the cache is the caller's; the id only picks the slot.
 *   - Two live threads on one slot: the first keeps it; the second takes the ThreadLocal path on every lookup
 *     (no slot ping-pong). A slot whose owner has ended is taken by the next thread of that slot that looks, and
 *     cleared when the ended thread's cache is retired.
 * </pre>
 */
final class CacheSlots {
    /** Slots per arena: the threads of a pool of up to this many, with consecutive ids, never share one. */
    static final int SLOTS = 128;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(ThreadCache[].class);

    private CacheSlots() {
    }

    static ThreadCache[] create() {
        return new ThreadCache[SLOTS];
    }

    private static int index(Thread t) {
        return (int) t.threadId() & (SLOTS - 1);
    }

    /** Opaque load of slot {@code i}: no ordering needed (see the overview); partner: {@link #casSlot}. */
    private static ThreadCache loSlot(ThreadCache[] slots, int i) {
        return (ThreadCache) SLOT.getOpaque(slots, i);
    }

    /** Volatile CAS of slot {@code i}; partner: {@link #loSlot} (a stale load only makes a CAS fail). */
    private static void casSlot(ThreadCache[] slots, int i, ThreadCache expected, ThreadCache value) {
        SLOT.compareAndSet(slots, i, expected, value);
    }

    /** The caller's cache if its slot holds it, else null. Any thread. */
    static ThreadCache get(ThreadCache[] slots, Thread caller) {
        ThreadCache tc = loSlot(slots, index(caller));
        return tc != null && tc.owner == caller ? tc : null;
    }

    /** Puts the caller's cache {@code tc} in its slot, unless the cache of a live thread holds it. By tc's owner. */
    static void offer(ThreadCache[] slots, ThreadCache tc) {
        int i = index(tc.owner);
        ThreadCache held = loSlot(slots, i);
        if (held == null || !held.owner.isAlive()) {
            casSlot(slots, i, held, tc);   // two threads offering for one slot: one wins
        }
    }

    /** Clears the slot of {@code tc}, a retired cache (its owner has ended), if it still holds it. */
    static void remove(ThreadCache[] slots, ThreadCache tc) {
        casSlot(slots, index(tc.owner), tc, null);
    }

    /** The owner of the cache in the slot of {@code t}, or null: whose cache a lookup by {@code t} would find. */
    static Thread ownerAt(ThreadCache[] slots, Thread t) {
        ThreadCache tc = loSlot(slots, index(t));
        return tc == null ? null : tc.owner;
    }
}
