package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.internal.Bridge;
import io.jrcu.internal.DeferRing;
import io.jrcu.internal.LibraryFlavor;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongBinaryOperator;

import static io.jrcu.map.RcuLongMapDescriptor.DELETED;
import static io.jrcu.map.RcuLongMapDescriptor.EMPTY;
import static io.jrcu.map.RcuLongMapDescriptor.FREE;
import static io.jrcu.map.RcuLongMapDescriptor.MAX_CAPACITY;
import static io.jrcu.map.RcuLongMapDescriptor.STATE_COUNT;
import static io.jrcu.map.RcuLongMapDescriptor.decode;
import static io.jrcu.map.RcuLongMapDescriptor.encode;
import static io.jrcu.map.RcuLongMapDescriptor.isState;

/**
 * An off-heap hash map from {@code long} keys to {@code long} values whose lookups run inside read sections of an
 * RCU domain: they never lock, allocate, box or write shared memory. Built on a domain the application owns, as
 * liburcu's {@code cds_lfht_new_flavor} and DPDK's {@code rte_hash_rcu_qsbr_add} take theirs:
 *
 * <pre>{@code
 * Rcu rcu = Rcu.memb();
 * try (RcuLongMap map = RcuLongMap.builder(rcu).initialCapacity(1 << 20).build()) {
 *     map.put(42, 4200);
 *     long v = map.get(42);            // 4200; map.missingValue() when absent
 * }
 * }</pre>
 *
 * <p><b>Layout.</b> One off-heap table of 16-byte {@code {key, value}} entries with open addressing and linear probing
 * ({@link RcuLongMapDescriptor}); a live entry never moves inside a table. Load factor: a table is rebuilt when more
 * than 3/4 of its entries are in use (live or removed), into a table where the live ones fill at most half: between
 * 21 and 64 off-heap bytes per entry (32 at the rebuild target), nothing on the heap per entry. Capacity grows and
 * shrinks by itself (shrinking below 1/8 live); during a rebuild both tables exist (up to 2x the memory).
 *
 * <p><b>Reclamation.</b> A removed entry becomes a tombstone that no insert reuses until a grace period has passed.
 * {@link Reclamation#DEFER_QUEUE} (the default) stamps it with a cookie in a FIFO and frees it in a later writer's own
 * context when the cookie has passed (and first of all when the map runs out of room): writers never wait for a grace
 * period. {@link Reclamation#SYNC}: {@link #remove(long)} waits for one. An old table is released through the
 * domain's callbacks after a grace period. The map has no thread of its own.
 *
 * <p><b>Threads.</b> Lookups are wait-free (bounded by the capacity, which a table keeps at least 1/4 EMPTY) and may
 * run on any thread that may open a read section of the domain: any thread for memb and bulletProof, a registered
 * online thread for QSBR (others get {@link IllegalStateException}, never a wrong answer). Writes take one writer
 * lock (blocking; writers are serialized, readers never wait for them); in {@code DEFER_QUEUE} mode a write never
 * waits for a grace period and may run inside a read section. A reader never sees a torn entry, another key's value
 * or a value never stored for its key, and never misses a key present for its whole lookup.
 *
 * <p><b>Memory consistency effects.</b> A write of a value happens-before a lookup that returns it.
 *
 * <p><b>Keys.</b> Hashed with a seeded 64-bit mix (MurmurHash3's finalizer); the seed is random per map unless
 * {@link Builder#hashSeed} sets it. Three keys ({@code 0x6A09E667F3BCC908L} and it XOR 1, XOR 2) encode as entry
 * states; the map keeps them beside the table, on the heap (a write of one of them may box its value).
 */
