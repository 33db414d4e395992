package io.jrcu;

import io.jrcu.DeferQueue.ReclaimResult;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jrcu.LincheckSupport.SCALE;
import static io.jrcu.LincheckSupport.actor;
import static io.jrcu.LincheckSupport.modelChecking;
import static io.jrcu.LincheckSupport.scenario;
import static io.jrcu.LincheckSupport.stress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Lincheck on {@link DeferQueue} (issue 4, "Proof": model checking and stress of enqueue / reclaim / pending), for
 * every flavor and three configurations: unbounded, bounded (maxPending 2, trigger limit 1, maxReclaimSize 1) and
 * singleProducer (enqueue confined to one thread by a non-parallel operation group).
 *
 * <p><b>Target.</b> Lincheck builds one {@link Target} per invocation: a reader-free domain with MANUAL_GRACE_PERIODS
 * and a queue of fresh {@link Resource} objects. Operations: {@code enqueue()}, {@code reclaim(max)} with max 1 or 2
 * (returns the queue's own {@link ReclaimResult} record), {@code pending()}, and {@code synchronize()} on the domain,
 * which alone makes entries eligible. synchronize() is serialized against the queue operations by the gate that
 * {@link LincheckSupport} explains; {@link #gracePeriodIsAnIntervalNotAStep} shows why it is there.
 *
 * <p><b>Sequential specification.</b> {@link QueueModel}: a FIFO in which synchronize() marks every present entry
 * eligible, so the eligible entries are always a prefix: a count of pending entries and the length of that prefix.
 * reclaim(max) frees min(max, prefix). {@link BoundedQueueModel} adds the bound the way the Javadoc states it: over
 * the trigger limit enqueue reclaims first, when full it reclaims, and when still full it returns false.
 *
 * <p><b>Oracle.</b> Each resource records how many synchronize() operations had completed when it was enqueued; the
 * free function records a resource freed twice, or freed before a later synchronize() completed (with the gate that
 * count is exact). {@link Target#everyResourceFreedExactlyOnce} (@Validate, after every invocation) runs one more
 * synchronize(), closes the queue and the domain, and fails if anything was recorded, if the freed resources are
 * not exactly the accepted ones, or if anything reached the domain's error handler.
 *
 * <p><b>Broken twins</b>, each a hand-written scenario that Lincheck must reject (the proof that this setup can
 * fail): {@link Fault#EARLY_FREE} frees every resource at once as well as through the queue (the oracle catches
 * it), {@link Fault#STALE_PENDING} reports the pending count read before reclaiming (only an interleaving shows it).
 *
 * <p>Iteration counts (quick tier; {@code -Djrcu.lincheck.scale=N} multiplies the iterations and, for N > 1, runs
 * every configuration on every flavor): model checking 2 iterations x 30 invocations, stress 3 iterations x 100
 * invocations, per flavor and configuration; the unbounded configuration on every flavor, the bounded one on QSBR,
 * the single-producer one on bulletProof. The whole class took 20 s here (2 shared cores, quiet), 5 s of it the
 * first model-checking run's instrumentation.
 */
public class DeferQueueLincheckTest {

    static final int MODEL_CHECKING_ITERATIONS = 2;
    static final int MODEL_CHECKING_INVOCATIONS = 30;
    static final int STRESS_ITERATIONS = 3;
    static final int STRESS_INVOCATIONS = 100;

    /** Bounded configuration: small enough that the bound is reached in a few operations. */
    static final int MAX_PENDING = 2;
    static final int TRIGGER_RECLAIM_LIMIT = 1;
    static final int MAX_RECLAIM_SIZE = 1;

    /** The queue's configurations under test. */
    enum Configuration {
        UNBOUNDED, BOUNDED, SINGLE_PRODUCER;

        DeferQueue.Builder<Resource> configure(DeferQueue.Builder<Resource> builder) {
            return switch (this) {
                case UNBOUNDED -> builder;
                case BOUNDED -> builder.maxPending(MAX_PENDING).triggerReclaimLimit(TRIGGER_RECLAIM_LIMIT)
                        .maxReclaimSize(MAX_RECLAIM_SIZE);
                case SINGLE_PRODUCER -> builder.singleProducer();
            };
        }

        Class<? extends Target> target() {
            return this == SINGLE_PRODUCER ? SingleProducer.class : MultiProducer.class;
        }

        Class<?> model() {
            return this == BOUNDED ? BoundedQueueModel.class : QueueModel.class;
        }
    }

    /** What the test itself does wrong on purpose: the broken twins, and the ungated model. */
    enum Fault {
        NONE,
        /** enqueue also frees the resource at once, before any grace period (and the queue frees it again). */
        EARLY_FREE,
        /** reclaim reports {@code pending() before - freed} instead of the queue's own count. */
        STALE_PENDING,
        /** synchronize() runs without the gate, as one step of the model. */
        UNGATED
    }

    /** What the next targets Lincheck builds are (it builds them with the no-arg constructor). */
    record Setup(TestFlavor flavor, Configuration configuration, Fault fault) {
    }

    /**
     * A resource that counts its own frees (no shared collection on the free path: Lincheck 3.7 took the spin of a
     * ConcurrentHashMap being initialized by a switched-out thread for a livelock).
     */
    static final class Resource {
        final int id;
        /** synchronize() operations completed before this was enqueued. */
        final int gracePeriodsBefore;
        final AtomicInteger frees = new AtomicInteger();
        volatile boolean accepted;

        Resource(int id, int gracePeriodsBefore) {
            this.id = id;
            this.gracePeriodsBefore = gracePeriodsBefore;
        }

        @Override
        public String toString() {
            return "resource " + id + " (enqueued after " + gracePeriodsBefore + " synchronize(), "
                    + (accepted ? "accepted" : "refused") + ", freed " + frees + " times)";
        }
    }

    // ------------------------------------------------------------------ the targets

    /** The queue under test, its domain and the oracle; subclasses add enqueue with or without a thread limit. */
    public abstract static class Target {
        /** Set by each test before it runs Lincheck; tests run one at a time (no JUnit parallelism here). */
        static volatile Setup setup;
        /** Targets built: one per invocation, so more than one per scenario shows that interleavings were explored. */
        static final AtomicInteger BUILT = new AtomicInteger();

        private final Fault fault;
        private final Rcu rcu;
        private final DeferQueue<Resource> queue;
        private final LincheckSupport.Gate gate = new LincheckSupport.Gate();
        private final AtomicInteger ids = new AtomicInteger();
        /** synchronize() operations completed; written inside the gate exclusively, so exact inside it shared. */
        private volatile int gracePeriods;
        private final Queue<Resource> resources = new ConcurrentLinkedQueue<>();
        private final Queue<String> violations = new ConcurrentLinkedQueue<>();

        Target() {
            BUILT.incrementAndGet();
            Setup s = setup;
            fault = s.fault();
            rcu = LincheckSupport.manualDomain(s.flavor(), t -> violations.add("error handler: " + t));
            queue = s.configuration().configure(DeferQueue.builder(rcu, this::free)).name("lincheck").build();
        }

        private void free(Resource resource) {
            if (resource.frees.incrementAndGet() > 1) {
                violations.add("freed twice: " + resource);
            }
            if (fault != Fault.UNGATED && resource.gracePeriodsBefore >= gracePeriods) {
                violations.add("freed before its grace period: " + resource + ", " + gracePeriods + " completed");
            }
        }

        final boolean enqueueResource() {
            gate.enterShared();
            try {
                Resource resource = new Resource(ids.incrementAndGet(), gracePeriods);
                resources.add(resource);
                boolean accepting = queue.enqueue(resource);
                if (accepting) {
                    resource.accepted = true;
                    if (fault == Fault.EARLY_FREE) {
                        free(resource);
                    }
                }
                return accepting;
            } finally {
                gate.exitShared();
            }
        }

        @Operation
        public ReclaimResult reclaim(@Param(gen = IntGen.class, conf = "1:2") int max) {
            gate.enterShared();
            try {
                if (fault == Fault.STALE_PENDING) {
                    int before = queue.pending();
                    int freedNow = queue.reclaim(max).freed();
                    return new ReclaimResult(freedNow, before - freedNow);
                }
                return queue.reclaim(max);
            } finally {
                gate.exitShared();
            }
        }

        @Operation
        public int pending() {
            gate.enterShared();
            try {
                return queue.pending();
            } finally {
                gate.exitShared();
            }
        }

        @Operation
        public void synchronize() {
            if (fault == Fault.UNGATED) {
                rcu.synchronize();
                return;
            }
            gate.exclusively(() -> {
                rcu.synchronize();
                gracePeriods++;   // exclusive: the only writer, and no queue operation runs
            });
        }

        /** After every invocation: everything accepted is freed exactly once, never early; the domain closes. */
        @Validate
        public void everyResourceFreedExactlyOnce() {
            synchronize();   // counted: every entry still pending is eligible from here on
            queue.close();
            rcu.close();
            if (!violations.isEmpty()) {
                throw new IllegalStateException("oracle: " + violations);
            }
            for (Resource resource : resources) {
                if (resource.frees.get() != (resource.accepted ? 1 : 0)) {
                    throw new IllegalStateException("not freed exactly once if accepted, never if refused: "
                            + resource);
                }
            }
        }
    }

    /** enqueue from any thread. */
    public static class MultiProducer extends Target {
        @Operation
        public boolean enqueue() {
            return enqueueResource();
        }
    }

    /** enqueue from one thread only (the queue is built with singleProducer()). */
    public static class SingleProducer extends Target {
        @Operation(nonParallelGroup = "producer")
        public boolean enqueue() {
            return enqueueResource();
        }
    }

    // ------------------------------------------------------------------ the sequential specification

    /** FIFO with an eligible prefix: synchronize() makes every present entry eligible. */
    public static class QueueModel {
        int pending;
        int eligible;

        public boolean enqueue() {
            pending++;
            return true;
        }

        public ReclaimResult reclaim(int max) {
            int n = Math.min(max, eligible);
            eligible -= n;
            pending -= n;
            return new ReclaimResult(n, pending);
        }

        public int pending() {
            return pending;
        }

        public void synchronize() {
            eligible = pending;
        }
    }

    /** The bounded configuration, as its Javadoc states the bound. */
    public static class BoundedQueueModel extends QueueModel {
        @Override
        public boolean enqueue() {
            if (pending > TRIGGER_RECLAIM_LIMIT) {
                reclaim(MAX_RECLAIM_SIZE);
            }
            if (pending >= MAX_PENDING) {
                reclaim(MAX_RECLAIM_SIZE);
            }
            return pending < MAX_PENDING && super.enqueue();
        }
    }

    // ------------------------------------------------------------------ the tests

    private static void check(Options<?, ?> options, Setup setup) {
        Target.setup = setup;
        options.sequentialSpecification(setup.configuration().model()).check(setup.configuration().target());
    }

    private static Setup correct(TestFlavor flavor, Configuration configuration) {
        return new Setup(flavor, configuration, Fault.NONE);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestFlavor.class)
    void unboundedModelChecking(TestFlavor flavor) {
        int before = Target.BUILT.get();
        check(modelChecking(MODEL_CHECKING_ITERATIONS, MODEL_CHECKING_INVOCATIONS),
                correct(flavor, Configuration.UNBOUNDED));
        // the silent failure LincheckSupport.LOOP_ITERATIONS_BEFORE_THREAD_SWITCH prevents: one invocation each
        assertThat(Target.BUILT.get() - before).as("invocations explored")
                .isGreaterThan(4 * MODEL_CHECKING_ITERATIONS * SCALE);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(TestFlavor.class)
    void unboundedStress(TestFlavor flavor) {
        check(stress(STRESS_ITERATIONS, STRESS_INVOCATIONS), correct(flavor, Configuration.UNBOUNDED));
    }

    /**
     * The queue's code is the same for every flavor (it only takes and polls cookies), so the quick tier runs the
     * bounded and single-producer configurations on one flavor each, a different one for each, to stay well under a
     * minute; a scaled run ({@code -Djrcu.lincheck.scale=N}, N > 1) runs every flavor.
     */
    static List<TestFlavor> boundedFlavors() {
        return SCALE > 1 ? List.of(TestFlavor.values()) : List.of(TestFlavor.QSBR);
    }

    static List<TestFlavor> singleProducerFlavors() {
        return SCALE > 1 ? List.of(TestFlavor.values()) : List.of(TestFlavor.BULLET_PROOF);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boundedFlavors")
    void boundedModelChecking(TestFlavor flavor) {
        check(modelChecking(MODEL_CHECKING_ITERATIONS, MODEL_CHECKING_INVOCATIONS),
                correct(flavor, Configuration.BOUNDED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boundedFlavors")
    void boundedStress(TestFlavor flavor) {
        check(stress(STRESS_ITERATIONS, STRESS_INVOCATIONS), correct(flavor, Configuration.BOUNDED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleProducerFlavors")
    void singleProducerModelChecking(TestFlavor flavor) {
        check(modelChecking(MODEL_CHECKING_ITERATIONS, MODEL_CHECKING_INVOCATIONS),
                correct(flavor, Configuration.SINGLE_PRODUCER));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("singleProducerFlavors")
    void singleProducerStress(TestFlavor flavor) {
        check(stress(STRESS_ITERATIONS, STRESS_INVOCATIONS), correct(flavor, Configuration.SINGLE_PRODUCER));
    }

    // ------------------------------------------------------------------ the broken twins

    /** Only the given scenario: the twin's failure must not depend on the random scenario generator. */
    private static Options<?, ?> onlyScenario(Options<?, ?> options, ExecutionScenario scenario) {
        return options.iterations(0).addCustomScenario(scenario);
    }

    @Test
    void earlyFreeTwinIsCaughtByModelCheckingAndStress() {
        Class<?> t = MultiProducer.class;
        ExecutionScenario enqueueThenReclaim = scenario(t, List.of(actor(t, "enqueue")),
                List.of(List.of(actor(t, "reclaim", 1)), List.of(actor(t, "pending"))));
        Setup twin = new Setup(TestFlavor.MEMB, Configuration.UNBOUNDED, Fault.EARLY_FREE);
        assertThatThrownBy(() -> check(onlyScenario(modelChecking(0, 10), enqueueThenReclaim), twin))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("freed before its grace period");
        assertThatThrownBy(() -> check(onlyScenario(stress(0, 10), enqueueThenReclaim), twin))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("freed before its grace period");
    }

    @Test
    void stalePendingTwinIsCaughtByModelChecking() {
        // two eligible entries; reclaim(2) reads pending (2), then reclaim(1) on the other thread frees one, then
        // reclaim(2) frees the other and reports 2 - 1 = 1 pending: no sequential order gives (1, 1) and (1, 1)
        Class<?> t = MultiProducer.class;
        ExecutionScenario racingReclaims = scenario(t,
                List.of(actor(t, "enqueue"), actor(t, "enqueue"), actor(t, "synchronize")),
                List.of(List.of(actor(t, "reclaim", 2)), List.of(actor(t, "reclaim", 1))));
        Setup twin = new Setup(TestFlavor.MEMB, Configuration.UNBOUNDED, Fault.STALE_PENDING);
        assertThatThrownBy(() -> check(onlyScenario(modelChecking(0, 200), racingReclaims), twin))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("Invalid execution results");
    }

    /**
     * Why the gate exists: without it, synchronize() bumps the grace-period number, the other thread enqueues (a
     * cookie of the next grace period) and reclaims (the old entry is not yet eligible: freed 0), then synchronize()
     * completes and reclaim(2) frees only the old entry. The enqueue precedes a reclaim that precedes the end of
     * synchronize(), yet the entry is not covered by it: a grace period is an interval, and the model's single step
     * cannot express that. RCU semantics, not a queue bug.
     */
    @Test
    void gracePeriodIsAnIntervalNotAStep() {
        Class<?> t = MultiProducer.class;
        ExecutionScenario enqueueDuringGracePeriod = scenario(t, List.of(actor(t, "enqueue")),
                List.of(List.of(actor(t, "synchronize"), actor(t, "reclaim", 2)),
                        List.of(actor(t, "enqueue"), actor(t, "reclaim", 1))));
        Setup ungated = new Setup(TestFlavor.MEMB, Configuration.UNBOUNDED, Fault.UNGATED);
        assertThatThrownBy(() -> check(onlyScenario(modelChecking(0, 2000), enqueueDuringGracePeriod), ungated))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("Invalid execution results");
    }
}
