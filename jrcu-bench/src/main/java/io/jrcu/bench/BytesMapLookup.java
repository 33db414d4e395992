package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.testkit.Flavor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Copy-out lookups of present 16-byte keys in a map of {@code entries} entries of 100-byte values, each key drawn
 * uniformly at random from a precomputed key array, as throughput per thread: {@link #read} with two reader threads
 * and no writer, {@link #readWithWriter} with one reader while a background writer replaces values at
 * {@value #WRITES_PER_SECOND} per second (batches of {@value #WRITE_BATCH}, parked between them). {@code impl}:
 * {@code jrcu} ({@code RcuBytesMap.get(key, byte[])} on a memb domain), {@code ohc} (OHC {@code getDirect}, copied
 * out), {@code chronicle} (Chronicle Map {@code getUsing}), {@code chm} ({@code ConcurrentHashMap<ByteBuffer,
 * byte[]>}, copied out). The trial's set-up prints the heap each map holds per entry (after GC). The fork opens the
 * JDK packages Chronicle Map needs on JDK 25 ({@link ChronicleForkedBenchmark}).
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'BytesMapLookup' -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class BytesMapLookup extends ChronicleForkedBenchmark {

    static final int WRITES_PER_SECOND = 100_000;
    static final int WRITE_BATCH = 100;

    @Param({"jrcu", "ohc", "chronicle", "chm"})
    String impl;

    @Param({"1000000"})
    int entries;

    Rcu rcu;
    BytesMapPeer map;
    private PacedWriter writer;

    @Setup(Level.Trial)
    public void build() {
        rcu = Flavor.named("memb").build();
        byte[][] keys = keys(entries, 42);
        long before = MapLookup.heapAfterGc();
        map = BytesMapPeer.create(impl, rcu, keys, entries);
        long after = MapLookup.heapAfterGc();
        System.out.printf("%n%s, %d entries: %.1f heap bytes per entry%n", impl, entries,
                (after - before) / (double) entries);
    }

    /** {@code n} random 16-byte keys (distinct with overwhelming probability). */
    static byte[][] keys(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        byte[][] keys = new byte[n][BytesMapPeer.KEY_BYTES];
        for (byte[] k : keys) {
            for (int i = 0; i < k.length; i += 8) {
                java.nio.ByteBuffer.wrap(k).putLong(i, random.nextLong());
            }
        }
        return keys;
    }

    /** Starts the background writer of {@link #readWithWriter}: replacements of random keys' values. */
    void startWriter() {
        byte[] value = new byte[BytesMapPeer.VALUE_BYTES];   // the writer thread's only
        writer = new PacedWriter("bytes-map-writer", WRITES_PER_SECOND, WRITE_BATCH, (random, generation) -> {
            BytesMapPeer.value(value, generation);
            map.put(random.nextInt(entries), value);
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

    /** A reader thread's random key indexes and its copy-out buffer. */
    @State(Scope.Thread)
    public static class Reader {
        long seed;
        final byte[] dst = new byte[BytesMapPeer.VALUE_BYTES];

        @Setup(Level.Trial)
        public void setUp() {
            seed = Thread.currentThread().threadId() * 0x9E37_79B9_7F4A_7C15L;
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
        @Setup(Level.Trial)
        public void setUp(BytesMapLookup bench) {
            bench.startWriter();
        }
    }

    @Benchmark
    @Threads(2)
    public int read(Reader r) {
        return map.get(r.next(entries), r.dst) + r.dst[8];
    }

    @Benchmark
    @Threads(1)
    public int readWithWriter(Reader r, WithWriter w) {
        return map.get(r.next(entries), r.dst) + r.dst[8];
    }
}
