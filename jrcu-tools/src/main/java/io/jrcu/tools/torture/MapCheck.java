package io.jrcu.tools.torture;

import io.jrcu.map.RcuLongMap;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The observation of the {@code map} mode: a lookup in the shared {@link RcuLongMap}, or now and then a traversal
 * ({@link RcuLongMap#forEach}) that lingers between entries, each value checked against the key it was read for.
 */
final class MapCheck implements ReadCheck {
    /*
     * The check:
     *
     *   lookup:    v = map.get(k)                       (its own read section, nested in the reader's protection)
     *              m = newest[k]                        volatile; the writer's store precedes its put of gen m
     *   traversal: map.forEach((k, v) -> check; sometimes linger)   one section over one table
     *   a value is (key << 32 | generation), generations from 1; it must name k, with 1 <= generation <= m
     *   IllegalStateException from the FFM runtime: the table was released under the reader, an error
     *
     * Why another key's value, or a generation above m, is an error: the map reuses a removed entry, and releases a
     * replaced table, only after a grace period that began after the removal or the replacement, so a reader that
     * found k in an entry reads only values stored for k there until its section ends. A writer stores newest[k] = g
     * before it puts generation g, and the reader loads newest[k] after the lookup that returned g, so m >= g
     * unless the value was never stored for k. A traversal spans many entries and lingers, so a table released
     * too early (a rebuild's old table) fails its next read with the FFM runtime's IllegalStateException.
     * Recorded as AGE_0 (found), AGE_1 (absent: removed or not yet reinserted, legal) or FREED (an error).
     */

    /** One observation in this many is a traversal. */
    static final int TRAVERSE_EVERY = 64;
    /** A traversal lingers at one entry in this many. */
    static final int LINGER_EVERY = 256;

    private final RcuLongMap map;
    private final AtomicLongArray newest;

    MapCheck(RcuLongMap map, AtomicLongArray newest) {
        this.map = map;
        this.newest = newest;
    }

    /** The value the map stores for {@code key} at {@code generation}. */
    static long value(long key, long generation) {
        return key << 32 | generation;
    }

    static long keyOf(long value) {
        return value >>> 32;
    }

    static long generationOf(long value) {
        return value & 0xFFFF_FFFFL;
    }

    @Override
    public void observe(TortureReader reader, ThreadLocalRandom random) {
        long key = random.nextInt(newest.length());
        try {
            if (random.nextInt(TRAVERSE_EVERY) == 0) {
                traverse(reader, random);
                return;
            }
            long v = map.get(key);
            if (v == map.missingValue()) {
                reader.record(TortureReader.AGE_1);
            } else if (isBad(key, v)) {
                reader.recordError(TortureReader.FREED, error(reader, key, v, false));
            } else {
                reader.record(TortureReader.AGE_0);
            }
        } catch (IllegalStateException released) {
            reader.recordError(TortureReader.FREED, error(reader, key, 0, true));
        }
    }

    /** One traversal, lingering now and then; one record for it, at its first bad entry or at its end. */
    private void traverse(TortureReader reader, ThreadLocalRandom random) {
        long[] bad = {-1, 0};
        map.forEach((k, v) -> {
            if (bad[0] < 0 && (k >= newest.length() || isBad(k, v))) {
                bad[0] = k;
                bad[1] = v;
            }
            if (random.nextInt(LINGER_EVERY) == 0) {
                reader.linger(random);
            }
        });
        if (bad[0] >= 0) {
            reader.recordError(TortureReader.FREED, error(reader, bad[0], bad[1], false));
        } else {
            reader.record(TortureReader.AGE_0);
        }
    }

    private boolean isBad(long key, long v) {
        long generation = generationOf(v);
        return keyOf(v) != key || generation == 0 || generation > newest.get((int) key);  // volatile; see above
    }

    private OracleError.MapValue error(TortureReader reader, long key, long v, boolean released) {
        long m = key < newest.length() ? newest.get((int) key) : -1;
        return new OracleError.MapValue(reader.name, reader.sinceStart(), key, v, m, released);
    }
}