public final class RcuLongMap implements AutoCloseable {
    /*
     * Design (liburcu rculfhash's flavor parameter and removal with call_rcu, DPDK rte_hash's key-store slots freed
     * through a token FIFO, QEMU's resizable array published as a copy):
     *
     *   get(k):   readLock; t = table (acquire); slot = hash(k) & mask
     *             loop at most capacity times: w = key(slot) (acquire)
     *                 w == enc(k): return value(slot) (acquire);  w == EMPTY: return missing;  else slot++
     *             readUnlock
     *   put(k,v): lock; reclaim up to 2 passed tombstones; find k: update value (release), or insert at the first
     *             FREE entry of the probe (else the EMPTY that ended it): value (plain), then key (release)
     *   remove:   lock; key = DELETED (release); ring += (cookie, generation|slot)  [SYNC: unlock; synchronize; lock]
     *   reclaim:  ring frees entries whose cookie has passed: of the current table's generation only, key(slot) =
     *             FREE (release); if the next entry is EMPTY, this entry and the FREE run before it become EMPTY
     *   rebuild:  copy the live entries into a new table (plain: unpublished), table = new (release), release the
     *             old table with a callback after a grace period; the ring's entries of the old table are dropped when
     *             the ring frees them (their generation is not the current table's)
     *
     * Invariants. (1) A key word changes from a key only to DELETED, from DELETED only to FREE after a grace period
     * that began after the DELETED store, and only FREE or EMPTY entries take a new key: so a reader that saw key k
     * in an entry reads, until its section ends, only values stored for k there (another key needs FREE first, which
     * waits for the reader's section). Values of a removed entry are never written until it is reused. (2) For every
     * live key at slot j, no entry in [hash, j) is EMPTY: inserts stop at the first EMPTY, and FREE becomes EMPTY only
     * when the next entry is EMPTY (if it were in [hash, j), so would the next). Hence a key present for a whole
     * lookup is found. (3) A table is rebuilt before its EMPTY entries drop below 1/4, so probes end.
     *
     * Memory ordering (every non-plain access and its partner):
     *   table      setRelease in rebuild / clear / close     pairs with  getAcquire in readers (get, forEach)
     *              (the new table's entries, written plainly before, are visible to whoever loads it)
     *   key word   setRelease in insert / remove / reclaim   pairs with  getAcquire in readers: a reader that sees a
     *              key sees the value stored before it
     *   value word setRelease in update of a live key        pairs with  getAcquire in readers after the key's load
     *   reserved   setRelease of a reserved key's box        pairs with  getAcquire in readers
     *   size       setRelease by writers                     pairs with  getAcquire in size()
     *   Writer lock: writers see each other's plain writes (entries, counters, FIFO). The grace period orders a
     *   reader's loads before the reuse of an entry it saw (deferCookie: the DELETED store happens before it).
     *
     * Nothing is padded: the writer-side fields are written under the lock only, and readers read the final fields
     * and the table reference, which changes only on a rebuild.
     *
     * The FIFO of removed entries is the library's queue core, a DeferRing of longs (DeferRing.ofLongs): it stamps each
     * entry with deferCookie() when it is enqueued, frees in batches from the head in the caller's context without
     * waiting (reclaimSome), may start the head's grace period when the map is out of room, and allocates nothing at a
     * stable size (it keeps up to SPARE_CHUNKS emptied chunks, and one batch array). The map enqueues and reclaims
     * under its writer lock only (a single producer; the ring's consumer lock is uncontended) and never closes the
     * ring: its entries are slot numbers, nothing to release, and the ring is dropped with the map. An entry names its
     * table's generation as well as the slot, because a rebuild cannot take entries out of the ring: a slot of an older
     * table is ignored when freed (the old table's tombstones die with it).
     */

    /** How removed entries wait for their grace period. */
    public enum Reclamation {
        /**
         * Removed entries wait in a FIFO of (cookie, entry); writers reuse those whose grace period has passed,
         * in their own context, never waiting (DPDK's {@code RTE_HASH_QSBR_MODE_DQ}). The default.
         */
        DEFER_QUEUE,
        /**
         * {@link #remove(long)} waits for a grace period before it returns (DPDK's {@code RTE_HASH_QSBR_MODE_SYNC}):
         * no entry is ever pending after a remove returns, and writes may not run inside a read section.
         */
        SYNC
    }

    /**
     * A snapshot of the map's counters.
     *
     * @param entries            entries in the map
     * @param capacity           entries the current table holds
     * @param offHeapBytes       off-heap bytes held: the current table and old tables not yet released
     * @param pendingReclamation removed entries of the current table waiting for a grace period
     * @param resizes            tables built since the map was (rebuilds, growth, shrinking and clear)
     */
    public record Stats(long entries, int capacity, long offHeapBytes, long pendingReclamation, long resizes) {
    }

    private static final VarHandle TABLE = VarHandles.field(MethodHandles.lookup(), "table", LongTable.class);
    private static final VarHandle SIZE = VarHandles.field(MethodHandles.lookup(), "size", long.class);
    private static final VarHandle RESERVED = MethodHandles.arrayElementVarHandle(Long[].class);

    /** Tombstones a write reuses at most before its own work, so that a write stays O(1) amortized. */
    private static final int RECLAIM_PER_WRITE = 2;
    /**
     * Emptied chunks of the queue of removed entries kept for reuse (256 KiB at most): removals pile up between
     * grace periods (thousands per millisecond at full speed) and drain after each, and a queue that kept fewer
     * chunks than that swing would allocate on every swing.
     */
    private static final int SPARE_CHUNKS = 64;
    /** Smallest table. */
    private static final int MIN_CAPACITY = 16;
    /** {@code -Djrcu.map.checkReader=true}: get(reader, key) checks that the reader is the caller's of the domain. */
    private static final boolean CHECK_READER = Boolean.getBoolean("jrcu.map.checkReader");

    private final Rcu rcu;
    private final LibraryFlavor flavor;
    private final long missingValue;
    private final Reclamation reclamation;
    /** 0: unbounded. */
    private final int maxEntries;
    private final int minCapacity;
    private final long seed;
    /** The deliberately broken twin of the tests: a removed entry is reused before its grace period. */
    private final boolean brokenEarlyReuse;

    /** Current table; {@link LongTable#CLOSED} after close. Access: TABLE. */
    @SuppressWarnings("unused")
    private LongTable table;
    /** Entries in the map. Access: SIZE. */
    @SuppressWarnings("unused")
    private long size;
    /** Values of the reserved keys (index: their stored word), null when absent. Access: RESERVED. */
    private final Long[] reserved = new Long[(int) STATE_COUNT];
    private final AtomicLong offHeapBytes = new AtomicLong();

    private final ReentrantLock writeLock = new ReentrantLock();
    /**
     * DELETED entries ({@link LongTable#pendingEntry}) stamped with their cookies, in removal order (enqueued and
     * reclaimed under the writer lock; DEFER_QUEUE only).
     */
    private final DeferRing<Void> pendingSlots;
    /** Reserved keys present (writer lock). */
    private int reservedCount;
    /** Tables built after the first (writer lock). */
    private long resizes;
    /** Tables allocated: the next table's generation (writer lock, or the constructor). */
    private long tablesBuilt;

