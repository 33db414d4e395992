package io.jrcu.examples;

import io.jrcu.Rcu;
import io.jrcu.arena.RcuArena;
import io.jrcu.map.LongLongConsumer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An off-heap array of longs that readers index without a lock while a writer grows it (QEMU's resizable array of
 * {@code docs/rcu.txt}): a grow copies the elements into a new storage, publishes it, and frees the old one after a
 * grace period, once no reader can still be reading it.
 *
 * <pre>
 *   storage (on the heap, replaced whole)    words (off-heap, one Arena.ofShared() per storage)
 *   +--------+-------+-------+               +-------+-------+-----+--------------+
 *   | length | words | arena | ------------> |  [0]  |  [1]  | ... | [length - 1] |
 *   +--------+-------+-------+               +-------+-------+-----+--------------+
 *                                             offset 8 * index, 8-byte aligned
 * </pre>
 *
 * <p>Threads: {@link #get}, {@link #forEach} and {@link #length} may run on any thread that may open a read section of
 * the domain, concurrently with everything but {@link #close}; they never lock, allocate or write shared memory.
 * {@link #set}, {@link #grow} and {@link #close} take one writer lock. Close the array before its domain.
 */
final class RcuLongArray implements AutoCloseable {
    /*
     * Design (QEMU docs/rcu.txt "RCU resizable arrays", and RcuLongMap's rebuild: a new table built beside the old
     * one, published with a release store, the old one released through the domain's callbacks):
     *
     *   get(i):      readLock; s = storage (acquire); check i < s.length; v = s.words[i] (acquire); readUnlock
     *   set(i, v):   lock; s = storage; s.words[i] = v (release); unlock
     *   grow(n):     lock; next = new storage of n words (zero); copy s.words into next.words (plain: unpublished);
     *                storage = next (release); unlock; rcu.retire(s, free)
     *   free(s):     after a grace period: close s's arena [debug: fill s.words with POISON instead, and keep it
     *                mapped until close, so that a reader reading it too late reads poison rather than failing]
     *
     * A set during a grow: both take the writer lock, so a set runs before the copy (and is copied) or after the
     * publication (and writes the new storage). Without the lock a set could write the old storage after the copy
     * and be lost. Readers never take the lock: a reader that loaded the old storage reads it, with the values as of
     * the grow, until its section ends; the grace period keeps that storage mapped until then.
     *
     * The length sits in the storage beside its words and is replaced with them, so a reader checks an index against
     * the length of the words it reads (QEMU keeps the size in the array's header for the same reason).
     *
     * Memory ordering (every non-plain access and its partner):
     *   storage    setRelease in new / grow / close  pairs with  getAcquire in get, forEach, length: a reader that
     *              sees a storage sees its words as the grow copied them
     *   word       setRelease in set                 pairs with  getAcquire in get, forEach: a set of a value
     *              happens-before a read that returns it
     *   Writer lock: writers see each other's stores, plain reads of the current storage's words are the latest.
     *   The grace period orders every reader's loads of an old storage before free(s) (rcu.retire's contract).
     *
     * Nothing is padded: readers read the storage reference, which changes only on a grow.
     */

    /** The storage published after {@link #close()}: a reader that loads it fails cleanly. */
    private static final Storage CLOSED = new Storage(0, MemorySegment.NULL, null);
    private static final VarHandle STORAGE;
    /** The words: acquire loads by readers, release stores by set. */
    private static final VarHandle WORD = ValueLayout.JAVA_LONG.varHandle();

    static {
        try {
            STORAGE = MethodHandles.lookup().findVarHandle(RcuLongArray.class, "storage", Storage.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One version of the array: its length, its words, and the arena that owns them. */
    private record Storage(long length, MemorySegment words, Arena arena) {
        static Storage allocate(long length) {
            Arena arena = Arena.ofShared();
            return new Storage(length, arena.allocate(ValueLayout.JAVA_LONG, length), arena);   // zeroed
        }
    }

    private final Rcu rcu;
    private final boolean debug;
    private final Object writeLock = new Object();
    /** Storages retired whose grace period has not passed yet. */
    private final AtomicInteger pendingFree = new AtomicInteger();
    /**
     * Storages {@link #close()} frees: in debug mode those past their grace period (poisoned), and those the domain
     * refused to retire. Guarded by itself.
     */
    private final List<Storage> leftOver = new ArrayList<>();
    /** The current storage; {@link #CLOSED} after close. Access: STORAGE. */
    @SuppressWarnings("unused")
    private Storage storage;

    /**
     * An array of {@code length} zeros on {@code rcu}.
     *
     * @param debug whether a storage past its grace period is filled with {@link RcuArena#POISON} and kept mapped
     *              until {@link #close()} instead of freed, so that a reader reading it too late reads poison
     * @throws IllegalArgumentException if {@code length} is negative
     */
    RcuLongArray(Rcu rcu, long length, boolean debug) {
        if (length < 0) {
            throw new IllegalArgumentException("RcuLongArray length " + length + " is negative");
        }
        this.rcu = Objects.requireNonNull(rcu, "rcu");
        this.debug = debug;
        STORAGE.setRelease(this, Storage.allocate(length));   // release; pairs with the getAcquire in readers
    }

    /**
     * The element at {@code index}: a value set there, or 0 if none was; a set running concurrently may not be seen
     * yet. Wait-free: it opens its own read section (sections nest), loads the current storage and reads one word.
     * Memory consistency effects: a {@code set} happens-before a {@code get} that returns its value.
     *
     * @throws IndexOutOfBoundsException if {@code index} is negative or not below the length of the storage it loaded
     * @throws IllegalStateException     after {@link #close()}, or if the thread may not open a read section
     */
    long get(long index) {
        rcu.readLock();
        try {
            Storage s = current("get");
            Objects.checkIndex(index, s.length);
            return (long) WORD.getAcquire(s.words, index * Long.BYTES);   // acquire; pairs with the setRelease in set
        } finally {
            rcu.readUnlock();
        }
    }

    /**
     * Calls {@code action} with each index and value, in index order, inside one read section, over the storage
     * current when it starts: a grow meanwhile does not change what it sees, except values set before the grow.
     * Lock-free as {@link #get}; what {@code action} throws ends the walk and propagates.
     *
     * @throws IllegalStateException as {@link #get}
     */
    void forEach(LongLongConsumer action) {
        rcu.readLock();
        try {
            Storage s = current("forEach");
            for (long i = 0; i < s.length; i++) {
                action.accept(i, (long) WORD.getAcquire(s.words, i * Long.BYTES));   // acquire; pairs with set
            }
        } finally {
            rcu.readUnlock();
        }
    }

    /**
     * The current length; it only grows. Wait-free and needs no read section: the length lives on the heap, in the
     * storage object, which stays valid after its words are freed.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    long length() {
        return current("length").length;
    }

    /**
     * Sets the element at {@code index}. Blocking: it takes the writer lock, so it never writes a storage that a
     * concurrent grow has already copied.
     *
     * @throws IndexOutOfBoundsException if {@code index} is negative or not below {@link #length()}
     * @throws IllegalStateException     after {@link #close()}
     */
    void set(long index, long value) {
        synchronized (writeLock) {
            Storage s = current("set");
            Objects.checkIndex(index, s.length);
            WORD.setRelease(s.words, index * Long.BYTES, value);   // release; pairs with the getAcquire in readers
        }
    }

    /**
     * Grows the array to {@code newLength}; the new elements are 0. The elements are copied into new storage, which is
     * published at once; the old storage is freed by a callback worker after a grace period. Blocking: it takes the
     * writer lock; it never waits for readers. May be called inside a read section.
     *
     * @throws IllegalArgumentException if {@code newLength} is below {@link #length()}
     * @throws IllegalStateException    after {@link #close()}, or if the domain is closed (the array is grown; its
     *                                  old storage is freed by {@link #close()})
     */
    void grow(long newLength) {
        Storage old;
        synchronized (writeLock) {
            old = current("grow");
            if (newLength < old.length) {
                throw new IllegalArgumentException("RcuLongArray.grow(" + newLength + ") below the length "
                        + old.length);
            }
            Storage next = Storage.allocate(newLength);
            MemorySegment.copy(old.words, 0, next.words, 0, old.words.byteSize());   // plain: next is unpublished
            STORAGE.setRelease(this, next);   // release; pairs with the getAcquire in readers (next's words)
            pendingFree.incrementAndGet();
        }
        try {
            rcu.retire(old, this::free);   // readers may still read old: freed after a grace period
        } catch (RuntimeException refused) {   // a closed domain, or over its callback budget
            keep(old);
            pendingFree.decrementAndGet();
            throw refused;
        }
    }

    /** Storages a grow replaced whose grace period has not passed yet. */
    int pendingFree() {
        return pendingFree.get();
    }

    /** The reclaimer of a retired storage; runs on a callback worker after its grace period. */
    private void free(Storage s) {
        if (debug) {
            s.words.fill(RcuArena.POISON);
            keep(s);
        } else {
            s.arena.close();
        }
        pendingFree.decrementAndGet();
    }

    /**
     * Frees the current storage, waits for the storages retired before (a {@link Rcu#barrier()}) and frees those kept
     * mapped. No reader may be using the array any more; a later call of any method throws
     * {@link IllegalStateException}; a second close does nothing.
     *
     * @throws IllegalStateException inside a read section (the barrier would wait for itself)
     */
    @Override
    public void close() {
        if (rcu.inReadSection()) {
            throw new IllegalStateException("RcuLongArray.close() inside a read section of its domain");
        }
        Storage last;
        synchronized (writeLock) {
            last = (Storage) STORAGE.getAcquire(this);   // acquire; pairs with the setRelease in grow
            STORAGE.setRelease(this, CLOSED);   // release; pairs with the getAcquire in readers
        }
        if (last == CLOSED) {
            return;
        }
        rcu.barrier();   // every retired storage has been freed or kept
        last.arena.close();
        synchronized (leftOver) {
            leftOver.forEach(s -> s.arena.close());
            leftOver.clear();
        }
    }

    /** Keeps {@code s} mapped until {@link #close()}. */
    private void keep(Storage s) {
        synchronized (leftOver) {
            leftOver.add(s);
        }
    }

    private Storage current(String operation) {
        Storage s = (Storage) STORAGE.getAcquire(this);   // acquire; pairs with the setRelease in grow / close
        if (s == CLOSED) {
            throw new IllegalStateException("RcuLongArray." + operation + " on a closed array");
        }
        return s;
    }
}
