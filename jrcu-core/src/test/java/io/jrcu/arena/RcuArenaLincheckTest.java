package io.jrcu.arena;

import io.jrcu.LincheckSupport;
import io.jrcu.Rcu;
import io.jrcu.TestFlavor;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReferenceArray;


/**
 * Lincheck on {@link RcuArena} (issue 4, "Proof": model checking and stress of allocate / free / stats), for every
 * flavor.
 *
 * <p><b>Target.</b> One arena per invocation over a reader-free MANUAL_GRACE_PERIODS domain, with the smallest
 * chunk (4 KiB: one slab per chunk, so a class of 2048-byte blocks runs out after two and must reclaim or carve a
 * new chunk; freed memory is really reused within a scenario). Lincheck's threads are platform threads and the arena
 * is not in debug mode, so every operation goes through the thread caches: magazines, per-thread queues of frees,
 * reclaims by the owner and by other threads before a new slab. The test keeps the segments in its own {@value SLOTS}
 * slots. Operations:
 * <ul>
 *   <li>{@code allocate(size)}, size 1024 or 2048 (exact size classes): the slot it was stored in, or -1 when all
 *       slots are taken (the segment is then freed again);</li>
 *   <li>{@code free(slot)}: "ok", "empty" for an empty slot (no call), or the exception's class name;</li>
 *   <li>{@code doubleFree(size)}: allocate, free, free again: IllegalStateException (no grace period can pass in
 *       between: the operation holds the gate, so the block cannot have been reused);</li>
 *   <li>{@code freeForeign()}: a segment of another arena: IllegalArgumentException;</li>
 *   <li>{@code stats()}: bytesInUse, after checking reserved == inUse + pendingFree + free with no negative term
 *       (an exception otherwise, which the model never returns);</li>
 *   <li>{@code synchronize()} on the domain: frees before it become reusable;</li>
 *   <li>{@code flushThreadCache()}: the calling thread's cache goes back to the arena (no visible effect on the
 *       model; it moves blocks between the thread's magazines, its queue and the shared free lists).</li>
 * </ul>
 * stats() and synchronize() run with the {@link LincheckSupport.Gate gate} exclusive, allocate and free shared:
 * {@link ArenaStats} is documented exact only when no allocate or free runs concurrently (it reads its counters one
 * by one), so a stats() interleaved with them has no linearization point by contract.
 *
 * <p><b>Sequential specification</b> ({@link ArenaModel}): the slots and the size of what each holds; stats is their
 * sum. @Validate closes the arena and the domain, then requires all-zero stats and nothing at the error handler.
 *
 * <p>Iteration counts (quick tier; {@code -Djrcu.lincheck.scale=N} multiplies them): model checking 2 iterations x 30
 * invocations, stress 12 iterations x 100 invocations, per flavor (12: at 3, a magazine that handed one block out twice
 * was not caught; at 12 stress catches it for every flavor, ~17 s for the whole class).
 */
public class RcuArenaLincheckTest {

    static final int MODEL_CHECKING_ITERATIONS = 2;
    static final int MODEL_CHECKING_INVOCATIONS = 30;
    static final int STRESS_ITERATIONS = 12;
    static final int STRESS_INVOCATIONS = 100;

    static final int SLOTS = 3;
    static final long CHUNK = 4096;

    /** The arena under test, its domain and the test's slots. */
    public static class Target {
        /** Set by each test before it runs Lincheck; tests run one at a time. */
        static volatile TestFlavor flavor;

        private final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
        private final Rcu rcu = LincheckSupport.manualDomain(flavor, errors::add);
        private final RcuArena arena = RcuArena.builder(rcu).name("lincheck").chunkSize(CHUNK).build();
        private final AtomicReferenceArray<MemorySegment> slots = new AtomicReferenceArray<>(SLOTS);
        private final LincheckSupport.Gate gate = new LincheckSupport.Gate();

        @Operation
        public int allocate(@Param(gen = IntGen.class, conf = "1:2") int kib) {
            gate.enterShared();
            try {
                MemorySegment segment = arena.allocate(kib * 1024L);
                for (int i = 0; i < SLOTS; i++) {
                    if (slots.compareAndSet(i, null, segment)) {
                        return i;
                    }
                }
                arena.free(segment);
                return -1;
            } finally {
                gate.exitShared();
            }
        }