    private RcuLongMap(Builder b) {
        this.rcu = b.rcu;
        this.flavor = Bridge.flavorOf(b.rcu);
        if (!flavor.isOpen()) {
            throw new IllegalStateException("RcuLongMap on " + flavor.name() + ", which is closed or closing");
        }
        this.missingValue = b.missingValue;
        this.reclamation = b.reclamation;
        this.maxEntries = b.maxEntries;
        this.seed = b.seedSet ? b.seed : ThreadLocalRandom.current().nextLong();
        this.brokenEarlyReuse = b.brokenEarlyReuse;
        this.minCapacity = powerOfTwoFor(maxEntries > 0 ? maxEntries : b.initialCapacity);
        this.pendingSlots = DeferRing.ofLongs(rcu, this::reclaimed, new DeferRing.Settings("RcuLongMap",
                Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, true, false), SPARE_CHUNKS);
        LongTable t = allocate(minCapacity);
        TABLE.setRelease(this, t);   // release; pairs with the getAcquire in readers (this constructor's writes)
    }

    /**
     * A builder of a map on {@code rcu}.
     *
     * @param rcu the domain whose read sections protect lookups, not null
     * @return a builder with the defaults: unbounded, {@code DEFER_QUEUE}, missing value {@link Long#MIN_VALUE}
     */
    public static Builder builder(Rcu rcu) {
        return new Builder(Objects.requireNonNull(rcu, "rcu"));
    }

    /**
     * A map on {@code rcu} with the defaults.
     *
     * @param rcu the domain, not null and open
     * @return a new empty map
     * @throws IllegalStateException if the domain is closing or closed
     */
    public static RcuLongMap create(Rcu rcu) {
        return builder(rcu).build();
    }

    // ------------------------------------------------------------------ reads

    /**
     * The value of {@code key}, or {@link #missingValue()} if absent. Opens its own read section (inside a caller's
     * section, a nesting-depth increment). Wait-free; allocates nothing; takes no lock; writes no shared memory.
     *
     * @param key any key
     * @return its value, or the missing value
     * @throws IllegalStateException if the map is closed, or the calling thread may not read the domain (QSBR:
     *                               unregistered or offline; any flavor: the domain is closed)
     */
    public long get(long key) {
        rcu.readLock();
        try {
            return lookup(key);
        } finally {
            rcu.readUnlock();
        }
    }

    /**
     * As {@link #get(long)}, through a reader handle kept by the calling thread (no thread-local lookup).
     *
     * @param reader the calling thread's reader of this map's domain ({@link Rcu#reader()}); with another domain's
     *               reader the lookup is unprotected ({@code -Djrcu.map.checkReader=true} checks it)
     * @param key    any key
     * @return its value, or the missing value
     * @throws IllegalStateException as {@link #get(long)}, or if the reader is not the calling thread's
     */
    public long get(RcuReader reader, long key) {
        if (CHECK_READER && reader != rcu.reader()) {
            throw new IllegalStateException("RcuLongMap.get: " + reader + " is not the calling thread's reader of "
                    + flavor.name());
        }
        reader.readLock();
        try {
            return lookup(key);
        } finally {
            reader.readUnlock();
        }
    }

    /**
     * Whether {@code key} is present. As {@link #get(long)}.
     *
     * @param key any key
     * @return {@code true} if the map holds {@code key}
     * @throws IllegalStateException as {@link #get(long)}
     */
    public boolean containsKey(long key) {
        return get(key) != missingValue;
    }

    /** The lookup; the caller holds a read section. */
    private long lookup(long key) {
        LongTable t = (LongTable) TABLE.getAcquire(this);   // acquire; pairs with the setRelease of every table
        if (t == LongTable.CLOSED) {
            throw closed("get");
        }
        long stored = encode(key);
        if (isState(stored)) {
            Long v = (Long) RESERVED.getAcquire(reserved, (int) stored);   // acquire; pairs with writeReserved
            return v == null ? missingValue : v;
        }
        int mask = t.mask;
        int slot = (int) hash(key) & mask;
        for (int probes = 0; probes <= mask; probes++) {
            long word = t.keyAcquire(slot);
            if (word == stored) {
                return t.valueAcquire(slot);
            }
            if (word == EMPTY) {
                break;
            }
            slot = (slot + 1) & mask;
        }
        return missingValue;
    }

    /**
     * Calls {@code action} for every entry, inside one read section, over the table current when it starts: every
     * entry present for the whole traversal is seen exactly once; values may be stale, and an entry removed or added
     * meanwhile may be seen or not. The action may write to the map in {@code DEFER_QUEUE} mode; in {@code SYNC}
     * mode writes from it throw {@link IllegalStateException}. What the action throws ends the traversal and
     * propagates (the section is closed; the map is unchanged by it).
     *
     * @param action called with each key and value, not null
     * @throws IllegalStateException as {@link #get(long)}
     */
    public void forEach(LongLongConsumer action) {
        Objects.requireNonNull(action, "action");
        rcu.readLock();
        try {
            LongTable t = (LongTable) TABLE.getAcquire(this);   // acquire; pairs with the setRelease of every table
            if (t == LongTable.CLOSED) {
                throw closed("forEach");
            }
            for (int stored = 0; stored < STATE_COUNT; stored++) {
                Long v = (Long) RESERVED.getAcquire(reserved, stored);   // acquire; pairs with writeReserved
                if (v != null) {
                    action.accept(decode(stored), v);
                }
            }
            for (int slot = 0; slot < t.capacity; slot++) {
                long word = t.keyAcquire(slot);
                if (!isState(word)) {
                    action.accept(decode(word), t.valueAcquire(slot));
                }
            }
        } finally {
            rcu.readUnlock();
        }
    }

