package io.jrcu.internal;

import java.util.concurrent.locks.LockSupport;

/**
 * The one idle strategy of jrcu's busy waits, in the manner of Agrona's {@code BackoffIdleStrategy}: spin
 * ({@link Thread#onSpinWait()}) for {@code spins} steps, then {@link Thread#yield()} for {@code yields} steps, then
 * park for {@code minParkNanos}, doubling with each further step up to {@code maxParkNanos}.
 *
 * <p>Unlike Agrona's, the strategy holds no state: the caller keeps the step, an {@code int} local that starts at 0
 * and is replaced by what {@link #idle} returns, so one immutable instance (a {@code static final} constant) serves
 * every thread and every static method, and idling allocates nothing:
 * <pre>{@code
 * for (int step = 0; !ready(); ) {
 *     step = BACKOFF.idle(this, step);
 * }
 * }</pre>
 * A wait that has to prepare a park (mark itself "waiting" so that the other side unparks it) asks
 * {@link #parksAt} first; one with a deadline bounds the park with {@link #idle(Object, int, long)}. The strategy
 * only idles: every wake-up protocol (a flag the other side reads before it unparks) stays with the caller, and an
 * unpark ends a park early as usual.
 *
 * <p>Thread-safe (immutable). A park returns at once while the calling thread is interrupted; callers that keep
 * waiting clear the interrupt (see {@link Uninterruptibly}).
 */
public final class BackoffIdle {

    /** As {@code spins} or {@code yields}: that phase never ends. */
    public static final int UNBOUNDED = Integer.MAX_VALUE;

    private final int spins;
    private final int yields;
    private final long minParkNanos;
    private final long maxParkNanos;

    /**
     * A strategy with the given phases.
     *
     * @param spins steps that spin, not negative, or {@link #UNBOUNDED}
     * @param yields steps that yield after the spins, not negative, or {@link #UNBOUNDED}
     * @param minParkNanos the first park, positive
     * @param maxParkNanos the longest park, at least {@code minParkNanos}
     * @throws IllegalArgumentException if a value is out of range (the values in the message)
     */
    public BackoffIdle(int spins, int yields, long minParkNanos, long maxParkNanos) {
        if (spins < 0 || yields < 0 || minParkNanos < 1 || maxParkNanos < minParkNanos) {
            throw new IllegalArgumentException("idle strategy out of range: spins " + spins + ", yields " + yields
                    + ", park " + minParkNanos + ".." + maxParkNanos + " ns");
        }
        this.spins = spins;
        this.yields = yields;
        this.minParkNanos = minParkNanos;
        this.maxParkNanos = maxParkNanos;
    }

    /**
     * Idles once, the {@code step}-th time in a row: spins, yields or parks (on {@code blocker}, for thread dumps).
     *
     * @param blocker the object the thread parks on, or {@code null}
     * @param step how many times the caller idled before in this wait, 0 at first
     * @return the step of the next call ({@code step + 1}, saturating)
     */
    public int idle(Object blocker, int step) {
        return idle(blocker, step, Long.MAX_VALUE);
    }

    /**
     * {@link #idle(Object, int)} with a park no longer than {@code maxNanos} (the time left to a caller's deadline).
     *
     * @param blocker the object the thread parks on, or {@code null}
     * @param step how many times the caller idled before in this wait, 0 at first
     * @param maxNanos the longest park this step may take; a park of 0 or less returns at once
     * @return the step of the next call ({@code step + 1}, saturating)
     */
    public int idle(Object blocker, int step, long maxNanos) {
        if (spinsAt(step)) {
            Thread.onSpinWait();
        } else if (!parksAt(step)) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(blocker, Math.min(parkNanos(step), maxNanos));
        }
        return step == Integer.MAX_VALUE ? step : step + 1;
    }

    /**
     * Whether step {@code step} spins.
     *
     * @param step a step as {@link #idle} counts them
     * @return {@code true} in the spinning phase
     */
    public boolean spinsAt(int step) {
        return spins == UNBOUNDED || step < spins;
    }

    /**
     * Whether step {@code step} parks (a caller that must be woken marks itself "waiting" before such a step).
     *
     * @param step a step as {@link #idle} counts them
     * @return {@code true} in the parking phase
     */
    public boolean parksAt(int step) {
        return !spinsAt(step) && yields != UNBOUNDED && (long) step >= (long) spins + yields;
    }

    /**
     * How long step {@code step} parks: {@code minParkNanos} at the first parking step, doubling up to
     * {@code maxParkNanos}.
     *
     * @param step a step of the parking phase
     * @return the park's length in nanoseconds; 0 for a step that does not park
     */
    public long parkNanos(int step) {
        if (!parksAt(step)) {
            return 0;
        }
        long doublings = (long) step - spins - yields;
        if (doublings >= Long.numberOfLeadingZeros(minParkNanos) - 1) {
            return maxParkNanos;   // minParkNanos << doublings would overflow
        }
        return Math.min(minParkNanos << doublings, maxParkNanos);
    }

    @Override
    public String toString() {
        return "BackoffIdle[spins " + (spins == UNBOUNDED ? "unbounded" : spins) + ", yields "
                + (yields == UNBOUNDED ? "unbounded" : yields) + ", park " + minParkNanos + ".." + maxParkNanos
                + " ns]";
    }
}
