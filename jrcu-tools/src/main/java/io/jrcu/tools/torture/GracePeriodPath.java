package io.jrcu.tools.torture;

import io.jrcu.Rcu;

import java.time.Duration;

/**
 * The ways a writer waits for a grace period. Writers take them in turn, so one run exercises every blocking and
 * polled entry point of {@link Rcu} against the same oracle.
 */
public enum GracePeriodPath {
    /** {@code synchronize_rcu}. */
    SYNCHRONIZE("synchronize()") {
        @Override
        void awaitGracePeriod(Rcu rcu) {
            rcu.synchronize();
        }
    },
    /**
     * The timed form, then the untimed one if it timed out: a short timeout often leaves the grace period half done
     * for the next caller to resume. (Not a retry loop of the timed form: each call takes a new cookie, so with
     * grace periods longer than the timeout such a loop would chase the next grace period forever.)
     */
    SYNCHRONIZE_TIMED("synchronize(timeout)") {
        @Override
        void awaitGracePeriod(Rcu rcu) {
            if (!rcu.synchronize(SHORT_TIMEOUT)) {
                rcu.synchronize();
            }
        }
    },
    /** {@code start_poll_synchronize_rcu} then {@code poll_state_synchronize_rcu} until true: the domain thread
     *  drives the grace period. */
    START_POLL_POLL("startPoll()+poll()") {
        @Override
        void awaitGracePeriod(Rcu rcu) {
            long cookie = rcu.startPoll();
            while (!rcu.poll(cookie)) {
                Thread.yield();
            }
        }
    },
    /** {@code get_state_synchronize_rcu} then {@code cond_synchronize_rcu}: await starts the grace period. */
    SNAPSHOT_AWAIT("snapshot()+await()") {
        @Override
        void awaitGracePeriod(Rcu rcu) {
            rcu.await(rcu.snapshot());
        }
    },
    /** {@code startPoll()} then the timed {@code await} of that one cookie, retried until it is complete: the writer
     *  and the domain thread race to drive the same grace period. */
    START_POLL_AWAIT_TIMED("startPoll()+await(timeout)") {
        @Override
        void awaitGracePeriod(Rcu rcu) {
            long cookie = rcu.startPoll();
            while (!rcu.await(cookie, SHORT_TIMEOUT)) {
                Thread.onSpinWait();
            }
        }
    };

    /** Short enough that a grace period waiting for a parked or descheduled reader often outlives it. */
    static final Duration SHORT_TIMEOUT = Duration.ofMillis(1);

    private final String label;

    GracePeriodPath(String label) {
        this.label = label;
    }

    /** Returns once a full grace period has elapsed since the call began. */
    abstract void awaitGracePeriod(Rcu rcu);

    @Override
    public String toString() {
        return label;
    }
}