    /**
     * The number of entries (a moment's count: writes in progress may or may not be counted). Wait-free.
     *
     * @return entries in the map
     */
    public long size() {
        return (long) SIZE.getAcquire(this);   // acquire; pairs with the setRelease in publishSize
    }

    /**
     * Whether the map holds no entry. As {@link #size()}.
     *
     * @return {@code size() == 0}
     */
    public boolean isEmpty() {
        return size() == 0;
    }

    /**
     * The value {@link #get(long)} returns for an absent key; it may not be stored.
     *
     * @return the missing value of this map
     */
    public long missingValue() {
        return missingValue;
    }

    // ------------------------------------------------------------------ writes

    /**
     * Maps {@code key} to {@code value}. Blocking (the writer lock). In {@code DEFER_QUEUE} mode never waits for a
     * grace period; in a bounded map, when no entry is free, it first reclaims what has passed its grace period.
     *
     * @param key   any key
     * @param value any value but the missing value
     * @return the previous value, or the missing value
     * @throws IllegalArgumentException if {@code value} is the missing value
     * @throws IllegalStateException    if the map is closed, its domain is closing or closed, the map is bounded and
     *                                  full (the message names the limit and the pending count), called from
     *                                  {@link #compute}'s function, or in {@code SYNC} mode inside a read section
     */
    public long put(long key, long value) {
        return write(key, 0, value, PUT, "put");
    }

    /**
     * As {@link #put} in a bounded map that may be full, without the exception: {@code false} when no entry is free
     * after reclaiming (DPDK's {@code -ENOSPC}).
     *
     * @param key   any key
     * @param value any value but the missing value
     * @return {@code true} if {@code key} now maps to {@code value}
     * @throws IllegalArgumentException if {@code value} is the missing value
     * @throws IllegalStateException    as {@link #put}, but for a full map
     */
    public boolean tryPut(long key, long value) {
        return write(key, 0, value, TRY_PUT, "tryPut") == STORED;
    }

    /**
     * Maps {@code key} to {@code value} if it is absent. As {@link #put}.
     *
     * @param key   any key
     * @param value any value but the missing value
     * @return the present value (unchanged), or the missing value if {@code value} was stored
     * @throws IllegalArgumentException if {@code value} is the missing value
     * @throws IllegalStateException    as {@link #put}
     */
    public long putIfAbsent(long key, long value) {
        return write(key, 0, value, PUT_IF_ABSENT, "putIfAbsent");
    }

    /**
     * Replaces the value of {@code key} if present. As {@link #put}, but never inserts.
     *
     * @param key   any key
     * @param value any value but the missing value
     * @return the previous value, or the missing value if absent (nothing stored)
     * @throws IllegalArgumentException if {@code value} is the missing value
     * @throws IllegalStateException    as {@link #put}
     */
    public long replace(long key, long value) {
        return write(key, 0, value, REPLACE, "replace");
    }

    /**
     * Replaces the value of {@code key} if it is {@code expected}. As {@link #replace(long, long)}.
     *
     * @param key      any key
     * @param expected the value to replace
     * @param value    any value but the missing value
     * @return {@code true} if replaced
     * @throws IllegalArgumentException if {@code value} is the missing value
     * @throws IllegalStateException    as {@link #put}
     */
    public boolean replace(long key, long expected, long value) {
        return write(key, expected, value, REPLACE_EXPECTED, "replace") == STORED;
    }

    /**
     * Removes {@code key}. Blocking (the writer lock); in {@code SYNC} mode also waits for a grace period, after
     * which the removed entry is free again.
     *
     * @param key any key
     * @return the removed value, or the missing value if absent
     * @throws IllegalStateException as {@link #put}
     */
    public long remove(long key) {
        return removeIf(key, false, 0, "remove");
    }

    /**
     * Removes {@code key} if it maps to {@code value}. As {@link #remove(long)}.
     *
     * @param key   any key
     * @param value the value it must have
     * @return {@code true} if removed
     * @throws IllegalStateException as {@link #put}
     */
    public boolean remove(long key, long value) {
        if (value == missingValue) {
            checkWritable("remove");
            return false;
        }
        return removeIf(key, true, value, "remove") != missingValue;
    }

    /**
     * Sets the value of {@code key} to {@code function.applyAsLong(key, current)}, where current is the missing
     * value if absent; a result equal to the missing value removes the key (or leaves it absent). The function runs
     * exactly once, under the writer lock: it must be short and must not write to this map (that throws
     * {@link IllegalStateException}). What it throws propagates, the map unchanged. Otherwise as {@link #put}.
     *
     * @param key      any key
     * @param function computes the new value from the key and the current value, not null
     * @return the new value, or the missing value if the key is now absent
     * @throws IllegalStateException as {@link #put}
     */
    public long compute(long key, LongBinaryOperator function) {
        Objects.requireNonNull(function, "function");
        return compute(key, function, "compute");
    }

