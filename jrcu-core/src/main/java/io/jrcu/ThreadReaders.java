package io.jrcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A domain's reader records by thread: the {@link ThreadLocal} that owns the association, and in front of it a table
 * of slots indexed by thread id, so that the calls without a kept handle ({@code rcu.read()}, {@code readLock()},
 * {@code reader()}, a map's {@code get(key)}) find the caller's record with a load of its slot and one compare, where
 * a {@code ThreadLocal} lookup is a hash probe of the thread's map.
 *
 * <pre>
 *   Invariants:
 *   - The ThreadLocal is the authority: a slot is a shortcut, and a lookup that finds no record of its own there
 *     asks the ThreadLocal (and then offers the record for the slot).
 *   - A slot holds null or a record some thread registered. Slots are written by CAS and read opaque. Of a record
 *     found in a slot, a thread reads one field before it knows the record is its own: liveOwner, which only the
 *     record's owner sets to itself (in the constructor) and which is otherwise only ever cleared. A racing read
 *     therefore sees the owner, null, or nothing newer, and matches the caller only if the caller is the owner,
 *     which then reads its own writes. So a lookup returns the caller's live record or falls back, never another
 *     thread's record.
 *   - liveOwner == caller also means the record is not retired: after unregisterThread() (or the registry dropping
 *     a dead owner's record) the slot no longer matches anyone, and the caller's next registration takes it over.
 *   - Two live threads on one slot: the first keeps it; the second takes the ThreadLocal path on every lookup
 *     (no slot ping-pong). A slot whose record is retired or whose owner has ended goes to the next thread of that
 *     slot that offers; remove() clears the caller's own slot when it unregisters.
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

    /** The calling thread's live record, or null if it has none. */
    @SuppressWarnings("unchecked")   // a slot holds only records of this domain's class R (set and offer)
    R get() {
        Thread me = Thread.currentThread();
        AbstractReader r = loSlot(index(me));
        return r != null && r.isLiveOwner(me) ? (R) r : lookUp();
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

    /** The calling thread has no record any more (it unregistered); clears its slot if the slot holds its record. */
    void remove() {
        R r = local.get();
        local.remove();
        if (r != null) {
            casSlot(index(r.owner), r, null);
        }
    }

    /** Puts {@code r} in its owner's slot unless a live thread's live record holds it. By r's owner. */
    private void offer(R r) {
        int i = index(r.owner);
        AbstractReader held = loSlot(i);
        if (held != r && (held == null || held.retired() || !held.owner.isAlive())) {
            casSlot(i, held, r);   // two threads offering for one slot: one wins
        }
    }

    /** The owner of the record in the slot of {@code t}, or null: whose record a lookup by {@code t} would try. */
    Thread ownerAt(Thread t) {
        AbstractReader r = loSlot(index(t));
        return r == null ? null : r.owner;
    }
}
