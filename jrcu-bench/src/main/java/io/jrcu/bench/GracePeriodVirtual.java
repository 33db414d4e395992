package io.jrcu.bench;

import io.jrcu.BulletProofRcu;
import io.jrcu.ReadSection;
import io.jrcu.Rcu;
import io.jrcu.RcuReference;
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

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link Rcu#synchronize()} latency (JMH SampleTime) of a bullet-proof domain while {@value #VIRTUAL_THREADS} live
 * virtual threads have each run a read section ({@link Rcu#read()}, so each has its reader record) and are parked,
 * not in a section: the case bulletProof exists for. Its grace period sums striped counters, so the figure should
 * match {@code GracePeriod.synchronize} with {@code flavor=bp, readers=none}.
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar GracePeriodVirtual
 * </pre>
 * The trial's set-up starts the virtual threads and waits until all have read and parked (about a second); its
 * tear-down releases them, waits for every one to end and closes the domain.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class GracePeriodVirtual extends ForkedBenchmark {

    /** Live virtual threads while synchronize() is measured. */
    static final int VIRTUAL_THREADS = 100_000;

    BulletProofRcu rcu;
    final RcuReference<long[]> data = new RcuReference<>(new long[] {42});
    private ExecutorService executor;
    private final CountDownLatch release = new CountDownLatch(1);
    private final AtomicInteger failures = new AtomicInteger();

    @Setup(Level.Trial)
    public void startVirtualThreads() throws InterruptedException {
        rcu = Rcu.bulletProof();
        executor = Executors.newVirtualThreadPerTaskExecutor();
        CountDownLatch ready = new CountDownLatch(VIRTUAL_THREADS);
        for (int i = 0; i < VIRTUAL_THREADS; i++) {
            executor.execute(() -> {
                try {
                    try (ReadSection s = rcu.read()) {
                        if (data.get()[0] != 42) {
                            failures.incrementAndGet();
                        }
                    }
                } catch (Throwable t) {
                    failures.incrementAndGet();
                } finally {
                    ready.countDown();
                }
                try {
                    release.await();   // parked, not in a section
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        if (!ready.await(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the virtual threads did not all read within 120 s");
        }
        if (failures.get() != 0) {
            throw new IllegalStateException(failures.get() + " virtual threads failed to read");
        }
    }

    @TearDown(Level.Trial)
    public void stopVirtualThreads() {
        release.countDown();
        try {
            executor.close();   // waits until every virtual thread has ended
        } finally {
            rcu.close();
        }
    }

    /** One grace period with the virtual threads parked. See the class documentation for the command. */
    @Benchmark
    public void synchronize() {
        rcu.synchronize();
    }
}
