package io.jrcu;

import io.jrcu.internal.Faults;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * What the Lincheck tests ({@link DeferQueueLincheckTest}, the arena's and the callback queue's) share: the
 * deterministic domain, the iteration counts of the quick tier, and hand-written scenarios for the broken twins.
 *
 * <p><b>Iteration counts.</b> The quick tier (every {@code mvn test}) keeps them small: Lincheck 3.7 on JDK 25 is
 * slow here (2 shared cores) and the whole Lincheck run must stay well under a minute. A longer run multiplies the
 * iterations: {@code mvn -o -pl jrcu-core test -Dtest='*Lincheck*' -Djrcu.lincheck.scale=20}.
 *
 * <p><b>Why the gate.</b> A grace period is an interval, not an instant: an entry enqueued after synchronize()
 * started is not covered by it, while a reclaim that runs before synchronize() returns still sees older entries as
 * not yet eligible. No single linearization point exists for synchronize(), so a model in which synchronize() is
 * one step reports that (as {@code DeferQueueLincheckTest.gracePeriodIsAnIntervalNotAStep} shows). The targets
 * therefore run synchronize() exclusively ({@link Gate}) and every other operation shared: the structure's own
 * operations still interleave freely with one another, and eligibility changes only between them. What a grace
 * period guarantees is proven elsewhere (JCStress, the torture oracle).
 */
public final class LincheckSupport {

    /** Multiplies every iteration count: {@code -Djrcu.lincheck.scale=N} for a longer run. */
    public static final int SCALE = Integer.getInteger("jrcu.lincheck.scale", 1);

    private LincheckSupport() {
    }

    /**
     * A domain of {@code flavor} with no readers in which grace periods advance only in blocking calls
     * (MANUAL_GRACE_PERIODS): with the gate, the only thing that makes an entry eligible is the synchronize()
     * operation. Errors of callbacks and free functions go to {@code errors}.
     */
    public static Rcu manualDomain(TestFlavor flavor, Consumer<Throwable> errors) {
        Rcu rcu = flavor.build(b -> b.name("lincheck").errorHandler(errors));
        Faults.inject(rcu, Faults.Fault.MANUAL_GRACE_PERIODS, true);
        return rcu;
    }

    /**
     * A grace period scans the domain's reader slots (16 when empty) in a loop. Lincheck's active-lock heuristic
     * takes a loop of more iterations than this for a spin wait; fired inside a synchronize() of the single-threaded
     * initial part, it silently ended the exploration after one invocation (seen with Lincheck 3.7): the scenario
     * passed having checked one interleaving. Above the scan, real spin loops are still caught.
     */
    public static final int LOOP_ITERATIONS_BEFORE_THREAD_SWITCH = 20;

    /** Model checking, quick tier: 2 threads of 2 operations, 2 before and 1 after. */
    public static ModelCheckingOptions modelChecking(int iterations, int invocations) {
        return new ModelCheckingOptions()
                .loopIterationsBeforeThreadSwitch(LOOP_ITERATIONS_BEFORE_THREAD_SWITCH)
                .iterations(iterations * SCALE)
                .invocationsPerIteration(invocations)
                .threads(2)
                .actorsPerThread(2)
                .actorsBefore(2)
                .actorsAfter(1);
    }

    /** Stress, quick tier: 2 threads of 3 operations, 2 before and 1 after. */
    public static StressOptions stress(int iterations, int invocations) {
        return new StressOptions()
                .iterations(iterations * SCALE)
                .invocationsPerIteration(invocations)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(1);
    }

    /**
     * A readers-writer gate on a monitor: the structure's operations enter shared, synchronize() exclusive. Not a
     * ReentrantReadWriteLock: Lincheck 3.7's model checker took a thread parked in its AQS queue (which may wake
     * spuriously and parks again) for a livelock while the writer was switched out, and reported "the execution
     * has hung". Monitors and wait/notify it models directly.
     */
    public static final class Gate {
        private int shared;
        private boolean exclusive;

        public synchronized void enterShared() {
            while (exclusive) {
                waitUninterruptibly();
            }
            shared++;
        }

        public synchronized void exitShared() {
            if (--shared == 0) {
                notifyAll();
            }
        }

        /** Runs {@code action} while no shared holder is inside. */
        public void exclusively(Runnable action) {
            synchronized (this) {
                while (exclusive || shared > 0) {
                    waitUninterruptibly();
                }
                exclusive = true;
            }
            try {
                action.run();
            } finally {
                synchronized (this) {
                    exclusive = false;
                    notifyAll();
                }
            }
        }

        private void waitUninterruptibly() {
            try {
                wait();
            } catch (InterruptedException e) {
                throw new IllegalStateException("interrupted inside a Lincheck operation", e);
            }
        }
    }

    /**
     * One hand-written scenario (for a broken twin, whose failure must not depend on the random generator): the
     * initial operations, the parallel threads, and {@code target}'s @Validate method.
     */
    public static ExecutionScenario scenario(Class<?> target, List<Actor> initial, List<List<Actor>> threads) {
        Method validate = Arrays.stream(target.getMethods())
                .filter(m -> m.isAnnotationPresent(Validate.class))
                .findFirst().orElseThrow();
        return new ExecutionScenario(initial, threads, List.of(), new Actor(validate, List.of(), false, false));
    }

    /** A call of {@code target}'s public method {@code name} with {@code arguments}, for {@link #scenario}. */
    public static Actor actor(Class<?> target, String name, Object... arguments) {
        Method method = Arrays.stream(target.getMethods())
                .filter(m -> m.getName().equals(name) && m.getParameterCount() == arguments.length)
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no operation " + name));
        return new Actor(method, List.of(arguments), false, false);
    }
}
