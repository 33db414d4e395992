package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.arena.ArenaStats;
import io.jrcu.map.RcuBytesMap;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A torture writer for the {@code bytesmap} mode: overwrites, removes and reinserts its own keys of the run's
 * {@link RcuBytesMap} at full speed, each stored value embedding its key and a new generation
 * ({@link ByteMapCheck#value}), and every {@link #BURST_EVERY} writes inserts then removes a burst of
 * {@link #BURST_KEYS} more keys, so that the index grows and shrinks and records are freed in bulk; it checks that
 * the map's arena stays within {@link #arenaBound}.
 */
final class ByteMapWriter implements Runnable {
    /*
     * Loop (keys of writer i: [i * KEYS_PER_WRITER, +CHURN_KEYS) churned, the next BURST_KEYS for bursts):
     *   BURST_EVERY times: k = a random churned key; one of
     *       put(k, value(k, ++g))      newest[k] = g (volatile) first: a reader that sees g finds newest[k] >= g
     *       remove(k)                  the record goes back to the arena, reused (poisoned first) after a grace period
     *       replace(k, value(k, ++g))  a new record; the old one as remove's
     *   burst: put every burst key, then remove them all
     *
     * The arena reuses a freed record only after its grace period, so what it reserves follows the live records plus
     * about one grace period's worth of frees; the bound allows every key live, a debug quarantine, and 64 MiB of
     * pending frees. Long grace periods (thousands of lingering virtual readers) can leave more pending than that
     * without any reader error, so once more than PENDING_SOFT_LIMIT bytes wait the writer waits for a grace period
     * itself (synchronize(); MapWriter's brake above its soft limit is a barrier()), after which its next allocations
     * reclaim them.
     */

    static final int CHURN_KEYS = 64;
    static final int BURST_KEYS = 1024;
    static final int KEYS_PER_WRITER = CHURN_KEYS + BURST_KEYS;
    static final int BURST_EVERY = 4096;
    /** Bytes of arena memory a record may take: the largest value and key, rounded up to their size class. */
    static final int RECORD_BYTES = 256;
    /** Pending frees above which the writer waits for a grace period (half the bound's 64 MiB allowance). */
    static final long PENDING_SOFT_LIMIT = 32L << 20;
    private static final int UPDATES = 0, COUNTERS = 1;

    private final Torture torture;
    private final Rcu rcu;
    private final RcuBytesMap map;
    private final AtomicLongArray newest;
    private final int firstKey;
    private final long bound;
    private final OwnerCounters counts = new OwnerCounters(COUNTERS);

    ByteMapWriter(Torture torture, Rcu rcu, RcuBytesMap map, AtomicLongArray newest, int index, int writers) {
        this.torture = torture;
        this.rcu = rcu;
        this.map = map;
        this.newest = newest;
        this.firstKey = index * KEYS_PER_WRITER;
        this.bound = arenaBound(writers);
    }

    /** The most bytes the map's arena may reserve: every key live, the quarantine, and 64 MiB pending. */
    static long arenaBound(int writers) {
        return (long) writers * KEYS_PER_WRITER * RECORD_BYTES + 1024 * RECORD_BYTES + (64L << 20);
    }

    @Override
    public void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!torture.stopping()) {
            for (int i = 0; i < BURST_EVERY; i++) {
                int key = firstKey + random.nextInt(CHURN_KEYS);
                switch (random.nextInt(3)) {
                    case 0 -> map.put(ByteMapCheck.key(key), nextValue(key));
                    case 1 -> map.remove(ByteMapCheck.key(key));
                    default -> map.replace(ByteMapCheck.key(key), nextValue(key));
                }
                counts.increment(UPDATES);
            }
            for (int key = firstKey + CHURN_KEYS; key < firstKey + KEYS_PER_WRITER; key++) {
                map.put(ByteMapCheck.key(key), nextValue(key));
            }
            for (int key = firstKey + CHURN_KEYS; key < firstKey + KEYS_PER_WRITER; key++) {
                map.remove(ByteMapCheck.key(key));
            }
            ArenaStats arena = map.stats().arena();
            if (arena.bytesReserved() > bound) {
                throw new IllegalStateException("the map's arena reserves " + arena.bytesReserved()
                        + " bytes, above the bound " + bound + ": " + map.stats());
            }
            if (arena.bytesPendingFree() > PENDING_SOFT_LIMIT) {
                rcu.synchronize();
            }
        }
    }

    /** A new generation of {@code key}'s value; newest[key] is stored first (volatile: see the overview). */
    private byte[] nextValue(int key) {
        long generation = newest.get(key) + 1;   // this writer alone writes its keys' generations
        newest.set(key, generation);
        return ByteMapCheck.value(key, generation);
    }

    /** Churn writes so far (bursts not counted). */
    long updates() {
        return counts.get(UPDATES);
    }
}
