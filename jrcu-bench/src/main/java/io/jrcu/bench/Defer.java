package io.jrcu.bench;

import io.jrcu.Rcu;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code defer_rcu} per callback on a platform thread ({@link Rcu#defer}): the callback is appended to the thread's
 * own batch; every 256th call waits for a grace period and runs the batch on the calling thread. The score is the
 * cost per callback, the grace period and running the callbacks amortized in. No reader is active.
 *
 * <p>Forms: <b>kept</b> — one callback object that the caller keeps and defers again and again, so
 * {@code gc.alloc.rate.norm} shows what {@code defer} itself allocates per call (nothing); <b>lambda</b> — a fresh
 * capturing lambda per call, as in {@code rcu.defer(() -> pool.put(slot))}: the lambda's own bytes and nothing
 * more. Both callbacks count their runs; the trial's tear-down checks the count against the calls.
 *
 * <p>Run (from the repository root; {@code java} must be a JDK 25 or later, for example
 * {@code /usr/lib/jvm/temurin-25-jdk-amd64/bin/java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'bench.Defer\.' -prof gc
 * </pre>
 * The annotations make that one fork, 3 warm-up and 5 measured iterations of 1 s each per form and flavor.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class Defer extends FlavorDomain {

    /** One deferring thread's callbacks and the check that each deferred call ran exactly once. */
    @State(Scope.Thread)
    public static class Deferrer {
        /** Incremented by the callbacks, on this thread (full batches) or a worker (batches flushed or left idle). */
        final AtomicLong runs = new AtomicLong();
        final Runnable kept = runs::incrementAndGet;
        long calls;

        /** Runs before the domain closes: after a barrier every deferred call has run exactly once. */
        @TearDown(Level.Trial)
        public void checkEveryCallRanOnce(Defer bench) {
            bench.rcu.barrier();
            if (runs.get() != calls) {
                throw new IllegalStateException(calls + " callbacks deferred but " + runs.get() + " ran");
            }
        }
    }

    /**
     * The kept callback object, one producer.
     * <pre>java -jar jrcu-bench/target/benchmarks.jar 'bench.Defer.kept' -prof gc</pre>
     */
    @Benchmark
    @Threads(1)
    public void kept(Deferrer deferrer) {
        rcu.defer(deferrer.kept);
        deferrer.calls++;
    }

    /**
     * A fresh capturing lambda per call, one producer.
     * <pre>java -jar jrcu-bench/target/benchmarks.jar 'bench.Defer.lambda' -prof gc</pre>
     */
    @Benchmark
    @Threads(1)
    public void lambda(Deferrer deferrer) {
        AtomicLong runs = deferrer.runs;
        rcu.defer(() -> runs.incrementAndGet());
        deferrer.calls++;
    }
}
