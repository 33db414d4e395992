package io.jrcu;

import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Options;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import static io.jrcu.LincheckSupport.SCALE;
import static io.jrcu.LincheckSupport.actor;
import static io.jrcu.LincheckSupport.scenario;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Lincheck on {@link CallbackQueue}, the callback workers' wait-free multi-producer, single-consumer queue:
 * model checking and stress of enqueue from any thread against the single consumer's takeAll and isEmpty.
 *
 * <p><b>What the queue promises.</b> One global FIFO, linearizable: an enqueue takes effect at its exchange on the
 * tail, inside the call; a takeAll at its own exchange (or, when it finds the queue empty, at its read of the tail)
 * and returns exactly the nodes exchanged before it, in exchange order, waiting for links that producers have
 * exchanged but not yet written. Per-producer order is not enough for the workers: {@link Rcu#barrier()} covers
 * "every callback queued before it, by any thread", which needs a marker enqueued after another thread's enqueue
 * returned to come out behind that callback. {@link CallbackQueue#isEmpty()} is documented exact only for the
 * consumer, so it runs on the consumer's thread.
 *
 * <p><b>Target.</b> Lincheck builds one {@link Target} per invocation: a fresh queue with no domain. Operations:
 * {@code enqueue(value)} with value 1 to 3, from any thread, of a fresh {@link Node} carrying the value;
 * {@code takeAll()}, which takes a batch and walks it with {@link CallbackQueue#next}, returning the values in
 * order; and {@code isEmpty()}. takeAll and isEmpty form a non-parallel operation group ("consumer"): Lincheck
 * puts them in one thread, so the consumer stays single while the producers (every thread, the consumer's too)
 * race it and one another.
 *
 * <p><b>Sequential specification.</b> {@link QueueModel}: a list; enqueue appends, takeAll returns the whole list
 * and empties it, isEmpty reads it.
 *
 * <p><b>Oracle.</b> Each node counts how often a takeAll returned it. {@link Target#everyNodeTakenExactlyOnce}
 * (@Validate, after every invocation) drains what is left and fails unless every node enqueued was taken exactly
 * once: a node lost or taken twice is caught even when no operation's result shows it.
 *
 * <p><b>Broken twin</b>, a hand-written scenario that Lincheck must reject (the proof that this setup can fail):
 * {@link Fault#UNAWAITED_LINK} walks a batch by its links without waiting for one a producer has exchanged but not
 * yet written, and so ends the batch early at that producer's node: the node is lost. Only an interleaving that
 * stops a producer between its exchange and its link shows it, so model checking catches it (its random scenarios
 * at the quick tier's counts find it too); the stress mode's window for it is a few instructions wide.
 *
 * <p>Iteration counts (quick tier; {@code -Djrcu.lincheck.scale=N} multiplies the iterations): model checking
 * {@value #MODEL_CHECKING_ITERATIONS} iterations x {@value #MODEL_CHECKING_INVOCATIONS} invocations and stress
 * {@value #STRESS_ITERATIONS} x {@value #STRESS_INVOCATIONS}, both with three threads (a consumer racing two
 * producers) of two operations, two before and one after. The checks themselves take a few seconds; most of the
 * class's time is Lincheck's start and the model checker's instrumentation of the classes, paid once per class.
 */
public class CallbackQueueLincheckTest {

    static final int MODEL_CHECKING_ITERATIONS = 4;
    static final int MODEL_CHECKING_INVOCATIONS = 30;
    static final int STRESS_ITERATIONS = 10;
    static final int STRESS_INVOCATIONS = 200;
    static final int THREADS = 3;

    /** What the test itself does wrong on purpose: the broken twin. */
    enum Fault {
        NONE,
        /** takeAll walks the batch by plain links and ends it at a link not yet written, instead of waiting. */
        UNAWAITED_LINK
    }

    /** A queued node carrying the enqueued value; it counts the takeAll calls that returned it. */
    static final class Node extends RcuCallback {
        final int value;
        final AtomicInteger taken = new AtomicInteger();

        Node(int value) {
            this.value = value;
        }

        @Override
        protected void invoke() {
            throw new AssertionError("the test's nodes are queued and taken, never run");
        }

        @Override
        public String toString() {
            return "node " + value + " (taken " + taken + " times)";
        }
    }

    // ------------------------------------------------------------------ the target

    /** The queue under test and the nodes enqueued into it. */
    public static class Target {
        /** Set by each test before it runs Lincheck; tests run one at a time (no JUnit parallelism here). */
        static volatile Fault faultOfNextTargets;
        /** Targets built: one per invocation, so more than one per scenario shows that interleavings were explored. */
        static final AtomicInteger BUILT = new AtomicInteger();

        private final Fault fault = faultOfNextTargets;
        private final CallbackQueue queue = new CallbackQueue();
        private final RcuCallback[] lastOut = new RcuCallback[1];
        private final Queue<Node> nodes = new ConcurrentLinkedQueue<>();

        public Target() {
            BUILT.incrementAndGet();
        }

        @Operation
        public void enqueue(@Param(gen = IntGen.class, conf = "1:3") int value) {
            Node node = new Node(value);
            nodes.add(node);
            queue.enqueue(node);
        }

        @Operation(nonParallelGroup = "consumer")
        public List<Integer> takeAll() {
            RcuCallback first = queue.takeAll(lastOut);
            RcuCallback last = lastOut[0];
            List<Integer> values = new ArrayList<>();
            for (RcuCallback n = first; n != null; n = next(n, last)) {
                Node node = (Node) n;
                node.taken.incrementAndGet();
                values.add(node.value);
            }
            return values;
        }

        private RcuCallback next(RcuCallback n, RcuCallback last) {
            if (fault == Fault.UNAWAITED_LINK) {
                return n == last ? null : n.next;  // a link a producer has not written yet ends the batch
            }
            return CallbackQueue.next(n, last);
        }

        @Operation(nonParallelGroup = "consumer")
        public boolean isEmpty() {
            return queue.isEmpty();
        }

        /** After every invocation: the queue drains, and every node enqueued was taken exactly once. */
        @Validate
        public void everyNodeTakenExactlyOnce() {
            takeAll();
            if (!queue.isEmpty()) {
                throw new IllegalStateException("oracle: not empty after a drain with every producer done");
            }
            for (Node node : nodes) {
                if (node.taken.get() != 1) {
                    throw new IllegalStateException("oracle: not taken exactly once: " + node);
                }
            }
        }
    }

    // ------------------------------------------------------------------ the sequential specification

    /** One global FIFO, taken whole. */
    public static class QueueModel {
        private final List<Integer> queued = new ArrayList<>();

        public void enqueue(int value) {
            queued.add(value);
        }

        public List<Integer> takeAll() {
            List<Integer> batch = new ArrayList<>(queued);
            queued.clear();
            return batch;
        }

        public boolean isEmpty() {
            return queued.isEmpty();
        }
    }

    // ------------------------------------------------------------------ the tests

    private static void check(Options<?, ?> options, Fault fault) {
        Target.faultOfNextTargets = fault;
        options.threads(THREADS).sequentialSpecification(QueueModel.class).check(Target.class);
    }

    @Test
    void modelChecking() {
        int before = Target.BUILT.get();
        check(LincheckSupport.modelChecking(MODEL_CHECKING_ITERATIONS, MODEL_CHECKING_INVOCATIONS), Fault.NONE);
        // the consumer's wait for a link is a spin loop: Lincheck must switch to the producer, not end the scenario
        assertThat(Target.BUILT.get() - before).as("invocations explored")
                .isGreaterThan(4 * MODEL_CHECKING_ITERATIONS * SCALE);
    }

    @Test
    void stress() {
        check(LincheckSupport.stress(STRESS_ITERATIONS, STRESS_INVOCATIONS).actorsPerThread(2), Fault.NONE);
    }

    // ------------------------------------------------------------------ the broken twin

    @Test
    void unawaitedLinkTwinIsCaughtByModelChecking() {
        // node 1 is linked; the producer of 2 exchanges, then stops before linking 1 -> 2; the consumer's takeAll
        // gets first 1 and last 2, the broken walk ends at 1's null link and returns [1]; 2 is never taken
        Class<?> t = Target.class;
        ExecutionScenario takeDuringLink = scenario(t, List.of(actor(t, "enqueue", 1)),
                List.of(List.of(actor(t, "enqueue", 2)), List.of(actor(t, "takeAll"))));
        assertThatThrownBy(() -> check(LincheckSupport.modelChecking(0, 200).addCustomScenario(takeDuringLink),
                Fault.UNAWAITED_LINK))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("not taken exactly once: node 2");
    }
}