    /**
     * Removes every entry: the current table is replaced by an empty one of the smallest size, and released after a
     * grace period. As {@link #put} for threads and misuse.
     *
     * @throws IllegalStateException as {@link #put}
     */
    public void clear() {
        LongTable old;
        lock("clear");
        try {
            LongTable t = current();
            for (int stored = 0; stored < STATE_COUNT; stored++) {
                writeReserved(stored, null);
            }
            reservedCount = 0;
            LongTable next = allocate(minCapacity);
            old = publish(t, next);
            publishSize(0);
        } finally {
            unlock();
        }
        retire(old);
    }

    // ------------------------------------------------------------------ lifecycle and stats

    /**
     * The map's counters, read under the writer lock (blocking).
     *
     * @return entries, capacity, off-heap bytes, entries pending reclamation, resizes; zeros but the off-heap bytes
     *         still held after close
     */
    public Stats stats() {
        writeLock.lock();
        try {
            LongTable t = (LongTable) TABLE.getAcquire(this);   // acquire; pairs with the setRelease of every table
            return new Stats(size(), t.capacity, offHeapBytes.get(), t.pending, resizes);
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Closes the map: later lookups, traversals and writes throw {@link IllegalStateException} ({@link #size()} is
     * 0, {@link #stats()} and this method still work); the off-heap memory is released after a grace period (through
     * the domain's callbacks; at once if the domain is closed). Idempotent. Blocking (the writer lock); never waits
     * for a grace period.
     *
     * @throws IllegalStateException if called from {@link #compute}'s function
     */
    @Override
    public void close() {
        LongTable old;
        writeLock.lock();
        try {
            if (writeLock.getHoldCount() > 1) {
                throw new IllegalStateException("RcuLongMap.close from inside compute's function");
            }
            old = (LongTable) TABLE.getAcquire(this);   // acquire; pairs with the setRelease of every table
            if (old == LongTable.CLOSED) {
                return;
            }
            for (int stored = 0; stored < STATE_COUNT; stored++) {
                writeReserved(stored, null);
            }
            reservedCount = 0;
            TABLE.setRelease(this, LongTable.CLOSED);   // release; pairs with the getAcquire in readers
            publishSize(0);
        } finally {
            writeLock.unlock();
        }
        retire(old);
    }

    /**
     * A {@link ConcurrentMap} view: null for the missing value, {@link NullPointerException} for null keys and values,
     * storing the missing value an {@link IllegalArgumentException}. Its iterators are weakly consistent: they walk a
     * copy taken by {@link #forEach} when they are created. Boxing happens only in the view.
     *
     * @return a view backed by this map
     */
    public ConcurrentMap<Long, Long> asMap() {
        return new RcuLongMapView(this);
    }

    @Override
    public String toString() {
        return "RcuLongMap[" + flavor.name() + ", " + reclamation + ", size " + size()
                + (maxEntries > 0 ? ", maxEntries " + maxEntries : "") + "]";
    }

    // ------------------------------------------------------------------ the write path (writer lock)

    private static final int PUT = 0;
    private static final int TRY_PUT = 1;
    private static final int PUT_IF_ABSENT = 2;
    private static final int REPLACE = 3;
    private static final int REPLACE_EXPECTED = 4;
    /** What write returns in the modes TRY_PUT and REPLACE_EXPECTED when it stored the value, else NOT_STORED. */
    private static final long STORED = 1;
    private static final long NOT_STORED = 0;

    /**
     * put, tryPut, putIfAbsent and both replace forms. Returns the previous value or the missing value; TRY_PUT and
     * REPLACE_EXPECTED return STORED or NOT_STORED.
     */
    private long write(long key, long expected, long value, int mode, String operation) {
        checkValue(value);
        lock(operation);
        try {
            LongTable t = current();
            long stored = encode(key);
            boolean flag = mode == TRY_PUT || mode == REPLACE_EXPECTED;
            if (isState(stored)) {
                Long boxed = reservedValue(stored);
                long old = boxed == null ? missingValue : boxed;
                boolean store = switch (mode) {
                    case PUT_IF_ABSENT -> boxed == null && haveRoom(t, mode);
                    case REPLACE -> boxed != null;
                    case REPLACE_EXPECTED -> boxed != null && old == expected;
                    default -> boxed != null || haveRoom(t, mode);
                };
                if (store) {
                    writeReserved((int) stored, value);
                    if (boxed == null) {
                        reservedCount++;
                        publishSize(size() + 1);
                    }
                }
                return flag ? (store ? STORED : NOT_STORED) : old;
            }
            reclaimPassed(RECLAIM_PER_WRITE);
            int found = find(t, stored, key);
            if (found >= 0) {
                long old = t.valuePlain(found);
                boolean store = mode != PUT_IF_ABSENT && (mode != REPLACE_EXPECTED || old == expected);
                if (store) {
                    t.valueRelease(found, value);   // release; pairs with the valueAcquire in readers
                }
                return flag ? (store ? STORED : NOT_STORED) : old;
            }
            if (mode == REPLACE || mode == REPLACE_EXPECTED) {
                return flag ? NOT_STORED : missingValue;
            }
            if (!haveRoom(t, mode)) {
                return NOT_STORED;
            }
            insert(t, stored, key, value);
            return flag ? STORED : missingValue;
        } finally {
            unlock();
        }
    }

    private long compute(long key, LongBinaryOperator function, String operation) {
        int removedSlot;
        LongTable removedFrom;
        lock(operation);
        try {
            LongTable t = current();
            long stored = encode(key);
            if (isState(stored)) {
                Long boxed = reservedValue(stored);
                long old = boxed == null ? missingValue : boxed;
                long next = function.applyAsLong(key, old);
                if (next == old) {
                    return next;
                }
                if (boxed == null) {
                    haveRoom(t, PUT);
                }
                writeReserved((int) stored, next == missingValue ? null : next);
                int delta = (boxed == null ? 1 : 0) - (next == missingValue ? 1 : 0);
                reservedCount += delta;
                publishSize(size() + delta);
                return next;
            }
            reclaimPassed(RECLAIM_PER_WRITE);
            int found = find(t, stored, key);
            long old = found >= 0 ? t.valuePlain(found) : missingValue;
            long next = function.applyAsLong(key, old);
            if (next == old) {
                return next;
            }
            if (found < 0) {
                haveRoom(t, PUT);
                insert(t, stored, key, next);
                return next;
            }
            if (next != missingValue) {
                t.valueRelease(found, next);   // release; pairs with the valueAcquire in readers
                return next;
            }
            unlink(t, found);
            removedSlot = found;
            removedFrom = t;
        } finally {
            unlock();
        }
        afterUnlink(removedFrom, removedSlot);
        return missingValue;
    }

    /** Removes {@code key} (if {@code matchValue}, only when it maps to {@code expected}); returns the old value. */
    private long removeIf(long key, boolean matchValue, long expected, String operation) {
        long old;
        int slot;
        LongTable t;
        lock(operation);
        try {
            t = current();
            long stored = encode(key);
            if (isState(stored)) {
                Long boxed = reservedValue(stored);
                if (boxed == null || matchValue && boxed != expected) {
                    return missingValue;
                }
                writeReserved((int) stored, null);
                reservedCount--;
                publishSize(size() - 1);
                return boxed;
            }
            reclaimPassed(RECLAIM_PER_WRITE);
            slot = find(t, stored, key);
            if (slot < 0) {
                return missingValue;
            }
            old = t.valuePlain(slot);
            if (matchValue && old != expected) {
                return missingValue;
            }
            unlink(t, slot);
        } finally {
            unlock();
        }
        afterUnlink(t, slot);
        return old;
    }

    /** Turns a live entry into a tombstone and queues it (DEFER_QUEUE); may shrink the table (writer lock). */
    private void unlink(LongTable t, int slot) {
        t.keyRelease(slot, DELETED);   // release; pairs with the keyAcquire in readers (the entry is gone)
        t.live--;
        t.pending++;
        publishSize(size() - 1);
        if (brokenEarlyReuse) {
            markFree(t, slot);   // the broken twin: reusable before any grace period
        } else if (reclamation == Reclamation.DEFER_QUEUE) {
            try {
                pendingSlots.enqueueLong(t.pendingEntry(slot));   // the cookie is taken after the DELETED store
            } catch (IllegalStateException domainClosing) {
                // the entry stays DELETED: never reused in this table, dropped by the next rebuild
            }
        }
        if (maxEntries == 0 && t.capacity > minCapacity && t.live < t.capacity / 8) {
            retireLater(t);
            rebuild(t, capacityFor(t.live));
        }
    }

    /** SYNC mode, after unlock: waits for a grace period, then frees the entry if its table is still current. */
    private void afterUnlink(LongTable t, int slot) {
        if (reclamation != Reclamation.SYNC) {
            return;
        }
        rcu.synchronize();
        writeLock.lock();
        try {
            if (current() == t && t.keyPlain(slot) == DELETED) {
                markFree(t, slot);
            }
        } finally {
            writeLock.unlock();
        }
    }

    /**
     * Whether a new entry fits: in a bounded map, live + pending below the limit after reclaiming what has passed
     * (and one non-blocking attempt to advance the oldest cookie). A full map throws for put, returns false for
     * tryPut. Writer lock.
     */
    private boolean haveRoom(LongTable t, int mode) {
        if (maxEntries == 0 || t.live + reservedCount + t.pending < maxEntries) {
            return true;
        }
        pendingSlots.reclaimSome(Integer.MAX_VALUE, true);   // out of room: whatever it takes, short of waiting
        if (t.live + reservedCount + t.pending < maxEntries) {
            return true;
        }
        pendingSlots.requestOldest();   // the domain thread drives the oldest entry's grace period from now on
        if (mode == TRY_PUT) {
            return false;
        }
        throw new IllegalStateException("RcuLongMap is full: maxEntries " + maxEntries + ", entries "
                + (t.live + reservedCount) + ", entries pending reclamation " + t.pending);
    }

    /** Inserts a key known absent (writer lock); rebuilds the table first if the insert would fill it. */
    private void insert(LongTable t, long stored, long key, long value) {
        int found = find(t, stored, key);
        int slot = -1 - found;
        if (found == NO_SLOT || t.keyPlain(slot) == EMPTY && t.used + 1 > t.maxUsed) {
            reclaimPassed(Integer.MAX_VALUE);
            if (t.used + 1 > t.maxUsed) {
                retireLater(t);
                t = rebuild(t, capacityFor(t.live + 1));
            }
            slot = -1 - find(t, stored, key);
        }
        if (t.keyPlain(slot) == EMPTY) {
            t.used++;
        }
        t.live++;
        t.valuePlain(slot, value);       // unreachable until the key's release store below
        t.keyRelease(slot, stored);      // release; pairs with the keyAcquire in readers (publishes the value)
        publishSize(size() + 1);
    }

    private static final int NO_SLOT = Integer.MIN_VALUE;

    /**
     * The slot holding {@code stored}, else {@code -1 - s} where s is where an insert goes (the first FREE entry of
     * the probe, else the EMPTY that ended it), else {@link #NO_SLOT}. Writer lock.
     */
    private int find(LongTable t, long stored, long key) {
        int mask = t.mask;
        int slot = (int) hash(key) & mask;
        int firstFree = -1;
        for (int probes = 0; probes <= mask; probes++) {
            long word = t.keyPlain(slot);
            if (word == stored) {
                return slot;
            }
            if (word == EMPTY) {
                return -1 - (firstFree >= 0 ? firstFree : slot);
            }
            if (word == FREE && firstFree < 0) {
                firstFree = slot;
            }
            slot = (slot + 1) & mask;
        }
        return firstFree >= 0 ? -1 - firstFree : NO_SLOT;
    }

    /**
     * Frees up to {@code max} tombstones whose grace period has passed, oldest first, completing a grace period
     * already started but starting none (writer lock).
     */
    private void reclaimPassed(int max) {
        pendingSlots.reclaimSome(max, false);
    }

    /** The ring's free function (writer lock: the map reclaims only under it): frees the current table's entries. */
    private void reclaimed(long[] entries, int count) {
        LongTable t = current();
        for (int i = 0; i < count; i++) {
            if (t.holds(entries[i])) {
                markFree(t, LongTable.slotOf(entries[i]));
            }
        }
    }

    /** A DELETED entry whose grace period has passed becomes FREE, or EMPTY with its FREE run (writer lock). */
    private void markFree(LongTable t, int slot) {
        t.pending--;
        int mask = t.mask;
        if (t.keyPlain((slot + 1) & mask) != EMPTY) {
            t.keyRelease(slot, FREE);   // release; pairs with the keyAcquire in readers (still not a key)
            return;
        }
        t.keyRelease(slot, EMPTY);   // release; pairs with the keyAcquire in readers (invariant 2 holds)
        t.used--;
        for (int s = (slot - 1) & mask; t.keyPlain(s) == FREE; s = (s - 1) & mask) {
            t.keyRelease(s, EMPTY);   // release; as above
            t.used--;
        }
    }

    /**
     * Builds a table of {@code capacity} with the live entries of {@code t} and publishes it (writer lock). The
     * caller retires {@code t} once it has released the lock. Pending entries die with {@code t}.
     */
    private LongTable rebuild(LongTable t, int capacity) {
        LongTable next = allocate(capacity);
        for (int slot = 0; slot < t.capacity; slot++) {
            long word = t.keyPlain(slot);
            if (!isState(word)) {
                int to = (int) hash(decode(word)) & next.mask;
                while (next.keyPlain(to) != EMPTY) {
                    to = (to + 1) & next.mask;
                }
                next.valuePlain(to, t.valuePlain(slot));
                next.keyRelease(to, word);   // unpublished table; the table's setRelease publishes it
            }
        }
        next.live = t.live;
        next.used = t.live;
        publish(t, next);
        return next;
    }

    /** Makes {@code next} current (writer lock); returns the old table, for the caller to retire after unlock. */
    private LongTable publish(LongTable old, LongTable next) {
        TABLE.setRelease(this, next);   // release; pairs with the getAcquire in readers (next's entries)
        resizes++;
        return old;
    }

    /** A table replaced under the lock, retired by {@link #unlock()} (writer lock; at most one per write). */
    private LongTable retiredUnderLock;

    private void retireLater(LongTable old) {
        assert retiredUnderLock == null;
        retiredUnderLock = old;
    }

    /** Releases the writer lock, then retires the table the write replaced, if any. */
    private void unlock() {
        LongTable old = retiredUnderLock;
        retiredUnderLock = null;
        writeLock.unlock();
        retire(old);
    }

    /** Releases {@code t}'s memory after a grace period (no lock held). */
    private void retire(LongTable t) {
        if (t == null || t == LongTable.CLOSED) {
            return;
        }
        if (flavor.isClosed()) {
            free(t);
            return;
        }
        try {
            rcu.call(() -> free(t));
        } catch (IllegalStateException closing) {
            flavor.checkCanBlock("RcuLongMap releasing a table while " + flavor.name() + " closes");
            flavor.awaitGracePeriodOrClose();
            free(t);
        }
    }

    private void free(LongTable t) {
        t.arena.close();
        offHeapBytes.addAndGet(-t.bytes());
    }

    private LongTable allocate(int capacity) {
        LongTable t = new LongTable(capacity, tablesBuilt++);
        offHeapBytes.addAndGet(t.bytes());
        return t;
    }

    // ------------------------------------------------------------------ helpers

    /** Takes the writer lock after the checks every write makes; throws with the lock released. */
    private void lock(String operation) {
        if (writeLock.isHeldByCurrentThread()) {
            throw new IllegalStateException("RcuLongMap." + operation + " from inside compute's function");
        }
        checkWritable(operation);
        writeLock.lock();
        if (TABLE.getAcquire(this) == LongTable.CLOSED) {   // acquire; pairs with the setRelease in close
            writeLock.unlock();
            throw closed(operation);
        }
    }

    private void checkWritable(String operation) {
        if (TABLE.getAcquire(this) == LongTable.CLOSED) {   // acquire; pairs with the setRelease in close
            throw closed(operation);
        }
        if (!flavor.isOpen()) {
            throw new IllegalStateException("RcuLongMap." + operation + " on a map of " + flavor.name()
                    + ", which is closed or closing");
        }
        if (reclamation == Reclamation.SYNC) {
            flavor.checkCanBlock("RcuLongMap." + operation + " in SYNC mode");
        }
    }

    /** The current table (writer lock, checked open). */
    private LongTable current() {
        return (LongTable) TABLE.getAcquire(this);   // acquire; pairs with the setRelease of every table
    }

    private void checkValue(long value) {
        if (value == missingValue) {
            throw new IllegalArgumentException("RcuLongMap cannot store its missing value " + value);
        }
    }

    private Long reservedValue(long stored) {
        return reserved[(int) stored];   // writer lock: the last writer's store
    }

    private void writeReserved(int stored, Long value) {
        RESERVED.setRelease(reserved, stored, value);   // release; pairs with the getAcquire in lookup / forEach
    }

    private void publishSize(long n) {
        SIZE.setRelease(this, n);   // release; pairs with the getAcquire in size()
    }

    private IllegalStateException closed(String operation) {
        return new IllegalStateException("RcuLongMap." + operation + " on a closed map (domain " + flavor.name()
                + ")");
    }

    private long hash(long key) {
        long h = key ^ seed;
        h = (h ^ (h >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return h ^ (h >>> 33);
    }

    /** Capacity of a table rebuilt for {@code entries} live entries: a bounded map keeps its size. */
    private int capacityFor(long entries) {
        return maxEntries > 0 ? minCapacity : Math.max(minCapacity, powerOfTwoFor(entries));
    }

    /** Capacity whose live entries fill at most half: a power of two, at least the smallest table. */
    private static int powerOfTwoFor(long entries) {
        if (entries > MAX_CAPACITY / 2) {
            throw new IllegalStateException("RcuLongMap cannot hold " + entries + " entries (largest table "
                    + MAX_CAPACITY + " entries, at most half live)");
        }
        int atLeast = (int) Math.max(MIN_CAPACITY, 2 * entries);
        int capacity = Integer.highestOneBit(atLeast);
        return capacity < atLeast ? capacity << 1 : capacity;
    }

    /** Builds an {@link RcuLongMap}. Not thread-safe. */
    public static final class Builder {
        private final Rcu rcu;
        private int initialCapacity;
        private int maxEntries;
        private Reclamation reclamation = Reclamation.DEFER_QUEUE;
        private long missingValue = Long.MIN_VALUE;
        private long seed;
        private boolean seedSet;
        private boolean brokenEarlyReuse;

        private Builder(Rcu rcu) {
            this.rcu = rcu;
        }

        /**
         * Entries the first table holds without a rebuild (unbounded maps; a bounded map sizes for its limit).
         *
         * @param entries at least 0
         * @return this builder
         * @throws IllegalArgumentException if negative or above 2^29
         */
        public Builder initialCapacity(int entries) {
            if (entries < 0 || entries > MAX_CAPACITY / 2) {
                throw new IllegalArgumentException("initialCapacity " + entries + " not in [0, " + MAX_CAPACITY / 2
                        + "]");
            }
            this.initialCapacity = entries;
            return this;
        }

        /**
         * Bounds the map: live entries plus removed entries waiting for their grace period never exceed
         * {@code entries}; the table never grows past its first size. A full map's {@link #put} throws,
         * {@link #tryPut} returns false.
         *
         * @param entries at least 1, at most 2^29
         * @return this builder
         * @throws IllegalArgumentException if out of range
         */
        public Builder maxEntries(int entries) {
            if (entries < 1 || entries > MAX_CAPACITY / 2) {
                throw new IllegalArgumentException("maxEntries " + entries + " not in [1, " + MAX_CAPACITY / 2
                        + "]");
            }
            this.maxEntries = entries;
            return this;
        }

        /**
         * How removed entries wait for their grace period; {@link Reclamation#DEFER_QUEUE} by default.
         *
         * @param mode not null
         * @return this builder
         */
        public Builder reclamation(Reclamation mode) {
            this.reclamation = Objects.requireNonNull(mode, "reclamation");
            return this;
        }

        /**
         * The value lookups return for an absent key, which may not be stored; {@link Long#MIN_VALUE} by default.
         *
         * @param value any value
         * @return this builder
         */
        public Builder missingValue(long value) {
            this.missingValue = value;
            return this;
        }

        /**
         * The seed of the key hash (random per map by default): a fixed seed makes the layout reproducible.
         *
         * @param seed any value
         * @return this builder
         */
        public Builder hashSeed(long seed) {
            this.seed = seed;
            this.seedSet = true;
            return this;
        }

        /** Tests only: builds the broken twin, which reuses a removed entry before its grace period has passed. */
        Builder brokenEarlyReuse() {
            this.brokenEarlyReuse = true;
            return this;
        }

        /**
         * A new empty map with these options.
         *
         * @return the map
         * @throws IllegalStateException if the domain is closing or closed
         * @throws OutOfMemoryError      if the first table cannot be allocated
         */
        public RcuLongMap build() {
            return new RcuLongMap(this);
        }
    }

}
