package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.RcuReference;
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
import org.openjdk.jmh.annotations.Warmup;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code synchronize_rcu} latency: the distribution (JMH SampleTime: p50, p90, p99, ...) of {@link Rcu#synchronize()}
 * per flavor, with three reader populations ({@code -p readers=...}):
 * <ul>
 *   <li>{@code none}: no reader at all (the grace period's fixed cost);</li>
 *   <li>{@code busy}: one platform thread running read sections back to back ({@link BusyReader}; QSBR: online,
 *       a quiescent state every 64 sections), each loading an {@link RcuReference} — liburcu's busy reader;</li>
 *   <li>{@code idle1000}: 1,000 registered platform threads that have each run one section and are parked, not in a
 *       section (QSBR: offline) — the cost of a scan over many idle readers.</li>
 * </ul>
 * The figures to compare are in {@code ../shared/REFERENCE.md}: liburcu's synchronize_rcu with one busy reader,
 * Cassandra's {@code OpOrder} barrier and the shared-Arena close ({@link GracePeriodPeers}).
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'GracePeriod.synchronize' -p readers=busy
 * </pre>
 * The annotations make that one fork per flavor and population, 3 warm-up and 5 measured iterations of 1 s. The
 * reader threads are started in the trial's set-up and stopped (joined) in its tear-down; on 2 cores the busy
 * reader and the synchronizing thread each take one.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class GracePeriod extends ForkedBenchmark {

    /** Idle readers of {@code readers=idle1000}. */
    static final int IDLE_READERS = 1000;

    @Param({"memb", "qsbr", "bp"})
    String flavor;

    @Param({"none", "busy", "idle1000"})
    String readers;

    Rcu rcu;
    /** What the readers load inside their sections. */
    final RcuReference<long[]> data = new RcuReference<>(new long[] {42});
    private BusyReader busy;
    private IdleReaders idle;

    @Setup(Level.Trial)
    public void startReaders() {
        rcu = Flavor.named(flavor).build();
        switch (readers) {
            case "none" -> {
            }
            case "busy" -> busy = BusyReader.jrcu(rcu, () -> data.get()[0]);
            case "idle1000" -> idle = new IdleReaders(rcu, data, IDLE_READERS);
            default -> throw new IllegalArgumentException("readers=" + readers + ": use none, busy or idle1000");
        }
    }

    @TearDown(Level.Trial)
    public void stopReaders() {
        try {
            if (busy != null) {
                busy.close();
            }
            if (idle != null) {
                idle.close();
            }
        } finally {
            rcu.close();
        }
    }

    /** One grace period. See the class documentation for the command. */
    @Benchmark
    public void synchronize() {
        rcu.synchronize();
    }

    /**
     * Platform threads that register as readers of a domain, run one section each, then park (QSBR: offline)
     * until {@link #close()}, which wakes them, lets them unregister and joins them.
     */
    static final class IdleReaders implements AutoCloseable {
        private final CountDownLatch ready;
        private final CountDownLatch release = new CountDownLatch(1);
        private final List<Thread> threads = new ArrayList<>();
        private final List<Throwable> failures = new ArrayList<>();

        IdleReaders(Rcu rcu, RcuReference<long[]> data, int count) {
            ready = new CountDownLatch(count);
            for (int i = 0; i < count; i++) {
                Thread t = Thread.ofPlatform().name("idle-reader-" + i).daemon().stackSize(256 * 1024).unstarted(() -> {
                    try {
                        RcuReader handle = BenchReaders.register(rcu);  // QSBR: offline outside readSections
                        BenchReaders.readSections(handle, 1, () -> data.get()[0]);
                        ready.countDown();
                        release.await();
                        BenchReaders.unregister(rcu);
                    } catch (Throwable e) {
                        synchronized (failures) {
                            failures.add(e);
                        }
                        ready.countDown();
                    }
                });
                threads.add(t);
                t.start();
            }
            await(ready, "the idle readers to register");
            checkFailures();
        }

        private static void await(CountDownLatch latch, String what) {
            try {
                if (!latch.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("waited 60 s for " + what);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + what, e);
            }
        }

        private void checkFailures() {
            synchronized (failures) {
                if (!failures.isEmpty()) {
                    IllegalStateException e = new IllegalStateException(failures.size() + " idle readers failed");
                    failures.forEach(e::addSuppressed);
                    throw e;
                }
            }
        }

        /** Wakes every reader, waits for all of them to unregister and end, and reports their failures. */
        @Override
        public void close() {
            release.countDown();
            try {
                for (Thread t : threads) {
                    if (!t.join(Duration.ofSeconds(60))) {
                        throw new IllegalStateException(t.getName() + " did not end within 60 s");
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while joining the idle readers", e);
            }
            checkFailures();
        }
    }
}