        @Operation
        public String free(@Param(gen = IntGen.class, conf = "0:2") int slot) {
            gate.enterShared();
            try {
                MemorySegment segment = slots.getAndSet(slot, null);
                return segment == null ? "empty" : outcome(() -> arena.free(segment));
            } finally {
                gate.exitShared();
            }
        }

        @Operation
        public String doubleFree(@Param(gen = IntGen.class, conf = "1:2") int kib) {
            gate.enterShared();
            try {
                MemorySegment segment = arena.allocate(kib * 1024L);
                arena.free(segment);
                return outcome(() -> arena.free(segment));
            } finally {
                gate.exitShared();
            }
        }

        @Operation
        public String freeForeign() {
            gate.enterShared();
            try (Arena other = Arena.ofConfined()) {
                MemorySegment foreign = other.allocate(1024);
                return outcome(() -> arena.free(foreign));
            } finally {
                gate.exitShared();
            }
        }

        /** Hands the calling thread's cache back (its collected frees queued, its magazines to the free lists). */
        @Operation
        public void flushThreadCache() {
            gate.enterShared();
            try {
                arena.flushThreadCache();
            } finally {
                gate.exitShared();
            }
        }

        @Operation
        public long stats() {
            long[] inUse = new long[1];
            gate.exclusively(() -> inUse[0] = checkedStats().bytesInUse());
            return inUse[0];
        }

        @Operation
        public void synchronize() {
            gate.exclusively(rcu::synchronize);
        }

        private ArenaStats checkedStats() {
            ArenaStats s = arena.stats();
            if (s.bytesInUse() < 0 || s.bytesPendingFree() < 0 || s.bytesFree() < 0
                    || s.bytesReserved() != s.bytesInUse() + s.bytesPendingFree() + s.bytesFree()) {
                throw new IllegalStateException("stats break reserved == inUse + pendingFree + free: " + s);
            }
            return s;
        }

        private static String outcome(Runnable call) {
            try {
                call.run();
                return "ok";
            } catch (RuntimeException e) {
                return e.getClass().getSimpleName();
            }
        }

        /** After every invocation: close releases everything, and nothing reached the error handler. */
        @Validate
        public void closesClean() {
            arena.close();
            rcu.close();
            ArenaStats s = arena.stats();
            if (!s.equals(new ArenaStats(0, 0, 0, 0)) || !errors.isEmpty()) {
                throw new IllegalStateException("after close: " + s + ", errors " + errors);
            }
        }
    }

    /** The slots and the size each holds (0: empty). */
    public static class ArenaModel {
        private final long[] sizes = new long[SLOTS];

        public int allocate(int kib) {
            for (int i = 0; i < SLOTS; i++) {
                if (sizes[i] == 0) {
                    sizes[i] = kib * 1024L;
                    return i;
                }
            }
            return -1;
        }

        public String free(int slot) {
            if (sizes[slot] == 0) {
                return "empty";
            }
            sizes[slot] = 0;
            return "ok";
        }

        public String doubleFree(int kib) {
            return "IllegalStateException";
        }

        public String freeForeign() {
            return "IllegalArgumentException";
        }

        public long stats() {
            long sum = 0;
            for (long size : sizes) {
                sum += size;
            }
            return sum;
        }

        public void synchronize() {
        }

        public void flushThreadCache() {
        }
    }

    private static void check(Options<?, ?> options, TestFlavor flavor) {
        Target.flavor = flavor;
        options.sequentialSpecification(ArenaModel.class).check(Target.class);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestFlavor.class)
    void modelChecking(TestFlavor flavor) {
        check(LincheckSupport.modelChecking(MODEL_CHECKING_ITERATIONS, MODEL_CHECKING_INVOCATIONS), flavor);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestFlavor.class)
    void stress(TestFlavor flavor) {
        check(LincheckSupport.stress(STRESS_ITERATIONS, STRESS_INVOCATIONS), flavor);
    }
}
