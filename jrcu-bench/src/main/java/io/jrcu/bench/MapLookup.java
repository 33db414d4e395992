package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.testkit.Flavor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Lookups of present keys in a map of {@code entries} entries, each key drawn uniformly at random from a precomputed
 * key array (a per-thread generator, no allocation), as throughput per thread:
 * <ul>
 *   <li>{@link #read}: two reader threads, no writer (the case (a));</li>
 *   <li>{@link #readWithWriter}: one reader thread while a background writer replaces entries (remove, then put
 *       back with a new value) at {@value #WRITES_PER_SECOND} per second, in batches of {@value #WRITE_BATCH}
 *       separated by parking (case (b)).</li>
 * </ul>
 * {@code impl}: {@code jrcuGet} ({@link RcuLongMap#get(long)} on a memb domain), {@code jrcuReader}
 * ({@link RcuLongMap#get(RcuReader, long)} with a kept handle), {@code chm} ({@code ConcurrentHashMap<Long, Long>}
 * with pre-boxed keys), {@code agronaStamped} and {@code agronaRwLock} (Agrona's {@code Long2LongHashMap}, presized
 * so that it never rehashes, under a {@code StampedLock} optimistic read or a {@code ReentrantReadWriteLock} read
 * lock), and {@code ceiling} ({@link MapPeer.Ceiling}: a heap table probed with plain loads and no protection,
 * what the memory allows). The trial's set-up prints the heap each map holds per entry (after GC,
 * {@code MemoryMXBean}).
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'MapLookup' -p entries=10000000 -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class MapLookup extends ForkedBenchmark {

    static final int WRITES_PER_SECOND = 100_000;
    static final int WRITE_BATCH = 100;

    @Param({"jrcuGet", "jrcuReader", "chm", "agronaStamped", "agronaRwLock", "ceiling"})
    String impl;

    @Param({"1000000", "10000000"})
    int entries;

    Rcu rcu;
    MapPeer map;
    long[] keys;
    private PacedWriter writer;

    @Setup(Level.Trial)
    public void build() {
        rcu = Flavor.named("memb").build();
        keys = new long[entries];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < entries; i++) {
            keys[i] = random.nextLong();   // distinct with overwhelming probability; a duplicate is one entry less
        }
        long before = heapAfterGc();
        map = MapPeer.create(impl, rcu, keys);
        long after = heapAfterGc();
        System.out.printf("%n%s, %d entries: %.1f heap bytes per entry%n", impl, entries,
                (after - before) / (double) entries);
    }

    static long heapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Starts the background writer of {@link #readWithWriter}. */
    void startWriter() {
        writer = new PacedWriter("map-writer", WRITES_PER_SECOND, WRITE_BATCH, (random, generation) -> {
            int index = random.nextInt(keys.length);
            map.remove(index);
            map.put(index, generation);
        });
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException {
        if (writer != null) {
            writer.close();
        }
        map.close();
        rcu.close();
    }

    /** A reader thread's random key indexes and, for {@code jrcuReader}, its kept handle. */
    @State(Scope.Thread)
    public static class Reader {
        long seed;
        RcuReader handle;

        @Setup(Level.Trial)
        public void setUp(MapLookup bench) {
            seed = Thread.currentThread().threadId() * 0x9E37_79B9_7F4A_7C15L;
            handle = bench.rcu.reader();
        }

        /** A uniformly random index below {@code n} (an LCG step and a multiply-shift). */
        int next(int n) {
            seed = seed * 6_364_136_223_846_793_005L + 1_442_695_040_888_963_407L;
            return (int) (((seed >>> 33) * n) >>> 31);
        }
    }

    /** A background writer for {@link #readWithWriter}. */
    @State(Scope.Benchmark)
    public static class WithWriter {
        private MapLookup bench;

        @Setup(Level.Trial)
        public void setUp(MapLookup bench) {
            this.bench = bench;
            bench.startWriter();
        }
    }

    @Benchmark
    @Threads(2)
    public long read(Reader r) {
        return map.get(r.handle, r.next(entries));
    }

    @Benchmark
    @Threads(1)
    public long readWithWriter(Reader r, WithWriter w) {
        return map.get(r.handle, r.next(entries));
    }
}
