package io.jrcu.bench;

import io.jrcu.DeferQueue;
import io.jrcu.Rcu;
import io.jrcu.RcuReference;
import io.jrcu.arena.ArenaStats;
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

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.TimeUnit;

/**
 * Freeing a resource that readers may still hold, per resource, while one busy reader thread is active
 * ({@link BusyReader}: jrcu read sections of the {@code flavor}'s domain, each reading the first long of a 64-byte
 * {@link RcuArena} segment — a shared-arena segment access, so arena-close handshakes meet it too).
 * <ul>
 *   <li>{@link #deferQueue}: a library's own reclamation queue ({@link DeferQueue}): take a slot from a pool,
 *       enqueue it (as deleting an entry of a DPDK hash table does); the enqueue reclaims whatever has passed its
 *       grace period once more than {@value Slots#TRIGGER} are pending, and a thread that finds its pool of
 *       {@value Slots#POOL} slots empty reclaims until one is back. The score is enqueue plus amortized reclaim.</li>
 *   <li>{@link #rcuArena}: {@code allocate(64)}, write a long, {@code free} — memory reused after a grace
 *       period.</li>
 *   <li>{@link #sharedArena}: what Java offers today — {@code Arena.ofShared()}, allocate 64 bytes, write a long,
 *       {@code close()} (a handshake with every thread).</li>
 *   <li>{@link #malloc}: native {@code malloc(64)}, write a long, {@code free} through {@code java.lang.foreign}
 *       downcalls: no reader protection at all, the speed limit.</li>
 * </ul>
 * Garbage stays bounded: the queue by its pool (each thread's {@link DeferQueue} holds at most {@value Slots#POOL}),
 * the arena by its reuse after grace periods (the trial's tear-down fails, showing the {@link ArenaStats}, if more
 * than {@value #MAX_RESERVED_BYTES} bytes were ever reserved), the others free at once.
 *
 * <p>{@code flavor} only matters to {@code deferQueue} and {@code rcuArena}; the busy reader uses it for all four,
 * so run {@code sharedArena} and {@code malloc} with one flavor. {@code rcuArena} and {@code malloc} work with any
 * {@code -t}; each thread of {@code deferQueue} has its own queue.
 *
 * <p>Run (from the repository root, with a JDK 25 {@code java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'Reclamation.(deferQueue|rcuArena)' -prof gc
 * java -jar jrcu-bench/target/benchmarks.jar 'Reclamation.(sharedArena|malloc)' -p flavor=memb
 * java -jar jrcu-bench/target/benchmarks.jar 'Reclamation.(rcuArena|malloc)' -t 2 -p flavor=memb
 * </pre>
 * One fork per benchmark and flavor, 3 warm-up and 5 measured iterations of 1 s.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class Reclamation extends ForkedBenchmark {

    /** A trial whose arena ever reserved more than this (256 MiB) has not reused freed memory. */
    static final long MAX_RESERVED_BYTES = 256L << 20;

    @Param({"memb", "qsbr", "bp"})
    String flavor;

    Rcu rcu;
    RcuArena arena;
    /** What the busy reader reads: a segment of {@link #arena}, never replaced. */
    private RcuReference<MemorySegment> published;
    private BusyReader reader;
    /** Written into each new block; a field, so that the JIT cannot fold it. */
    long payload = 42;

    @Setup(Level.Trial)
    public void startReader() {
        rcu = Flavor.named(flavor).build();
        arena = RcuArena.builder(rcu).name("reclamation-bench").build();
        MemorySegment segment = arena.allocate(64);
        segment.set(ValueLayout.JAVA_LONG, 0, payload);
        published = new RcuReference<>(segment);
        reader = BusyReader.jrcu(rcu, () -> published.get().get(ValueLayout.JAVA_LONG, 0));
    }

    /**
     * Run by the first thread out of the last iteration, after every thread's last invocation; the reader stops
     * before the arena and the domain close (both wait for grace periods).
     */
    @TearDown(Level.Trial)
    public void stopReader() {
        try {
            reader.close();
        } finally {
            ArenaStats end = arena.stats();   // bytesReserved never shrinks before close: the trial's peak
            arena.free(published.get());
            closeChecked(arena, rcu, end);
        }
    }

    /**
     * Closes the arena and then its domain (even if the arena's close throws), and fails the trial if the arena
     * ever reserved more than {@value #MAX_RESERVED_BYTES} bytes ({@code end}: its stats taken before, the peak).
     */
    static void closeChecked(RcuArena arena, Rcu rcu, ArenaStats end) {
        try {
            arena.close();
        } finally {
            rcu.close();
        }
        if (end.bytesReserved() > MAX_RESERVED_BYTES) {
            throw new IllegalStateException("the RcuArena reserved more than " + MAX_RESERVED_BYTES
                    + " bytes, freed memory is not being reused: " + end);
        }
    }

    // ------------------------------------------------------------------ DeferQueue

    /** A pool slot: the resource a {@link DeferQueue} hands back after its grace period. */
    static final class Slot {
        long generation;
    }

    /**
     * One thread's pool of slots and its single-producer {@link DeferQueue}, whose free function returns a slot to
     * the pool. Only the owning thread enqueues and reclaims (the pool is not thread-safe), including the close in
     * the tear-down, which also checks that every slot came back.
     */
    @State(Scope.Thread)
    public static class Slots {
        static final int POOL = 4096;
        static final int TRIGGER = 256;
        private final Slot[] free = new Slot[POOL];
        private int available;
        DeferQueue<Slot> queue;

        @Setup(Level.Trial)
        public void fill(Reclamation bench) {
            for (int i = 0; i < POOL; i++) {
                free[available++] = new Slot();
            }
            queue = DeferQueue.builder(bench.rcu, this::release)
                    .name("slots-" + Thread.currentThread().getName())
                    .triggerReclaimLimit(TRIGGER)
                    .maxReclaimSize(TRIGGER)
                    .singleProducer()
                    .build();
        }

        /** A slot from the pool; an empty pool reclaims (without blocking) until one comes back. */
        Slot take() {
            while (available == 0) {
                if (queue.reclaim(POOL).freed() == 0) {
                    Thread.onSpinWait();   // the oldest grace period is not over yet
                }
            }
            return free[--available];
        }

        /** The queue's free function. */
        private void release(Slot slot) {
            free[available++] = slot;
        }

        @TearDown(Level.Trial)
        public void drain() {
            queue.close();   // waits for the grace periods and frees everything (every cookie passes once closed)
            if (available != POOL) {
                throw new IllegalStateException((POOL - available) + " slots never came back from the DeferQueue");
            }
        }
    }

    /** Take a slot, hand it to the queue (which reclaims older ones once its trigger is passed). */
    @Benchmark
    public Slot deferQueue(Slots slots) {
        Slot slot = slots.take();
        slot.generation++;
        if (!slots.queue.enqueue(slot)) {
            throw new IllegalStateException("an unbounded DeferQueue refused an enqueue");
        }
        return slot;
    }

    // ------------------------------------------------------------------ off-heap memory

    /** allocate(64) + free of the RcuArena; any number of threads. */
    @Benchmark
    public long rcuArena() {
        return allocateWriteFree(arena, payload);
    }

    /** The measured work of rcuArena (shared with ReclamationScaling): allocate(64), write a long, free. */
    static long allocateWriteFree(RcuArena arena, long payload) {
        MemorySegment segment = arena.allocate(64);
        segment.set(ValueLayout.JAVA_LONG, 0, payload);
        arena.free(segment);
        return segment.address();
    }

    /** Arena.ofShared(), allocate 64 bytes, close: the free of today's Java. */
    @Benchmark
    public long sharedArena() {
        return GracePeriodPeers.allocateAndClose(payload);
    }

    /** Native malloc(64) + free through FFM downcalls; any number of threads. */
    @Benchmark
    public long malloc() throws Throwable {
        return Libc.mallocWriteFree(payload);
    }

    /** The C library's malloc and free, looked up once. */
    @SuppressWarnings("restricted") // downcalls are what this peer measures; the fork enables native access
    static final class Libc {
        private static final Linker LINKER = Linker.nativeLinker();
        static final MethodHandle MALLOC = LINKER.downcallHandle(
                LINKER.defaultLookup().find("malloc").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        static final MethodHandle FREE = LINKER.downcallHandle(
                LINKER.defaultLookup().find("free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));

        /** The measured work of malloc (shared with ReclamationScaling): malloc(64), write a long, free. */
        static long mallocWriteFree(long payload) throws Throwable {
            MemorySegment block = (MemorySegment) MALLOC.invokeExact(64L);
            if (block.equals(MemorySegment.NULL)) {
                throw new OutOfMemoryError("malloc(64) returned NULL");
            }
            block.reinterpret(64).set(ValueLayout.JAVA_LONG, 0, payload);
            FREE.invokeExact(block);
            return block.address();
        }

        private Libc() {
        }
    }
}
