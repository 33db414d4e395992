package io.jrcu.bench;

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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.util.concurrent.TimeUnit;

/**
 * {@code call_rcu} throughput through {@code rcu_barrier}: each invocation queues {@value #BATCH} callbacks with
 * {@link Rcu#call}, then waits in {@link Rcu#barrier()} until all of them have run after their grace period. One
 * JMH operation is one callback, so the scores are callbacks per second, queueing and running included — the shape
 * of liburcu's anchor ({@code ../shared/anchors/run-liburcu.sh}, {@code call_rcu_Mps}), which queues 2,000,000
 * callbacks on the default worker, then calls {@code rcu_barrier()}.
 *
 * <p>Forms: <b>intrusive</b> ({@link RcuCallback}, the {@code rcu_head} form; each producer re-queues a pool of
 * {@value #BATCH} callback objects, and the barrier between batches guarantees that none is still queued when it is
 * queued again — the library would throw {@link IllegalStateException} otherwise) and <b>lambda</b> (a fresh
 * capturing {@code Runnable} per call, as in {@code rcu.call(() -> free(old))}). Both do the same work on the
 * worker: one increment of a counter that the trial's tear-down checks against the number of calls. The default
 * worker and default settings are used throughout (budget 1,000,000 pending, far above what a batch queues).
 *
 * <p>Run everything (from the repository root; {@code java} must be a JDK 25 or later, for example
 * {@code /usr/lib/jvm/temurin-25-jdk-amd64/bin/java}; the build needs none of the tests):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar CallbackThroughput -prof gc
 * </pre>
 * The annotations make that one fork, 3 warm-up and 5 measured iterations of 1 s each (about 9 s per benchmark and
 * flavor; {@code -p flavor=memb} narrows it). {@code gc.alloc.rate.norm} is then bytes per callback. On 2 cores,
 * the producer(s), the worker and the reader of the {@code intrusiveWithReader} group share the two CPUs.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class CallbackThroughput extends FlavorDomain {

    /**
     * Callbacks queued per invocation (per producer thread) before its barrier; also the read sections per
     * invocation of the {@code intrusiveWithReader} group's reader (JMH wants one count per group).
     */
    static final int BATCH = 10_000;

    /** What the reader of the {@code intrusiveWithReader} group loads inside its sections. */
    final RcuReference<Object> data = new RcuReference<>(new Object());

    /** The counter every callback increments, on the worker thread; read by its producer after a barrier. */
    static final class CountingCallback extends RcuCallback {
        long runs;

        @Override
        protected void invoke() {
            runs++;
        }
    }

    /** One producer thread's callbacks, and the check that each call ran exactly once. */
    @State(Scope.Thread)
    public static class Producer {
        final CountingCallback[] pool = new CountingCallback[BATCH];
        long calls;

        @Setup(Level.Trial)
        public void createPool() {
            for (int i = 0; i < pool.length; i++) {
                pool[i] = new CountingCallback();
            }
        }

        /** Queues the whole pool; the caller's barrier then covers every one of them. */
        void callIntrusive(Rcu rcu) {
            for (CountingCallback callback : pool) {
                rcu.call(callback);
            }
            calls += pool.length;
        }

        /** Queues one fresh lambda per pool entry (capturing it, so each call allocates its lambda). */
        void callLambda(Rcu rcu) {
            for (CountingCallback counter : pool) {
                rcu.call(() -> counter.runs++);
            }
            calls += pool.length;
        }

        /** Runs after this thread's last barrier: every call must have run exactly once. */
        @TearDown(Level.Trial)
        public void checkEveryCallRanOnce() {
            long runs = 0;
            for (CountingCallback callback : pool) {
                runs += callback.runs;
            }
            if (runs != calls) {
                throw new IllegalStateException(calls + " callbacks queued but " + runs + " ran");
            }
        }
    }

    /** The reader thread of the {@code intrusiveWithReader} group. */
    @State(Scope.Thread)
    public static class Reader {
        RcuReader handle;

        @Setup(Level.Trial)
        public void register(CallbackThroughput bench) {
            handle = BenchReaders.register(bench.rcu);
        }

        @TearDown(Level.Trial)
        public void unregister(CallbackThroughput bench) {
            BenchReaders.unregister(bench.rcu);
        }
    }

    /**
     * Intrusive form, one producer, no reader: the shape of liburcu's anchor.
     * <pre>java -jar jrcu-bench/target/benchmarks.jar 'CallbackThroughput.intrusive$' -prof gc</pre>
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public void intrusive(Producer producer) {
        producer.callIntrusive(rcu);
        rcu.barrier();
    }

    /**
     * Lambda form, one producer, no reader.
     * <pre>java -jar jrcu-bench/target/benchmarks.jar 'CallbackThroughput.lambda$' -prof gc</pre>
     */
    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(BATCH)
    public void lambda(Producer producer) {
        producer.callLambda(rcu);
        rcu.barrier();
    }

    /**
     * Intrusive form, two producers (each with its own pool and barrier), no reader. The score is the sum of both.
     * <pre>java -jar jrcu-bench/target/benchmarks.jar 'CallbackThroughput.intrusiveTwoProducers' -prof gc</pre>
     */
    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public void intrusiveTwoProducers(Producer producer) {
        producer.callIntrusive(rcu);
        rcu.barrier();
    }

    /**
     * Lambda form, two producers, no reader. The score is the sum of both.
     * <pre>java -jar jrcu-bench/target/benchmarks.jar 'CallbackThroughput.lambdaTwoProducers' -prof gc</pre>
     */
    @Benchmark
    @Threads(2)
    @OperationsPerInvocation(BATCH)
    public void lambdaTwoProducers(Producer producer) {
        producer.callLambda(rcu);
        rcu.barrier();
    }

    /**
     * Intrusive form, one producer, while one reader thread runs read sections back to back (QSBR: online, a
     * quiescent state every 64 sections). JMH prints the group's sum, which mixes units: read the
     * {@code intrusiveWithReader:calls} line (callbacks/s) and the {@code intrusiveWithReader:reads} line
     * (sections/s) instead.
     * <pre>java -jar jrcu-bench/target/benchmarks.jar 'CallbackThroughput.intrusiveWithReader' -prof gc</pre>
     */
    @Benchmark
    @Group("intrusiveWithReader")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public void calls(Producer producer) {
        producer.callIntrusive(rcu);
        rcu.barrier();
    }

    /**
     * The reader of {@link #calls}' group; see there for the command.
     */
    @Benchmark
    @Group("intrusiveWithReader")
    @GroupThreads(1)
    @OperationsPerInvocation(BATCH)
    public void reads(Reader reader, Blackhole blackhole) {
        BenchReaders.readSections(reader.handle, data, BATCH, blackhole);
    }
}
