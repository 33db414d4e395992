package io.jrcu.bench;

import org.apache.cassandra.utils.concurrent.OpOrder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * What Java offers today in place of a grace period, measured as {@link GracePeriod} measures
 * {@code synchronize()} (JMH SampleTime), each with one busy reader thread ({@link BusyReader}) using the peer's own
 * read protocol:
 * <ul>
 *   <li>{@link #arenaClose}: {@code Arena.ofShared()}, allocate 64 bytes, {@code close()} — the close is a
 *       handshake with every thread. The busy reader reads a long-lived shared-arena segment back to back
 *       ({@code MemorySegment.get}), so the handshake finds a thread inside scoped memory accesses.</li>
 *   <li>{@link #opOrderBarrier}: Cassandra's {@link OpOrder} barrier, {@code newBarrier(); issue(); await()}, while
 *       the busy reader runs {@code start()}/{@code close()} groups of the same {@code OpOrder} back to back, each
 *       loading a field.</li>
 * </ul>
 * Each state starts its reader in the trial's set-up and stops it (joined) in the tear-down, so only the benchmark
 * that uses a state runs its reader.
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar GracePeriodPeers
 * </pre>
 * One fork per benchmark, 3 warm-up and 5 measured iterations of 1 s.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GracePeriodPeers extends ForkedBenchmark {

    /** A busy reader of a segment of a long-lived {@link Arena#ofShared()}. */
    @State(Scope.Benchmark)
    public static class SharedArenaReader {
        private Arena arena;
        private BusyReader reader;
        /** Written into each new segment; a field, so that the JIT cannot fold it. */
        long payload = 42;

        @Setup(Level.Trial)
        public void start() {
            arena = Arena.ofShared();
            MemorySegment segment = arena.allocate(64, 8);
            segment.set(ValueLayout.JAVA_LONG, 0, payload);
            reader = BusyReader.peer("shared-arena", () -> segment.get(ValueLayout.JAVA_LONG, 0));
        }

        @TearDown(Level.Trial)
        public void stop() {
            try {
                reader.close();
            } finally {
                arena.close();
            }
        }
    }

    /** A busy reader running groups of an {@link OpOrder}, which the benchmark's barriers wait for. */
    @State(Scope.Benchmark)
    public static class OpOrderReader {
        final OpOrder order = new OpOrder();
        private final long[] data = {42};
        private BusyReader reader;

        @Setup(Level.Trial)
        public void start() {
            reader = BusyReader.peer("op-order", () -> {
                try (OpOrder.Group group = order.start()) {
                    return data[0];
                }
            });
        }

        @TearDown(Level.Trial)
        public void stop() {
            reader.close();
        }
    }

    /** A shared arena's allocate and close, the close's handshake meeting the busy reader. */
    @Benchmark
    public long arenaClose(SharedArenaReader reader) {
        return allocateAndClose(reader.payload);
    }

    /**
     * {@code Arena.ofShared()}, a 64-byte segment holding {@code payload}, {@code close()}; returns the segment's
     * address (also {@link Reclamation#sharedArena}).
     */
    static long allocateAndClose(long payload) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment segment = arena.allocate(64, 8);
            segment.set(ValueLayout.JAVA_LONG, 0, payload);
            return segment.address();
        }
    }

    /** One OpOrder barrier while the busy reader starts and closes groups. */
    @Benchmark
    public void opOrderBarrier(OpOrderReader reader) {
        OpOrder.Barrier barrier = reader.order.newBarrier();
        barrier.issue();
        barrier.await();
    }
}
