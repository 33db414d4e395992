package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.RcuCallback;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * {@code call_rcu} latency: the distribution (JMH SampleTime: p50, p99, ...) of the time from {@link Rcu#call} to
 * the callback running, per flavor. Each invocation queues one intrusive callback ({@link RcuCallback}) and waits
 * until the worker has run it (spinning, then yielding the CPU to the worker). No reader is active and the default
 * worker runs with default options, so the figure is the worker's own latency for a lone callback: its wake-up,
 * its wait for a fuller batch ({@code WorkerOptions.defaults()}: up to 10 ms for 64 callbacks), one grace period
 * and the invocation. One callback at a time keeps the garbage at zero.
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar CallLatency
 * </pre>
 * One fork per flavor, 3 warm-up and 5 measured iterations of 1 s. A callback that has not run after
 * {@value #TIMEOUT_SECONDS} s fails the benchmark instead of hanging it.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class CallLatency extends FlavorDomain {

    /** The longest wait for one callback before the benchmark fails. */
    static final long TIMEOUT_SECONDS = 30;
    /** Spins before the waiting thread starts yielding to the worker (2 cores are shared). */
    static final int SPINS = 100;


    /** A callback that records that it ran; re-queued by its thread once it has run. */
    static final class Probe extends RcuCallback {
        /** Set by the worker in invoke(); volatile: the waiting thread must see it. */
        volatile boolean ran;

        @Override
        protected void invoke() {
            ran = true;
        }
    }

    /** Each benchmark thread's probe. */
    @State(Scope.Thread)
    public static class ThreadProbe {
        final Probe probe = new Probe();
    }

    /** Queue the probe, wait until it has run. */
    @Benchmark
    public void callToInvocation(ThreadProbe thread) {
        Probe probe = thread.probe;
        probe.ran = false;   // volatile store; the callback is not queued now (it ran, or was never queued)
        rcu.call(probe);
        int spins = 0;
        long deadline = 0;
        while (!probe.ran) {  // volatile load; partner: the store in invoke()
            if (++spins <= SPINS) {
                Thread.onSpinWait();
                continue;
            }
            Thread.yield();
            if ((spins & 1023) == 0) {
                long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
                } else if (now - deadline > 0) {
                    throw new IllegalStateException(flavor + ": the callback did not run within "
                            + TIMEOUT_SECONDS + " s of call()");
                }
            }
        }
    }
}
