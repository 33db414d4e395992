package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.arena.ArenaStats;
import io.jrcu.arena.RcuArena;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiConsumer;

import static io.jrcu.map.BytesMapWriter.PUT;
import static io.jrcu.map.BytesMapWriter.PUT_IF_ABSENT;
import static io.jrcu.map.BytesMapWriter.REPLACE;
import static io.jrcu.map.RcuBytesMapDescriptor.KEY_OFFSET;
import static io.jrcu.map.RcuBytesMapDescriptor.home;
import static io.jrcu.map.RcuBytesMapDescriptor.keyLength;
import static io.jrcu.map.RcuBytesMapDescriptor.recordBytes;
import static io.jrcu.map.RcuBytesMapDescriptor.valueAddress;
import static io.jrcu.map.RcuBytesMapDescriptor.valueLength;
import static io.jrcu.map.RcuLongMapDescriptor.EMPTY;
import static io.jrcu.map.RcuLongMapDescriptor.MAX_CAPACITY;
import static io.jrcu.map.RcuLongMapDescriptor.isState;

/**
 * An off-heap hash map from byte keys to byte values whose lookups run inside read sections of an RCU domain: they
 * never lock, allocate or write shared memory. Keys and values are stored in the map's own {@link RcuArena}; the
 * caller's arrays, buffers and segments are copied in and never kept. Built on a domain the application owns:
 *
 * <pre>{@code
 * Rcu rcu = Rcu.memb();
 * try (RcuBytesMap map = RcuBytesMap.builder(rcu).initialCapacity(1 << 20).build()) {
 *     map.put(key, serializedRecord);
 *     byte[] buffer = new byte[4096];
 *     int n = map.get(key, buffer);       // copies the value out: its length, or -1 if absent
 *     try (ReadSection s = rcu.read()) {
 *         MemorySegment v = map.get(key); // a read-only view of the stored value, valid until the section ends
 *     }
 * }
 * }</pre>
 *
 * <p><b>View or copy.</b> {@link #get(byte[])} returns a view of the stored bytes without copying, and only inside a
 * read section of the map's domain: the view is valid until that section ends. Using it afterwards is a breach of the
 * RCU contract: the bytes may have been replaced by another record (with {@link RcuBytesMapBuilder#debugArena
 * debugArena}, by {@link RcuArena#POISON} bytes); after {@link #close()} it throws {@link IllegalStateException}. Code
 * that keeps the bytes, or reads them outside a section, copies them out with {@link #get(byte[], byte[])}, which
 * opens its own section.
 *
 * <p><b>Layout.</b> An index of 16-byte {@code {hash word, record address}} entries, the same table as
 * {@link RcuLongMap}'s (open addressing, linear probing, a live entry never moves, removed entries reused after a
 * grace period, capacity growing and shrinking by itself, 32 index bytes per entry at the rebuild target); each key
 * and its value are one record {@code {key length, value length, key, value}} in the arena, rounded up to its size
 * class ({@link RcuBytesMapDescriptor}). Nothing on the heap per entry. A new value is a new record; the old record
 * goes back to the arena through {@link RcuArena#free}, reused only after a grace period.
 *
 * <p><b>Threads.</b> Lookups are wait-free (bounded by the capacity and the key's length) and may run on any thread
 * that may open a read section of the domain (QSBR: a registered online thread; others get
 * {@link IllegalStateException}). Writes take one writer lock (blocking; readers never wait for writers); in
 * {@code DEFER_QUEUE} mode a write never waits for a grace period and may run inside a read section. A reader never
 * sees a torn value, another key's value or freed memory, and never misses a key present for its whole lookup.
 *
 * <p><b>Memory consistency effects.</b> A write of a value happens-before a lookup that returns its bytes.
 *
 * <p><b>Limits.</b> Keys of at most {@link RcuBytesMapBuilder#maxKeyBytes} bytes (default
 * {@value #DEFAULT_MAX_KEY_BYTES}), values of at most {@link RcuBytesMapBuilder#maxValueBytes} bytes (default
 * {@value #DEFAULT_MAX_VALUE_BYTES}); longer input is an {@link IllegalArgumentException}, {@code null} a
 * {@link NullPointerException}. A {@link ByteBuffer}'s bytes are those from its position to its limit (its position
 * is not changed).
 *
 * <p><b>Native access.</b> Records are read through a segment spanning the address space (bound to the map's life:
 * reads after {@link #close()} throw), made by a restricted method: grant native access ({@code
 * --enable-native-access=io.jrcu}, or {@code ALL-UNNAMED}), or the first map built prints the JDK's warning (with
 * {@code --illegal-native-access=deny} it throws the JDK's {@link IllegalCallerException} and leaves nothing behind).
 */
