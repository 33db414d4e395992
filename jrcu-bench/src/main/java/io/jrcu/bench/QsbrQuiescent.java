package io.jrcu.bench;

import io.jrcu.QsbrRcu;
import io.jrcu.RcuReference;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * QSBR as DPDK uses it: a registered reader that is online reads with no section at all (liburcu's QSBR section is
 * empty: an online reader is protected until its next quiescent state) and reports a quiescent state every
 * {@code quiescentEvery} reads (1, 16, 1024), against the limit (a plain volatile read of the same data) in the
 * same run. The score is nanoseconds per read, the {@code quiescent()} calls included. No writer: what a read costs.
 *
 * Each invocation is a loop of {@value #READS} reads (the score is per read), as a DPDK worker's loop, so that the
 * loop's own cost is the same on both sides and the counters stay in registers.
 * <ul>
 *   <li>{@link #volatileRead}: the limit, as {@code ReadSide}'s {@code volatileRead}: load the current version
 *       from a volatile field, read its field.</li>
 *   <li>{@link #online}: load the current version through {@link RcuReference#get()}, read its field, and after
 *       every {@code quiescentEvery} reads call {@link QsbrRcu.Reader#quiescent()} on the thread's kept handle. The
 *       thread is online from the start to the end of each iteration (offline at JMH's end-of-iteration latch, as
 *       {@code ReadSide}'s readers).</li>
 * </ul>
 *
 * <p>Run (from the repository root, {@code java} a JDK 25 or later):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'QsbrQuiescent' -t 1
 * </pre>
 * {@code bin/jrcu bench} runs it with one thread; issue 15's goal is {@code quiescentEvery=1024} within 1.2× the
 * limit.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class QsbrQuiescent extends ForkedBenchmark {

    /** Reads per invocation, as DPDK's loop: a multiple of every {@code quiescentEvery}. */
    static final int READS = 1024;

    /** A version of the data; plain field, published by the reference (or the volatile field) that holds it. */
    static final class Version {
        final long value;

        Version(long value) {
            this.value = value;
        }
    }

    /** The limit's data: a volatile field, nothing else. */
    volatile Version current = new Version(1);  // volatile store and load: safe publication only
    QsbrRcu rcu;
    RcuReference<Version> ref;

    @Setup(Level.Trial)
    public void open() {
        rcu = QsbrRcu.builder().name("bench-qsbr-quiescent").build();
        ref = new RcuReference<>(new Version(1));
    }

    /** Run after every thread unregistered ({@link OnlineReader#unregister}, a thread's own trial tear-down). */
    @TearDown(Level.Trial)
    public void close() {
        rcu.close();
    }

    /** The limit: {@value #READS} times a volatile load and a field read. */
    @Benchmark
    @OperationsPerInvocation(READS)
    public long volatileRead() {
        long sum = 0;
        for (int i = 0; i < READS; i++) {
            sum += current.value;
        }
        return sum;
    }

    /** {@value #READS} reads of an online QSBR reader, and a quiescent state after every {@code quiescentEvery}. */
    @Benchmark
    @OperationsPerInvocation(READS)
    public long online(OnlineReader reader) {
        RcuReference<Version> ref = this.ref;
        QsbrRcu.Reader handle = reader.handle;
        int every = reader.quiescentEvery;
        long sum = 0;
        for (int i = 0; i < READS; ) {
            for (int end = i + every; i < end; i++) {
                sum += ref.get().value;
            }
            handle.quiescent();
        }
        return sum;
    }

    /** A measuring thread's registration: online during each iteration, offline between them. */
    @State(Scope.Thread)
    public static class OnlineReader {
        /** Reads per quiescent state. */
        @Param({"1", "16", "1024"})
        int quiescentEvery;
        QsbrRcu.Reader handle;
        private QsbrRcu rcu;

        @Setup(Level.Trial)
        public void register(QsbrQuiescent bench) {
            if (quiescentEvery <= 0 || READS % quiescentEvery != 0) {   // the loop reads READS in whole runs
                throw new IllegalArgumentException("quiescentEvery must divide " + READS + ": " + quiescentEvery);
            }
            rcu = bench.rcu;
            rcu.registerThread();    // registered and online
            handle = rcu.reader();
            handle.offline();        // online only while an iteration runs
        }

        @Setup(Level.Iteration)
        public void resume() {
            handle.online();
        }

        @TearDown(Level.Iteration)
        public void pause() {
            handle.offline();
        }

        @TearDown(Level.Trial)
        public void unregister() {
            rcu.unregisterThread();
        }
    }
}
