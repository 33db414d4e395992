package io.jrcu.internal;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The one way jrcu waits without giving in to interrupts: keep waiting until the awaited state holds (or the deadline
 * passes), then re-assert the interrupt the wait swallowed, so that the caller's caller still sees it. Blocking RCU
 * calls (barrier, close, a worker's start) must not return early, yet must not lose an interrupt either.
 *
 * <p>Two forms. {@link #await} runs the whole loop for a wait that has a state to re-check: a {@link TimedWait} (a
 * {@code Condition}, a latch, a join, a park) is retried until {@code done} holds. A loop of its own (a grace-period
 * wait that parks between looks at the readers) keeps a flag instead: {@code interrupted |= Thread.interrupted()}
 * after each park, and {@link #restoreInterrupt(boolean)} at its end.
 *
 * <p>Deadlines are {@link System#nanoTime()} values; {@link #NO_DEADLINE} waits for as long as it takes.
 */
public final class Uninterruptibly {

    /** The deadline of a wait without one (the value the domain's own waits use). */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    /** One wait of at most {@code nanos}; it may return early, spuriously, or by throwing on an interrupt. */
    @FunctionalInterface
    public interface TimedWait {

        /**
         * Waits up to {@code nanos} for a change of the awaited state.
         *
         * @param nanos the longest wait, positive ({@code Long.MAX_VALUE} for a wait without deadline)
         * @throws InterruptedException if the thread was interrupted (the loop keeps waiting)
         */
        void await(long nanos) throws InterruptedException;
    }

    private Uninterruptibly() {
    }

    /**
     * Waits until {@code done} holds, calling {@code wait} in between, or until {@code deadline} passes. Interrupts
     * do not end the wait: an {@link InterruptedException} from {@code wait}, and an interrupt found set after a wait
     * that does not throw (a park), are remembered and re-asserted when this returns. {@code done} is checked first,
     * so a state that already holds returns {@code true} even after the deadline. Blocking; allocates nothing itself.
     *
     * @param done the awaited state, re-checked after every wait (under the caller's lock, for a {@code Condition})
     * @param wait one bounded wait for a change of that state
     * @param deadline a {@link System#nanoTime()} value, or {@link #NO_DEADLINE}
     * @return {@code true} once {@code done} holds, {@code false} if the deadline passed first
     */
    public static boolean await(BooleanSupplier done, TimedWait wait, long deadline) {
        boolean interrupted = false;
        try {
            while (!done.getAsBoolean()) {
                long left = deadline == NO_DEADLINE ? Long.MAX_VALUE : deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    wait.await(left);
                    interrupted |= Thread.interrupted();   // a park returns at once while the flag is set
                } catch (InterruptedException e) {
                    interrupted = true;   // keep waiting; re-asserted below
                }
            }
            return true;
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    /**
     * Waits until {@code thread} has ended, or {@code deadline} passes; interrupts as {@link #await}.
     *
     * @param thread the thread to join
     * @param deadline a {@link System#nanoTime()} value, or {@link #NO_DEADLINE}
     * @return {@code true} once the thread is dead, {@code false} if the deadline passed first
     */
    public static boolean join(Thread thread, long deadline) {
        return await(() -> !thread.isAlive(),
                nanos -> thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(nanos))), deadline);
    }

    /**
     * The end of an uninterruptible wait that kept its own flag: re-asserts the interrupt it swallowed.
     *
     * @param interrupted whether the wait cleared an interrupt of the calling thread
     */
    public static void restoreInterrupt(boolean interrupted) {
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