public final class RcuBytesMap extends TableMap implements AutoCloseable {
    /*
     * Design: RcuLongMap's (its overview and LongMapWriter's have the index's algorithm and invariants), with the
     * value word of an index entry holding the address of an immutable record in the map's RcuArena. This class is
     * the facade: the read path, the lifecycle and the public methods, which check their arguments and call the
     * writer (BytesMapWriter).
     *
     *   find(k):  t = table (acquire); w = hashWord(k); slot = home(w)
     *             loop at most capacity times: x = key(slot) (acquire)
     *                 x == w: r = value(slot) (acquire); key bytes of r == k: return r
     *                 x == EMPTY: return none;  else slot++
     *   get(k, dst): readLock; r = find(k); copy r's value bytes to dst; readUnlock
     *
     * A reader that loaded r inside its section reads r whole: r is never written after the release store of its
     * address, and the writer frees it through the arena only after the address is unreachable, so its memory is
     * reused (or, in a debug arena, poisoned) only after a grace period that waits for the reader's section.
     *
     * Memory ordering (every non-plain access and its partner; every store is the writer's, under its lock):
     *   table      srTable (constructor, rebuild, clear, close)       pairs with  laTable in find / forEach
     *   key word   keyRelease in insert / unlink, markFree           pairs with  keyAcquire(Checked) in find / forEach
     *   value word valueRelease in write (a live key's new record)    pairs with  valueAcquire after keyAcquire: the
     *              (a new entry's record is published by its key's               record's bytes, written before, are
     *              release store)                                                visible
     *   size       srSize (TableMap)                                  pairs with  laSize in size()
     *
     * Nothing is padded: readers read final fields and the table reference, which changes only on a rebuild.
     */

    /** Default {@link RcuBytesMapBuilder#maxKeyBytes}. */
    public static final int DEFAULT_MAX_KEY_BYTES = 1024;
    /** Default {@link RcuBytesMapBuilder#maxValueBytes}. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
    /** Largest {@link RcuBytesMapBuilder#maxKeyBytes}. */
    public static final int MAX_KEY_BYTES = 64 * 1024;
    /** Largest {@link RcuBytesMapBuilder#maxValueBytes}. */
    public static final int MAX_VALUE_BYTES = 4 * 1024 * 1024;

    /**
     * A snapshot of the map's counters.
     *
     * @param entries            entries in the map
     * @param capacity           entries the current index table holds
     * @param indexBytes         off-heap bytes of the index: the current table and old tables not yet released
     * @param pendingReclamation removed index entries of the current table waiting for a grace period
     * @param resizes            index tables built since the map was (rebuilds, growth, shrinking and clear)
     * @param arena              the memory of the arena that holds the keys and values
     */
    public record Stats(long entries, int capacity, long indexBytes, long pendingReclamation, long resizes,
                        ArenaStats arena) {
    }

    private final long seed;
    private final int maxKeyBytes;
    private final int maxValueBytes;
    /** Ends the life of {@link #memory}: closed by {@link #close()} once no reader can hold a record. */
    private final Arena liveness;
    /** Spans the address space, bound to {@link #liveness}: records are read at their address. */
    private final MemorySegment memory;

    private final BytesMapWriter writer;

