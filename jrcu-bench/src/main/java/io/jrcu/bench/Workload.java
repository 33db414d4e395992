package io.jrcu.bench;

import io.jrcu.BulletProofRcu;
import io.jrcu.MembRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuCallback;
import io.jrcu.RcuReader;
import io.jrcu.RcuReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * "Which configuration for which workload": the same reader and writer mix run against each {@link Config} (memb
 * with asymmetric or full reader fences, QSBR, bulletProof), so that {@code bin/jrcu bench} can say which one wins
 * each workload ({@link WorkloadTable}). Every reader operation is {@value #READS_PER_OP} read sections through the
 * thread's kept handle (QSBR: online for the batch, a quiescent state every 64 sections, offline after it:
 * {@link BenchReaders#readSections}); every updater operation replaces the published version and waits for a grace
 * period ({@code getAndSet}, {@code synchronize()}, then poisons the old version; a reader that read poison
 * throws). Sampled (JMH SampleTime): a reader's mean gives reads per second, the updater's p50 the update latency.
 *
 * <ul>
 *   <li>group {@code readMostly}: 2 readers, and an updater that starts an update every millisecond (1,000 updates
 *       per second; the wait before an update is a per-invocation set-up, not measured). Decided by reads per
 *       second: what the readers get while grace periods are rare.</li>
 *   <li>group {@code updateHeavy}: 1 reader, and an updater that updates as fast as it can. Decided by the update
 *       latency (p50 of publish + synchronize): what a writer waiting for grace periods on its hot path pays.</li>
 *   <li>group {@code reclaiming}: 1 reader, and an updater that replaces the version as fast as it can and retires
 *       the old one with {@link Rcu#call(RcuCallback)} instead of waiting (the callback poisons it after a grace
 *       period; the domain's callback budget and backpressure bound what is pending). Decided by updates per
 *       second: how fast a writer that never waits can retire objects.</li>
 * </ul>
 *
 * <p>Run (from the repository root, {@code java} a JDK 25 or later, native access for memb's membarrier):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -jar jrcu-bench/target/benchmarks.jar 'Workload' -f 1 -wi 2 -i 3
 * </pre>
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@State(Scope.Benchmark)
public class Workload extends ForkedBenchmark {

    /** Read sections per reader operation: enough for the sampling timer's cost to vanish in the figure. */
    static final int READS_PER_OP = 1000;
    /** The read-mostly updater's period: 1 ms, 1,000 updates per second. */
    static final long READ_MOSTLY_PERIOD_NANOS = 1_000_000;
    /** What a replaced version's field holds once the updater freed it. */
    static final long POISON = 0xDEAD_BEEFL;

    /** The domains compared, named as {@code -p config=} takes them. */
    public enum Config {
        /** memb, {@code readerFences(ASYMMETRIC)}: readers pay a compiler barrier, grace periods a membarrier. */
        membAsymmetric,
        /** memb, {@code readerFences(FULL)}: readers pay a full fence, grace periods no system call. */
        membFull,
        /** QSBR: readers online for a batch, a quiescent state every 64 sections. */
        qsbr,
        /** bulletProof: no registration, sections on striped counters. */
        bp;

        Rcu build() {
            return switch (this) {
                case membAsymmetric -> MembRcu.builder().name("workload-memb-asymmetric")
                        .readerFences(MembRcu.ReaderFences.ASYMMETRIC).build();
                case membFull -> MembRcu.builder().name("workload-memb-full")
                        .readerFences(MembRcu.ReaderFences.FULL).build();
                case qsbr -> QsbrRcu.builder().name("workload-qsbr").build();
                case bp -> BulletProofRcu.builder().name("workload-bp").build();
            };
        }
    }

    /**
     * A published version; the updater overwrites {@link #value} with {@link #POISON} once no reader can hold it
     * (itself after {@code synchronize()}, or as a callback after a grace period).
     */
    static final class Version extends RcuCallback {
        long value;

        Version(long value) {
            this.value = value;
        }

        @Override
        protected void invoke() {
            value = POISON;
        }
    }

    @Param({"membAsymmetric", "membFull", "qsbr", "bp"})
    Config config;

    Rcu rcu;
    RcuReference<Version> ref;
    /** Versions published so far; the single updater thread only. */
    long updates;

    @Setup(Level.Trial)
    public void open() {
        rcu = config.build();
        ref = new RcuReference<>(new Version(0));
    }

    /** Run once every thread has unregistered (their own trial tear-downs); runs the callbacks still pending. */
    @TearDown(Level.Trial)
    public void close() {
        rcu.close();
    }

    // ------------------------------------------------------------------ read-mostly

    /** {@value #READS_PER_OP} read sections; see the class documentation. */
    @Benchmark
    @Group("readMostly")
    @GroupThreads(2)
    public long reader(ReaderThread thread) {
        return thread.readBatch(ref);
    }

    /** One update (publish + synchronize), started at most once per millisecond. */
    @Benchmark
    @Group("readMostly")
    @GroupThreads(1)
    public void updater(Pacing pacing) {
        update();
    }

    // ------------------------------------------------------------------ update-heavy

    /** {@value #READS_PER_OP} read sections; see the class documentation. */
    @Benchmark
    @Group("updateHeavy")
    @GroupThreads(1)
    public long busyReader(ReaderThread thread) {
        return thread.readBatch(ref);
    }

    /** One update (publish + synchronize), as fast as the updater can. */
    @Benchmark
    @Group("updateHeavy")
    @GroupThreads(1)
    public void eagerUpdater() {
        update();
    }

    // ------------------------------------------------------------------ reclaiming

    /** {@value #READS_PER_OP} read sections; see the class documentation. */
    @Benchmark
    @Group("reclaiming")
    @GroupThreads(1)
    public long reclaimingReader(ReaderThread thread) {
        return thread.readBatch(ref);
    }

    /** One update that does not wait: publish, and retire the old version with {@code call()}. */
    @Benchmark
    @Group("reclaiming")
    @GroupThreads(1)
    public void retiringUpdater() {
        rcu.call(ref.getAndSet(new Version(++updates)));
    }

    /** Publishes a new version, waits for a grace period, frees (poisons) the old one. Single updater thread. */
    private void update() {
        Version old = ref.getAndSet(new Version(++updates));
        rcu.synchronize();
        old.value = POISON;
    }

    // ------------------------------------------------------------------ per-thread states

    /** A reading thread's kept handle (QSBR: registered, offline between batches). */
    @State(Scope.Thread)
    public static class ReaderThread {
        RcuReader handle;
        private Rcu rcu;

        @Setup(Level.Trial)
        public void register(Workload bench) {
            rcu = bench.rcu;
            handle = BenchReaders.register(rcu);
        }

        long readBatch(RcuReference<Version> ref) {
            return BenchReaders.readSections(handle, READS_PER_OP, () -> {
                long v = ref.get().value;
                if (v == POISON) {
                    throw new IllegalStateException("a reader read a freed version of " + rcu);
                }
                return v;
            });
        }

        @TearDown(Level.Trial)
        public void unregister() {
            BenchReaders.unregister(rcu);
        }
    }

    /** The read-mostly updater's clock: before each update, a wait until its slot (not measured). */
    @State(Scope.Thread)
    public static class Pacing {
        private long next;

        @Setup(Level.Invocation)
        public void awaitSlot() {
            long now = System.nanoTime();
            if (next == 0 || now - next > READ_MOSTLY_PERIOD_NANOS) {
                next = now;   // first update, or far behind: start now instead of catching up in a burst
            }
            while ((now = System.nanoTime()) - next < 0) {
                LockSupport.parkNanos(next - now);
            }
            next += READ_MOSTLY_PERIOD_NANOS;
        }
    }
}
