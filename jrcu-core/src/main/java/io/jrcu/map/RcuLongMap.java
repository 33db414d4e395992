package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongBinaryOperator;

import static io.jrcu.map.LongMapWriter.PUT;
import static io.jrcu.map.LongMapWriter.PUT_IF_ABSENT;
import static io.jrcu.map.LongMapWriter.REPLACE;
import static io.jrcu.map.LongMapWriter.REPLACE_EXPECTED;
import static io.jrcu.map.LongMapWriter.STORED;
import static io.jrcu.map.LongMapWriter.TRY_PUT;
import static io.jrcu.map.RcuLongMapDescriptor.EMPTY;
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
public final class RcuLongMap extends TableMap implements AutoCloseable {
    /*
     * Design (liburcu rculfhash's flavor parameter and removal with call_rcu, DPDK rte_hash's key-store slots freed
     * through a token FIFO, QEMU's resizable array published as a copy). This class is the facade: the read path,
     * the lifecycle and the public write methods, which check their arguments and call the writer (LongMapWriter:
     * the write path under the writer lock, the rebuild and release of tables; its overview has the writes'
     * pseudocode and the invariants (1)-(3) lookups rely on). Removed entries are reclaimed by its EntryReclaimer.
     *
     *   get(k):   readLock; t = table (acquire); slot = hash(k) & mask
     *             loop at most capacity times: w = key(slot) (acquire)
     *                 w == enc(k): return value(slot) (acquire);  w == EMPTY: return missing;  else slot++
     *             readUnlock
     *
     * A lookup touches the map's own final fields, the table reference and the table's entries: nothing of the
     * writer. The writer stores the fields readers load through the accessors below (srTable, srSize, srReserved).
     *
     * Memory ordering (every non-plain access and its partner; every store is the writer's, under its lock):
     *   table      srTable in the writer (constructor, publish, close)  pairs with  laTable in lookup / forEach and
     *              (the new table's entries, written plainly before,                in the writer's checks
     *              are visible to whoever loads it)
     *   key word   keyRelease in insert / unlink, EntryReclaimer's      pairs with  keyAcquire(Checked) in lookup /
     *              markFree                                                         forEach: a reader that sees a key
     *                                                                               sees the value stored before it
     *   value word valueRelease in write / compute (a live key)         pairs with  valueAcquire(Checked) in lookup /
     *                                                                               forEach, after the key's acquire
     *   reserved   srReserved (a reserved key's box)                    pairs with  getAcquire in lookup / forEach
     *   size       srSize (TableMap)                                    pairs with  laSize in size()
     *   Writer lock: writers see each other's plain writes (entries, counters, FIFO). The grace period orders a
     *   reader's loads before the reuse of an entry it saw (deferCookie: the DELETED store happens before it).
     *
     * Nothing is padded: the size and the reserved values are written under the writer lock only, the writer's own
     * fields live in LongMapWriter, and readers read the final fields and the table reference, which changes only on
     * a rebuild.
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

    private static final VarHandle RESERVED = MethodHandles.arrayElementVarHandle(Long[].class);

    private final long missingValue;
    private final long seed;

    /** Values of the reserved keys (index: their stored word), null when absent. Access: RESERVED. */
    private final Long[] reserved = new Long[(int) STATE_COUNT];

    /** The write path, the reclamation of removed entries and the tables' lifecycle. */
    private final LongMapWriter writer;

    private RcuLongMap(Builder b) {
        super("RcuLongMap", b.rcu);
        this.missingValue = b.missingValue;
        this.seed = b.seedSet ? b.seed : ThreadLocalRandom.current().nextLong();
        // last: publishes the first table
        this.writer = new LongMapWriter(this, missingValue, b.reclamation, b.maxEntries,
                b.initialCapacity, b.brokenEarlyReuse);
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
        RcuReader reader = rcu.reader();   // one lookup of the caller's reader for both ends
        reader.readLock();
        try {
            return lookup(key);
        } finally {
            reader.readUnlock();
        }
    }