    @SuppressWarnings("restricted") // a segment over the records' addresses; see the class documentation
    RcuBytesMap(RcuBytesMapBuilder b) {
        super("RcuBytesMap", b.rcu);
        this.seed = b.seedSet ? b.seed : ThreadLocalRandom.current().nextLong();
        this.maxKeyBytes = b.maxKeyBytes;
        this.maxValueBytes = b.maxValueBytes;
        long record = recordBytes(maxKeyBytes, maxValueBytes);
        long chunk = Math.max(1 << 20, Long.highestOneBit(record - 1) << 1);   // every record fits a chunk
        this.liveness = Arena.ofShared();
        try {   // restricted: before the arena exists, so that a JVM denying native access leaves nothing behind
            this.memory = MemorySegment.NULL.reinterpret(Long.MAX_VALUE, liveness, null);
        } catch (RuntimeException e) {
            liveness.close();
            throw e;
        }
        RcuArena arena = RcuArena.builder(rcu).name("RcuBytesMap").chunkSize(chunk).debug(b.debugArena).build();
        // last: publishes the first table
        this.writer = new BytesMapWriter(this, arena, b.reclamation, b.maxEntries, b.initialCapacity,
                b.brokenEarlyFree);
    }

    /**
     * A builder of a map on {@code rcu}.
     *
     * @param rcu the domain whose read sections protect lookups, not null
     * @return a builder with the defaults: unbounded, {@code DEFER_QUEUE}, the default key and value limits
     */
    public static RcuBytesMapBuilder builder(Rcu rcu) {
        return new RcuBytesMapBuilder(Objects.requireNonNull(rcu, "rcu"));
    }

    /**
     * A map on {@code rcu} with the defaults.
     *
     * @param rcu the domain, not null and open
     * @return a new empty map
     * @throws IllegalStateException if the domain is closing or closed
     */
    public static RcuBytesMap create(Rcu rcu) {
        return builder(rcu).build();
    }

    // ------------------------------------------------------------------ reads: views

    /**
     * A read-only view of the value of {@code key}, valid until the caller's read section ends; null if absent.
     * Must be called inside a read section of the map's domain. Wait-free; takes no lock; writes no shared memory;
     * allocates only the view.
     *
     * @param key the key bytes, not null
     * @return the stored value's bytes (not a copy), or null
     * @throws IllegalStateException    if the calling thread is not inside a read section of the map's domain, or the
     *                                  map is closed
     * @throws IllegalArgumentException if the key is longer than {@link #maxKeyBytes()}
     */
    public MemorySegment get(byte[] key) {
        return view(key, 0, keyBytes(key));
    }

    /**
     * As {@link #get(byte[])}, for the bytes of {@code key} from its position to its limit.
     *
     * @param key the key bytes, not null
     * @return the stored value's bytes (not a copy), or null
     */
    public MemorySegment get(ByteBuffer key) {
        return view(key, key.position(), keyBytes(key));
    }

    /**
     * As {@link #get(byte[])}, for the bytes of {@code key}.
     *
     * @param key the key bytes, not null
     * @return the stored value's bytes (not a copy), or null
     */
    public MemorySegment get(MemorySegment key) {
        return view(key, 0, keyBytes(key));
    }

    private MemorySegment view(Object key, long offset, int length) {
        if (!rcu.inReadSection()) {
            throw new IllegalStateException("RcuBytesMap.get(key) outside a read section of " + flavor.name()
                    + ": its view is valid only inside one (copy the value out with get(key, dst))");
        }
        long record = find(key, offset, length, "get");
        if (record == 0) {
            return null;
        }
        return memory.asSlice(valueAddress(record, length), valueLength(memory, record)).asReadOnly();
    }

    // ------------------------------------------------------------------ reads: copies

    /**
     * Copies the value of {@code key} into {@code dst}: its first {@code min(length, dst.length)} bytes. Opens its
     * own read section (inside a caller's section, a nesting-depth increment), so any thread that may read the domain
     * may call it. Wait-free; allocates nothing; takes no lock; writes no shared memory but {@code dst}.
     *
     * @param key the key bytes, not null
     * @param dst where the value goes, not null
     * @return the value's length (more than {@code dst.length} if it did not fit whole), or -1 if absent
     * @throws IllegalStateException    if the map is closed, or the calling thread may not read the domain
     * @throws IllegalArgumentException if the key is longer than {@link #maxKeyBytes()}
     */
    public int get(byte[] key, byte[] dst) {
        return copyOut(key, 0, keyBytes(key), Objects.requireNonNull(dst, "dst"));
    }

