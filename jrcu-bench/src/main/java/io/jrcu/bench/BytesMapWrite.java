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

import java.util.concurrent.TimeUnit;

/**
 * One writer thread at a stable size, as {@link MapWrite} for the byte maps: each operation puts a 100-byte value
 * under the 16-byte key entering a window sliding over a key array of twice {@code entries}, and removes the key that
 * leaves it. {@code impl} as {@link BytesMapLookup} (same fork flags); {@code -prof gc} shows the allocation per
 * operation.
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'BytesMapWrite' -prof gc
 * </pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class BytesMapWrite extends ChronicleForkedBenchmark {

    @Param({"jrcu", "ohc", "chronicle", "chm"})
    String impl;

    @Param({"1000000"})
    int entries;

    Rcu rcu;
    BytesMapPeer map;
    private final byte[] value = new byte[BytesMapPeer.VALUE_BYTES];
    private int head;

    @Setup(Level.Trial)
    public void build() {
        rcu = Flavor.named("memb").build();
        map = BytesMapPeer.create(impl, rcu, BytesMapLookup.keys(2 * entries, 42), 2 * entries);
        for (int i = entries; i < 2 * entries; i++) {
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
        BytesMapPeer.value(value, h);
        map.put((h + entries) % n, value);
        map.remove(h);
        head = h + 1 == n ? 0 : h + 1;
    }
}
