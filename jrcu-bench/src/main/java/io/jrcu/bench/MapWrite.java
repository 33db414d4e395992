package io.jrcu.bench;

import io.jrcu.Rcu;
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

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * One writer thread at a stable size: each operation puts the next key of a window sliding over a key array of
 * twice {@code entries} and removes the key that leaves the window, so the map holds {@code entries} entries and
 * every remove leaves an entry to reclaim (for RcuLongMap a tombstone that waits for its grace period in the map's
 * queue). {@code impl} as {@link MapLookup} (one memb domain); {@code -prof gc} shows the allocation per operation.
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'MapWrite' -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class MapWrite extends ForkedBenchmark {

    @Param({"jrcuGet", "chm", "agronaStamped", "agronaRwLock"})
    String impl;

    @Param({"1000000"})
    int entries;

    Rcu rcu;
    MapPeer map;
    private int head;

    @Setup(Level.Trial)
    public void build() {
        rcu = Flavor.named("memb").build();
        long[] keys = new long[2 * entries];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < keys.length; i++) {
            keys[i] = random.nextLong();
        }
        map = MapPeer.create(impl, rcu, keys);
        for (int i = entries; i < keys.length; i++) {
            map.remove(i);
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        map.close();
        rcu.close();
    }

    /** put of the key entering the window plus remove of the key leaving it: one operation. */
    @Benchmark
    @Threads(1)
    public void putRemove() {
        int n = 2 * entries;
        int h = head;
        map.put((h + entries) % n, h);
        map.remove(h);
        head = h + 1 == n ? 0 : h + 1;
    }
}
