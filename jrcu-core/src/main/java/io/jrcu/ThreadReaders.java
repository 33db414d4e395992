package io.jrcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A domain's reader records by thread: the {@link ThreadLocal} that owns the association, and in front of it a table
 * of slots indexed by thread id, so that the calls without a kept handle ({@code rcu.read()}, {@code readLock()},
 * {@code reader()}, a map's {@code get(key)}) find a platform thread's record with a load of its slot and one compare,
 * where a {@code ThreadLocal} lookup is a hash probe of the thread's map. The arena's {@code CacheSlots} does the
 * same for its thread caches; the two are separate classes because the compare on the fast path must load the
 * owner field of one concrete class: a shared generic table would reach it through a call site both would share.
 *
 * <pre>
 *   Invariants:
 *   - The ThreadLocal is the authority: a slot is a shortcut, and a lookup that finds no record of its own there
 *     asks the ThreadLocal (and then offers the record for the slot).
 *   - A slot holds null or a live platform thread's record, or the record of a thread that has ended until the
 *     registry drops it (forget) or the next thread of that slot takes the slot over. A record leaves its slot when
 *     its owner unregisters (remove, in the owner's program order before any later lookup), so a retired record is
 *     never found by its owner, and an ended owner's record matches no live thread.
 *   - Of a record found in a slot a thread reads only its owner, a final field (seen as constructed whatever the
 *     race) that sits before the record's padding, on a line its owner's sections never write. owner == caller means
 *     the record is the caller's.
 *   - Slots are written by CAS and read opaque: the only field read through them is final, and a record a thread
 *     uses is one it made itself.
 *   - Two live threads on one slot: the first keeps it; the second takes the ThreadLocal path on every lookup
 *     (no slot ping-pong).
 *   - Virtual threads take the ThreadLocal path: they are many and short-lived, and a slot would keep an ended one's
 *     record and thread reachable (bulletProof holds them weakly so that they stay collectable). A slot keeps at
 *     most one record, so a domain keeps at most SLOTS records of ended platform threads until the registry drops
 *     them.
 * </pre>
 *
 * @param <R> the flavor's record class
 */
final class ThreadReaders<R extends AbstractReader> {
    /** Slots per domain: the threads of a pool of up to this many, with consecutive ids, never share one. */
    static final int SLOTS = 128;
    private static final VarHandle SLOT = MethodHandles.arrayElementVarHandle(AbstractReader[].class);

    private final ThreadLocal<R> local = new ThreadLocal<>();
    private final AbstractReader[] slots = new AbstractReader[SLOTS];

    private static int index(Thread t) {
        return (int) t.threadId() & (SLOTS - 1);
    }

    /** Opaque load of slot {@code i}: no ordering needed (see the overview); partner: {@link #casSlot}. */
    private AbstractReader loSlot(int i) {
        return (AbstractReader) SLOT.getOpaque(slots, i);
    }

    /** Volatile CAS of slot {@code i}; partner: {@link #loSlot} (a stale load only makes a CAS fail). */
    private void casSlot(int i, AbstractReader expected, AbstractReader value) {
        SLOT.compareAndSet(slots, i, expected, value);
    }

    /** The calling thread's record, or null if it has none (never a retired record: see remove). */
    @SuppressWarnings("unchecked")   // a slot holds only records of this domain's class R (set and offer)
    R get() {
        Thread me = Thread.currentThread();
        AbstractReader r = loSlot(index(me));
        return r != null && r.owner == me ? (R) r : lookUp();
    }

    /** The ThreadLocal's answer, offered for the caller's slot. */
    private R lookUp() {
        R r = local.get();
        if (r != null) {
            offer(r);
        }
        return r;
    }

    /** Makes {@code r}, a new record of the calling thread, the thread's record. */
    void set(R r) {
        local.set(r);
        offer(r);
    }

    /**
     * The calling thread has no record any more (it unregistered and retired it): clears its slot if the slot holds
     * the record.
     */
    void remove() {
        R r = local.get();
        local.remove();
        if (r != null) {
            casSlot(index(r.owner), r, null);
        }
    }

    /** Clears the slot of {@code r}, a record dropped after its owner ended, if the slot still holds it. */
    void forget(AbstractReader r) {
        casSlot(index(r.owner), r, null);
    }

    /** Puts {@code r}, a platform thread's record, in its slot unless a live thread's record holds it. By r's owner. */
    private void offer(R r) {
        Thread owner = r.owner;
        if (owner.isVirtual()) {
            return;
        }
        int i = index(owner);
        AbstractReader held = loSlot(i);
        if (held != r && (held == null || !held.owner.isAlive())) {
            casSlot(i, held, r);   // two threads offering for one slot: one wins
        }
    }

    /** The owner of the record in the slot of {@code t}, or null: whose record a lookup by {@code t} would try. */
    Thread ownerAt(Thread t) {
        AbstractReader r = loSlot(index(t));
        return r == null ? null : r.owner;
    }
}
