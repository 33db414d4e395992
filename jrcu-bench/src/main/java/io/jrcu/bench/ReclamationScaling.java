package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.arena.RcuArena;
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

import java.util.concurrent.TimeUnit;

/**
 * {@link Reclamation#rcuArena} and {@link Reclamation#malloc} without the busy reader: what the arena's own paths
 * cost as threads are added. On a 2-CPU machine, {@link Reclamation}'s two-thread trials run three busy threads
 * (two allocating, one reading); a reader descheduled inside its section (or, for QSBR, while online) holds every
 * grace period for a time slice, so freed memory waits longer and the working set outgrows the caches. Here the
 * grace periods have no reader to wait for, and the figure shows whether the allocator itself scales: each
 * platform thread allocates from its own cache and reclaims its own frees, with no lock and no shared write but the
 * grace period's.
 *
 * <pre>
 * java -jar jrcu-bench/target/benchmarks.jar 'ReclamationScaling.rcuArena' -t 2
 * java -jar jrcu-bench/target/benchmarks.jar 'ReclamationScaling.malloc' -t 2 -p flavor=memb   (flavor: no effect)
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ReclamationScaling extends ForkedBenchmark {

    @Param({"memb", "qsbr", "bp"})
    String flavor;

    Rcu rcu;
    RcuArena arena;
    /** Written into each new block; a field, so that the JIT cannot fold it. */
    long payload = 42;

    @Setup(Level.Trial)
    public void open() {
        rcu = Flavor.named(flavor).build();
        arena = RcuArena.builder(rcu).name("reclamation-scaling-bench").build();
    }

    @TearDown(Level.Trial)
    public void close() {
        // bytesReserved never shrinks before close: the stats now hold the trial's peak
        Reclamation.closeChecked(arena, rcu, arena.stats());
    }

    /** allocate(64) + free of the RcuArena; any number of threads. */
    @Benchmark
    public long rcuArena() {
        return Reclamation.allocateWriteFree(arena, payload);
    }

    /** Native malloc(64) + free through FFM downcalls; any number of threads. */
    @Benchmark
    public long malloc() throws Throwable {
        return Reclamation.Libc.mallocWriteFree(payload);
    }
}