    /**
     * As {@link #get(long)}, through a reader handle kept by the calling thread (no lookup of the caller's reader).
     *
     * @param reader the calling thread's reader of this map's domain ({@link Rcu#reader()})
     * @param key    any key
     * @return its value, or the missing value
     * @throws IllegalStateException    as {@link #get(long)}, or if the reader is not the calling thread's
     * @throws IllegalArgumentException if the reader is of another domain (its section would not protect the
     *                                  lookup)
     * @throws NullPointerException     if the reader is null
     */
    public long get(RcuReader reader, long key) {
        if (!flavor.owns(reader)) {   // the lookup reads the table only inside a section of this domain
            throw notOurReader(reader);
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

    private RuntimeException notOurReader(RcuReader reader) {
        if (reader == null) {
            return new NullPointerException("reader");
        }
        return new IllegalArgumentException("RcuLongMap.get: " + reader + " is not a reader of " + flavor.name()
                + ", the map's domain");
    }

    /** The lookup; the caller holds a read section. */
    private long lookup(long key) {
        LongTable t = laTable();
        if (t == LongTable.CLOSED) {
            throw closed("get");
        }
        long stored = encode(key);
        if (isState(stored)) {
            Long v = (Long) RESERVED.getAcquire(reserved, (int) stored);   // acquire; pairs with srReserved
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
            LongTable t = laTable();
            if (t == LongTable.CLOSED) {
                throw closed("forEach");
            }
            for (int stored = 0; stored < STATE_COUNT; stored++) {
                Long v = (Long) RESERVED.getAcquire(reserved, stored);   // acquire; pairs with srReserved
                if (v != null) {
                    action.accept(decode(stored), v);
                }
            }
            for (int slot = 0; slot < t.capacity; slot++) {
                long word = t.keyAcquireChecked(slot);   // checked: the action runs between the loads
                if (!isState(word)) {
                    action.accept(decode(word), t.valueAcquireChecked(slot));
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
        return laSize();
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
        return writer.write(key, 0, value, PUT, "put");
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
        return writer.write(key, 0, value, TRY_PUT, "tryPut") == STORED;
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
        return writer.write(key, 0, value, PUT_IF_ABSENT, "putIfAbsent");
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
        return writer.write(key, 0, value, REPLACE, "replace");
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
        return writer.write(key, expected, value, REPLACE_EXPECTED, "replace") == STORED;
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
        return writer.removeIf(key, false, 0, "remove");
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
            writer.checkWritable("remove");
            return false;
        }
        return writer.removeIf(key, true, value, "remove") != missingValue;
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
        return writer.compute(key, function, "compute");
    }

    /**
     * Removes every entry: the current table is replaced by an empty one of the smallest size, and released after a
     * grace period. As {@link #put} for threads and misuse.
     *
     * @throws IllegalStateException as {@link #put}
     */
    public void clear() {
        writer.clear();
    }

    // ------------------------------------------------------------------ lifecycle and stats

    /**
     * The map's counters, read under the writer lock (blocking).
     *
     * @return entries, capacity, off-heap bytes, entries pending reclamation, resizes; zeros but the off-heap bytes
     *         still held after close
     */
    public Stats stats() {
        return writer.stats();
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
        writer.close();
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
        return "RcuLongMap[" + flavor.name() + ", " + writer.reclamation + ", size " + size()
                + (writer.maxEntries > 0 ? ", maxEntries " + writer.maxEntries : "") + "]";
    }

    // ------------------------------------------------------------------ what the writer and the readers share

    /** The value of a reserved key, or null (writer lock: the last writer's store). */
    Long lpReserved(int stored) {
        return reserved[stored];
    }

    void srReserved(int stored, Long value) {
        RESERVED.setRelease(reserved, stored, value);   // release; pairs with the getAcquire in lookup / forEach
    }


    /** The seeded hash of {@code key} (MurmurHash3's 64-bit finalizer). */
    long hash(long key) {
        long h = key ^ seed;
        h = (h ^ (h >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;
        h = (h ^ (h >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return h ^ (h >>> 33);
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