    /**
     * As {@link #get(byte[], byte[])}, into {@code dst} from its offset 0.
     *
     * @param key the key bytes, not null
     * @param dst where the value goes, writable, not null
     * @return the value's length, or -1 if absent
     */
    public int get(byte[] key, MemorySegment dst) {
        return copyOut(key, 0, keyBytes(key), Objects.requireNonNull(dst, "dst"));
    }

    /**
     * As {@link #get(byte[], byte[])}, for the bytes of {@code key} from its position to its limit.
     *
     * @param key the key bytes, not null
     * @param dst where the value goes, not null
     * @return the value's length, or -1 if absent
     */
    public int get(ByteBuffer key, byte[] dst) {
        return copyOut(key, key.position(), keyBytes(key), Objects.requireNonNull(dst, "dst"));
    }

    /**
     * As {@link #get(byte[], MemorySegment)}, for the bytes of {@code key} from its position to its limit.
     *
     * @param key the key bytes, not null
     * @param dst where the value goes, writable, not null
     * @return the value's length, or -1 if absent
     */
    public int get(ByteBuffer key, MemorySegment dst) {
        return copyOut(key, key.position(), keyBytes(key), Objects.requireNonNull(dst, "dst"));
    }

    /**
     * As {@link #get(byte[], byte[])}, for the bytes of {@code key}.
     *
     * @param key the key bytes, not null
     * @param dst where the value goes, not null
     * @return the value's length, or -1 if absent
     */
    public int get(MemorySegment key, byte[] dst) {
        return copyOut(key, 0, keyBytes(key), Objects.requireNonNull(dst, "dst"));
    }

    /**
     * As {@link #get(byte[], MemorySegment)}, for the bytes of {@code key}.
     *
     * @param key the key bytes, not null
     * @param dst where the value goes, writable, not null
     * @return the value's length, or -1 if absent
     */
    public int get(MemorySegment key, MemorySegment dst) {
        return copyOut(key, 0, keyBytes(key), Objects.requireNonNull(dst, "dst"));
    }

