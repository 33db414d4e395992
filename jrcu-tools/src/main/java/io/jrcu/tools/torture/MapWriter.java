package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.map.RcuLongMap;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A torture writer for the {@code map} mode: overwrites, removes and reinserts its own keys of the run's
 * {@link RcuLongMap} at full speed, each stored value naming its key and a new generation ({@link MapCheck#value}),
 * and every {@link #BURST_EVERY} writes inserts then removes a burst of {@link #BURST_KEYS} more keys, so that the
 * table grows and shrinks; it checks that the map's off-heap bytes stay within {@link #offHeapBound}.
 */
final class MapWriter implements Runnable {
    /*
     * Loop (keys of writer i: [i * KEYS_PER_WRITER, +CHURN_KEYS) churned, the next BURST_KEYS for bursts):
     *   BURST_EVERY times: k = a random churned key; one of
     *       put(k, value(k, ++g))    newest[k] = g (volatile) first: a reader that sees g finds newest[k] >= g
     *       remove(k)                the entry waits for a grace period in the map's queue before reuse
     *       replace(k, value(k, ++g))
     *   burst: put every burst key (the table grows, rebuilt into bigger ones), then remove them all (it shrinks)
     *   off-heap bytes (stats) above SOFT_LIMIT_TABLES tables: barrier() (the released tables' callbacks run)
     *
     * Rebuilds release the old table through the domain's callbacks, which never block the writer: without the
     * barrier a writer could retire tables faster than grace periods end. With it, what the map holds is at most
     * the soft limit plus what one burst builds (growth and shrinking each build tables of at most
     * 2 * largestTable bytes in all): offHeapBound. (With skip-reader-wait the barrier ends at once: no brake.)
     */

    static final int CHURN_KEYS = 64;
    static final int BURST_KEYS = 2048;
    static final int KEYS_PER_WRITER = CHURN_KEYS + BURST_KEYS;
    static final int BURST_EVERY = 4096;
    /** The map's off-heap bytes above which a writer waits for the released tables (in largest tables). */
    static final int SOFT_LIMIT_TABLES = 8;
    private static final int UPDATES = 0, BARRIERS = 1, COUNTERS = 2;

    private final Torture torture;
    private final Rcu rcu;
    private final RcuLongMap map;
    private final AtomicLongArray newest;
    private final int firstKey;
    private final long bound;
    private final long softLimit;
    private final OwnerCounters counts = new OwnerCounters(COUNTERS);
    /** Plain: the owner's; read only after it was joined. */
    private long peakOffHeap;

    MapWriter(Torture torture, Rcu rcu, RcuLongMap map, AtomicLongArray newest, int index, int writers) {
        this.torture = torture;
        this.rcu = rcu;
        this.map = map;
        this.newest = newest;
        this.firstKey = index * KEYS_PER_WRITER;
        this.bound = offHeapBound(writers);
        this.softLimit = SOFT_LIMIT_TABLES * largestTable(writers);
        assert newest.length() >= writers * KEYS_PER_WRITER;
    }

    /** Off-heap bytes of the largest table the run's map needs: every key of every writer live, half full. */
    static long largestTable(int writers) {
        long capacity = Long.highestOneBit(2L * writers * KEYS_PER_WRITER - 1) << 1;
        return 16 * capacity;
    }

    /** The most off-heap bytes the map may hold: the soft limit, plus what each writer's burst builds. */
    static long offHeapBound(int writers) {
        return (SOFT_LIMIT_TABLES + 4L * writers) * largestTable(writers);
    }

    @Override
    public void run() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!torture.stopping()) {
            for (int i = 0; i < BURST_EVERY; i++) {
                int key = firstKey + random.nextInt(CHURN_KEYS);
                switch (random.nextInt(3)) {
                    case 0 -> map.put(key, nextValue(key));
                    case 1 -> map.remove(key);
                    default -> map.replace(key, nextValue(key));
                }
                counts.increment(UPDATES);
            }
            for (int key = firstKey + CHURN_KEYS; key < firstKey + KEYS_PER_WRITER; key++) {
                map.put(key, nextValue(key));
            }
            for (int key = firstKey + CHURN_KEYS; key < firstKey + KEYS_PER_WRITER; key++) {
                map.remove(key);
            }
            long offHeap = map.stats().offHeapBytes();
            peakOffHeap = Math.max(peakOffHeap, offHeap);
            if (offHeap > bound) {
                throw new IllegalStateException("the map holds " + offHeap + " off-heap bytes, above the bound "
                        + bound + ": " + map.stats());
            }
            if (offHeap > softLimit) {
                rcu.barrier();
                counts.increment(BARRIERS);
            }
        }
    }

    /** A new generation of {@code key}'s value; newest[key] is stored first (volatile: see the overview). */
    private long nextValue(int key) {
        long generation = newest.get(key) + 1;   // this writer alone writes its keys' generations
        newest.set(key, generation);
        return MapCheck.value(key, generation);
    }

    /** Churn writes so far (bursts not counted). */
    long updates() {
        return counts.get(UPDATES);
    }

    /** Times this writer waited for the map's released tables. */
    long barriers() {
        return counts.get(BARRIERS);
    }

    /** The most off-heap bytes this writer saw the map hold; exact once the writer was joined. */
    long peakOffHeap() {
        return peakOffHeap;
    }
}
