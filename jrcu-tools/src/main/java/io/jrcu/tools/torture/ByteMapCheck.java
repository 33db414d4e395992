package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.map.RcuBytesMap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The observation of the {@code bytesmap} mode: a copy-out lookup in the shared {@link RcuBytesMap}, or now and then a
 * view held across a linger inside the reader's own section, or a traversal that lingers between entries; every value
 * is checked byte for byte against the key it was read for.
 */
final class ByteMapCheck implements ReadCheck {
    /*
     * The check:
     *
     *   copy:      n = map.get(key(k), dst)             (its own read section)
     *   view:      readLock; v = map.get(key(k)); check v; linger; check v again; readUnlock
     *   traversal: map.forEach((key, v) -> check; sometimes linger)
     *   a value (VALUE_BYTES) is {k, generation, pattern(k, generation)}; it must name k, 1 <= generation <= m
     *   (m = newest[k], loaded after the read), and every pattern byte must match
     *
     * Why a mismatch is an error: a record is never written after it is published, and goes back to the map's arena
     * only after it is unreachable; the arena reuses (in this mode: poisons, then reuses) it only after a grace period
     * that began after the free, so a reader reads the record whole, as published, until its section ends. A view
     * checked again after a linger inside the section catches a record freed under the reader (poison bytes).
     * Recorded as AGE_0 (found), AGE_1 (absent: removed or not yet reinserted, legal) or FREED (an error).
     */

    /** Bytes of a key: {k, ~k}, big-endian. */
    static final int KEY_BYTES = 16;
    /** Bytes of a value: {k, generation, pattern}. */
    static final int VALUE_BYTES = 100;
    /** One observation in this many is a traversal; as many again hold a view across a linger. */
    static final int TRAVERSE_EVERY = 64;
    /** A traversal lingers at one entry in this many. */
    static final int LINGER_EVERY = 256;

    private final Rcu rcu;
    private final RcuBytesMap map;
    private final AtomicLongArray newest;
    private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[VALUE_BYTES]);

    ByteMapCheck(Rcu rcu, RcuBytesMap map, AtomicLongArray newest) {
        this.rcu = rcu;
        this.map = map;
        this.newest = newest;
    }

    /** The key bytes of key number {@code k}. */
    static byte[] key(long k) {
        return ByteBuffer.allocate(KEY_BYTES).putLong(k).putLong(~k).array();
    }

    /** The value bytes of key {@code k} at {@code generation}. */
    static byte[] value(long k, long generation) {
        ByteBuffer b = ByteBuffer.allocate(VALUE_BYTES).putLong(k).putLong(generation);
        while (b.hasRemaining()) {
            b.put(pattern(k, generation, b.position()));
        }
        return b.array();
    }

    private static byte pattern(long k, long generation, int at) {
        return (byte) (k * 31 + generation * 7 + at);
    }

    @Override
    public void observe(TortureReader reader, ThreadLocalRandom random) {
        int k = random.nextInt(newest.length());
        byte[] key = key(k);
        try {
            int pick = random.nextInt(TRAVERSE_EVERY);
            if (pick == 0) {
                traverse(reader, random);
            } else if (pick == 1) {
                holdView(reader, random, k, key);
            } else {
                byte[] dst = buffers.get();
                int n = map.get(key, dst);
                record(reader, k, n < 0 ? null : MemorySegment.ofArray(dst).asSlice(0, Math.min(n, VALUE_BYTES)), n);
            }
        } catch (IllegalStateException | IndexOutOfBoundsException released) {
            reader.recordError(TortureReader.FREED, error(reader, k, "a read refused: " + released, -1));
        }
    }

    /** A view of {@code key}'s value held inside a section across a linger, checked before and after. */
    private void holdView(TortureReader reader, ThreadLocalRandom random, int k, byte[] key) {
        rcu.readLock();
        try {
            MemorySegment v = map.get(key);
            String first = v == null ? null : check(k, v, v.byteSize());
            reader.linger(random);
            String last = v == null ? null : check(k, v, v.byteSize());
            if (first != null || last != null) {
                reader.recordError(TortureReader.FREED, error(reader, k, first != null ? first
                        : "after a linger inside the section, " + last, newest.get(k)));
            } else {
                reader.record(v == null ? TortureReader.AGE_1 : TortureReader.AGE_0);
            }
        } finally {
            rcu.readUnlock();
        }
    }

    /** One traversal, lingering now and then; one record for it, at its first bad entry or at its end. */
    private void traverse(TortureReader reader, ThreadLocalRandom random) {
        String[] bad = {null};
        long[] badKey = {-1};
        map.forEach((key, v) -> {
            if (bad[0] == null) {
                long k = key.byteSize() == KEY_BYTES ? key.get(BIG_LONG, 0) : -1;
                if (k < 0 || k >= newest.length() || key.get(BIG_LONG, 8) != ~k) {
                    bad[0] = "a key that no writer stored: " + describe(key);
                } else {
                    bad[0] = check(k, v, v.byteSize());
                }
                badKey[0] = k;
            }
            if (random.nextInt(LINGER_EVERY) == 0) {
                reader.linger(random);
            }
        });
        if (bad[0] != null) {
            reader.recordError(TortureReader.FREED, error(reader, badKey[0], bad[0], -1));
        } else {
            reader.record(TortureReader.AGE_0);
        }
    }

    private static final ValueLayout.OfLong BIG_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private void record(TortureReader reader, int k, MemorySegment v, int length) {
        if (v == null) {
            reader.record(TortureReader.AGE_1);
            return;
        }
        String bad = check(k, v, length);
        if (bad != null) {
            reader.recordError(TortureReader.FREED, error(reader, k, bad, newest.get(k)));
        } else {
            reader.record(TortureReader.AGE_0);
        }
    }

    /** Null if {@code v} is exactly a value stored for {@code k}; else what is wrong with it. */
    private String check(long k, MemorySegment v, long length) {
        if (length != VALUE_BYTES) {
            return "a value of " + length + " bytes (" + describe(v) + ")";
        }
        long owner = v.get(BIG_LONG, 0);
        long generation = v.get(BIG_LONG, 8);
        if (owner != k) {
            return "another key's value: key " + owner + " generation " + generation + " (" + describe(v) + ")";
        }
        long m = newest.get((int) k);   // volatile; after the read: the writer stored it before the put
        if (generation < 1 || generation > m) {
            return "generation " + generation + ", never stored (newest stored " + m + ")";
        }
        for (int at = 16; at < VALUE_BYTES; at++) {
            if (v.get(ValueLayout.JAVA_BYTE, at) != pattern(k, generation, at)) {
                return "byte " + at + " of generation " + generation + " torn (" + describe(v) + ")";
            }
        }
        return null;
    }

    private static String describe(MemorySegment s) {
        long n = Math.min(s.byteSize(), 24);
        return java.util.HexFormat.of().formatHex(s.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE))
                + (s.byteSize() > n ? "..." : "");
    }

    private OracleError.BytesMapValue error(TortureReader reader, long key, String what, long maxGeneration) {
        return new OracleError.BytesMapValue(reader.name, reader.sinceStart(), key, what, maxGeneration);
    }
}