    private int copyOut(Object key, long offset, int length, byte[] dst) {
        RcuReader reader = rcu.reader();   // one lookup of the caller's reader for both ends
        reader.readLock();
        try {
            long record = find(key, offset, length, "get");
            if (record == 0) {
                return -1;
            }
            int n = valueLength(memory, record);
            MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, valueAddress(record, length), dst, 0,
                    Math.min(n, dst.length));
            return n;
        } finally {
            reader.readUnlock();
        }
    }

    private int copyOut(Object key, long offset, int length, MemorySegment dst) {
        RcuReader reader = rcu.reader();   // one lookup of the caller's reader for both ends
        reader.readLock();
        try {
            long record = find(key, offset, length, "get");
            if (record == 0) {
                return -1;
            }
            int n = valueLength(memory, record);
            MemorySegment.copy(memory, valueAddress(record, length), dst, 0, Math.min(n, dst.byteSize()));
            return n;
        } finally {
            reader.readUnlock();
        }
    }

    /**
     * Whether {@code key} is present. As {@link #get(byte[], byte[])}.
     *
     * @param key the key bytes, not null
     * @return {@code true} if the map holds {@code key}
     * @throws IllegalStateException    as {@link #get(byte[], byte[])}
     * @throws IllegalArgumentException as {@link #get(byte[], byte[])}
     */
    public boolean containsKey(byte[] key) {
        return contains(key, 0, keyBytes(key));
    }

    /**
     * Whether {@code key} (from its position to its limit) is present. As {@link #get(byte[], byte[])}.
     *
     * @param key the key bytes, not null
     * @return {@code true} if the map holds {@code key}
     */
    public boolean containsKey(ByteBuffer key) {
        return contains(key, key.position(), keyBytes(key));
    }

    /**
     * Whether {@code key} is present. As {@link #get(byte[], byte[])}.
     *
     * @param key the key bytes, not null
     * @return {@code true} if the map holds {@code key}
     */
    public boolean containsKey(MemorySegment key) {
        return contains(key, 0, keyBytes(key));
    }

    private boolean contains(Object key, long offset, int length) {
        RcuReader reader = rcu.reader();   // one lookup of the caller's reader for both ends
        reader.readLock();
        try {
            return find(key, offset, length, "containsKey") != 0;
        } finally {
            reader.readUnlock();
        }
    }

    /** The address of the record of the key, or 0; the caller holds a read section. */
    private long find(Object key, long offset, int length, String operation) {
        LongTable t = laTable();
        if (t == LongTable.CLOSED) {
            throw closed(operation);
        }
        long word = hashWord(key, offset, length);
        int mask = t.mask;
        int slot = home(word, mask);
        for (int probes = 0; probes <= mask; probes++) {
            long w = t.keyAcquire(slot);
            if (w == word) {
                long record = t.valueAcquire(slot);   // after the key's acquire; the record's bytes are visible
                if (keyEquals(record, key, offset, length)) {
                    return record;
                }
            } else if (w == EMPTY) {
                break;
            }
            slot = (slot + 1) & mask;
        }
        return 0;
    }

    /**
     * Calls {@code action} with a read-only view of each key and its value, inside one read section, over the index
     * table current when it starts: every entry present for the whole traversal is seen exactly once; an entry
     * replaced, removed or added meanwhile may be seen in either state or not. The views are valid only during the
     * call. The action may write to the map in {@code DEFER_QUEUE} mode; in {@code SYNC} mode writes from it throw
     * {@link IllegalStateException}. What the action throws ends the traversal and propagates.
     *
     * @param action called with each key and value, not null
     * @throws IllegalStateException as {@link #get(byte[], byte[])}
     */
    public void forEach(BiConsumer<MemorySegment, MemorySegment> action) {
        Objects.requireNonNull(action, "action");
        rcu.readLock();
        try {
            LongTable t = laTable();
            if (t == LongTable.CLOSED) {
                throw closed("forEach");
            }
            for (int slot = 0; slot < t.capacity; slot++) {
                if (!isState(t.keyAcquireChecked(slot))) {   // checked: the action runs between the loads
                    long record = t.valueAcquireChecked(slot);
                    int k = keyLength(memory, record);
                    action.accept(memory.asSlice(record + KEY_OFFSET, k).asReadOnly(),
                            memory.asSlice(valueAddress(record, k), valueLength(memory, record)).asReadOnly());
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
     * The longest key the map accepts.
     *
     * @return bytes
     */
    public int maxKeyBytes() {
        return maxKeyBytes;
    }

    /**
     * The longest value the map accepts.
     *
     * @return bytes
     */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    // ------------------------------------------------------------------ writes

    /**
     * Maps {@code key} to a copy of {@code value}. Blocking (the writer lock). In {@code DEFER_QUEUE} mode never waits
     * for a grace period; in a bounded map, when no entry is free, it first reclaims what has passed its grace period.
     * A previous value's memory goes back to the arena, reused after a grace period.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if the key was absent, {@code false} if its value was replaced
     * @throws NullPointerException     if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if the key or the value is longer than its limit
     * @throws IllegalStateException    if the map is closed, its domain is closing or closed, the map is bounded and
     *                                  full (the message names the limit and the pending count), or in {@code SYNC}
     *                                  mode inside a read section
     * @throws OutOfMemoryError         if the arena cannot get memory for the record
     */
    public boolean put(byte[] key, byte[] value) {
        return writer.write(key, 0, keyBytes(key), valueOf(value), PUT, "put");
    }

    /**
     * As {@link #put(byte[], byte[])}, for the bytes of each buffer from its position to its limit.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if the key was absent
     */
    public boolean put(ByteBuffer key, ByteBuffer value) {
        return writer.write(key, key.position(), keyBytes(key), valueOf(value), PUT, "put");
    }

    /**
     * As {@link #put(byte[], byte[])}.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if the key was absent
     */
    public boolean put(MemorySegment key, MemorySegment value) {
        return writer.write(key, 0, keyBytes(key), valueOf(value), PUT, "put");
    }

    /**
     * Maps {@code key} to a copy of {@code value} if it is absent. As {@link #put(byte[], byte[])}.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if stored, {@code false} if the key was present (its value unchanged)
     * @throws IllegalArgumentException as {@link #put(byte[], byte[])}
     * @throws IllegalStateException    as {@link #put(byte[], byte[])}
     */
    public boolean putIfAbsent(byte[] key, byte[] value) {
        return writer.write(key, 0, keyBytes(key), valueOf(value), PUT_IF_ABSENT, "putIfAbsent");
    }

    /**
     * As {@link #putIfAbsent(byte[], byte[])}, for the bytes of each buffer from its position to its limit.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if stored
     */
    public boolean putIfAbsent(ByteBuffer key, ByteBuffer value) {
        return writer.write(key, key.position(), keyBytes(key), valueOf(value), PUT_IF_ABSENT, "putIfAbsent");
    }

    /**
     * As {@link #putIfAbsent(byte[], byte[])}.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if stored
     */
    public boolean putIfAbsent(MemorySegment key, MemorySegment value) {
        return writer.write(key, 0, keyBytes(key), valueOf(value), PUT_IF_ABSENT, "putIfAbsent");
    }

    /**
     * Replaces the value of {@code key} with a copy of {@code value} if the key is present. As
     * {@link #put(byte[], byte[])}, but never inserts.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if replaced, {@code false} if absent (nothing stored)
     * @throws IllegalArgumentException as {@link #put(byte[], byte[])}
     * @throws IllegalStateException    as {@link #put(byte[], byte[])}
     */
    public boolean replace(byte[] key, byte[] value) {
        return writer.write(key, 0, keyBytes(key), valueOf(value), REPLACE, "replace");
    }

    /**
     * As {@link #replace(byte[], byte[])}, for the bytes of each buffer from its position to its limit.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if replaced
     */
    public boolean replace(ByteBuffer key, ByteBuffer value) {
        return writer.write(key, key.position(), keyBytes(key), valueOf(value), REPLACE, "replace");
    }

    /**
     * As {@link #replace(byte[], byte[])}.
     *
     * @param key   the key bytes, not null
     * @param value the value bytes, not null
     * @return {@code true} if replaced
     */
    public boolean replace(MemorySegment key, MemorySegment value) {
        return writer.write(key, 0, keyBytes(key), valueOf(value), REPLACE, "replace");
    }

    /**
     * Removes {@code key}; its memory goes back to the arena, reused after a grace period. Blocking (the writer lock);
     * in {@code SYNC} mode also waits for a grace period, after which the index entry is free again.
     *
     * @param key the key bytes, not null
     * @return {@code true} if removed, {@code false} if absent
     * @throws IllegalArgumentException if the key is longer than its limit
     * @throws IllegalStateException    as {@link #put(byte[], byte[])}
     */
    public boolean remove(byte[] key) {
        return writer.removeIf(key, 0, keyBytes(key), null, "remove");
    }

    /**
     * As {@link #remove(byte[])}, for the bytes of {@code key} from its position to its limit.
     *
     * @param key the key bytes, not null
     * @return {@code true} if removed
     */
    public boolean remove(ByteBuffer key) {
        return writer.removeIf(key, key.position(), keyBytes(key), null, "remove");
    }

    /**
     * As {@link #remove(byte[])}.
     *
     * @param key the key bytes, not null
     * @return {@code true} if removed
     */
    public boolean remove(MemorySegment key) {
        return writer.removeIf(key, 0, keyBytes(key), null, "remove");
    }

    /**
     * Removes {@code key} if its value has the bytes of {@code value}. As {@link #remove(byte[])}.
     *
     * @param key   the key bytes, not null
     * @param value the bytes its value must have, not null
     * @return {@code true} if removed
     * @throws IllegalArgumentException if the key or the value is longer than its limit
     * @throws IllegalStateException    as {@link #put(byte[], byte[])}
     */
    public boolean remove(byte[] key, byte[] value) {
        return writer.removeIf(key, 0, keyBytes(key), valueOf(value), "remove");
    }

    /**
     * As {@link #remove(byte[], byte[])}, for the bytes of each buffer from its position to its limit.
     *
     * @param key   the key bytes, not null
     * @param value the bytes its value must have, not null
     * @return {@code true} if removed
     */
    public boolean remove(ByteBuffer key, ByteBuffer value) {
        return writer.removeIf(key, key.position(), keyBytes(key), valueOf(value), "remove");
    }

    /**
     * As {@link #remove(byte[], byte[])}.
     *
     * @param key   the key bytes, not null
     * @param value the bytes its value must have, not null
     * @return {@code true} if removed
     */
    public boolean remove(MemorySegment key, MemorySegment value) {
        return writer.removeIf(key, 0, keyBytes(key), valueOf(value), "remove");
    }

    /**
     * Removes every entry: the index is replaced by an empty one of the smallest size, released after a grace period,
     * and every record goes back to the arena. As {@link #put(byte[], byte[])} for threads and misuse.
     *
     */
    public void clear() {
        writer.clear();
    }

    // ------------------------------------------------------------------ lifecycle and stats

    /**
     * The map's counters, read under the writer lock (blocking).
     *
     * @return entries, capacity, index bytes, entries pending reclamation, resizes and the arena's memory; after
     *         close, zeros but the memory still held
     */
    public Stats stats() {
        return writer.stats();
    }

    /**
     * Closes the map: later lookups, traversals and writes throw {@link IllegalStateException} ({@link #size()} is
     * 0, {@link #stats()} and this method still work), and so do reads of views it returned. Waits for a grace
     * period (readers that may still hold a record), then releases the index and the arena. Idempotent. Blocking.
     *
     * @throws IllegalStateException if called inside a read section of the map's domain (the grace period would wait
     *                               for the caller); the map is then still open
     */
    @Override
    public void close() {
        writer.close();
    }

    @Override
    public String toString() {
        return "RcuBytesMap[" + flavor.name() + ", " + writer.reclamation + ", size " + size()
                + (writer.maxEntries > 0 ? ", maxEntries " + writer.maxEntries : "") + "]";
    }

    // ------------------------------------------------------------------ arguments

    private int keyBytes(byte[] key) {
        return checkKey(Objects.requireNonNull(key, "key").length);
    }

    private int keyBytes(ByteBuffer key) {
        return checkKey(Objects.requireNonNull(key, "key").remaining());
    }

    private int keyBytes(MemorySegment key) {
        return checkKey(Objects.requireNonNull(key, "key").byteSize());
    }

    private int checkKey(long length) {
        if (length > maxKeyBytes) {
            throw new IllegalArgumentException("RcuBytesMap key of " + length + " bytes, longer than maxKeyBytes "
                    + maxKeyBytes);
        }
        return (int) length;
    }

    private MemorySegment valueOf(byte[] value) {
        return checkValue(MemorySegment.ofArray(Objects.requireNonNull(value, "value")));
    }

    private MemorySegment valueOf(ByteBuffer value) {
        return checkValue(MemorySegment.ofBuffer(Objects.requireNonNull(value, "value")));
    }

    private MemorySegment valueOf(MemorySegment value) {
        return checkValue(Objects.requireNonNull(value, "value"));
    }

    private MemorySegment checkValue(MemorySegment value) {
        if (value.byteSize() > maxValueBytes) {
            throw new IllegalArgumentException("RcuBytesMap value of " + value.byteSize()
                    + " bytes, longer than maxValueBytes " + maxValueBytes);
        }
        return value;
    }

    // ------------------------------------------------------------------ what the writer and the readers share

    /** The index's key word of the key. */
    long hashWord(Object key, long offset, int length) {
        return RcuBytesMapDescriptor.hashWord(ByteKeys.hash(seed, key, offset, length));
    }

    /** Whether the record at {@code record} holds the key. */
    boolean keyEquals(long record, Object key, long offset, int length) {
        return keyLength(memory, record) == length
                && ByteKeys.equal(memory, record + KEY_OFFSET, key, offset, length);
    }

    /** Whether the record at {@code record} holds a value of the bytes of {@code value}. */
    boolean valueEquals(long record, MemorySegment value) {
        int k = keyLength(memory, record);
        return valueLength(memory, record) == value.byteSize()
                && ByteKeys.equal(memory, valueAddress(record, k), value, 0, (int) value.byteSize());
    }

    /** The whole record at {@code record}. */
    MemorySegment recordView(long record) {
        return memory.asSlice(record, recordBytes(keyLength(memory, record), valueLength(memory, record)));
    }

    /** After close and a grace period: no reader holds a record; ends the views and releases the arena. */
    void releaseMemory() {
        liveness.close();
        writer.arena.close();
    }

}
