package io.jrcu.internal;

import io.jrcu.Rcu;

import java.util.Objects;

/**
 * The one entry point for fault injection into the real flavor classes: the deliberately broken twins of the proofs
 * (JCStress and the torture oracle must show that they can fail) and model checking (Lincheck). Not API: this
 * package is exported to no module, so only code on the class path (the tests, the tools, the JCStress jar) or
 * given {@code --add-exports io.jrcu/io.jrcu.internal=...} can reach it.
 */
public final class Faults {

    /** The faults a domain can be told to commit. */
    public enum Fault {
        /** Grace periods do not wait for readers: every grace period ends at once. */
        SKIP_READER_WAIT,
        /**
         * Grace periods advance only inside blocking calls (synchronize, await, barrier, close): requests from
         * startPoll() never start the domain thread, and non-blocking paths never advance a grace period. Makes a
         * reader-free domain deterministic for model checking (Lincheck); set it before the domain's first request.
         */
        MANUAL_GRACE_PERIODS,
        /**
         * The domain thread stops, or never starts: grace periods advance only in the calls of other threads
         * (blocking calls, reclaimers, polls that look at the readers). Makes allocation probes and tests of those
         * paths deterministic. It cannot be turned off: {@code inject(rcu, NO_DOMAIN_THREAD, false)} throws
         * {@link IllegalArgumentException}.
         */
        NO_DOMAIN_THREAD,
        /**
         * Starting the domain thread fails as a thread the JVM cannot create fails ({@link OutOfMemoryError}
         * "unable to create native thread"), while the fault is on: the request that needed the thread throws it,
         * and a request after the fault is off starts the thread.
         */
        DOMAIN_THREAD_START_FAILS,
        /**
         * bulletProof only: the calling thread's read sections of the domain take the path a virtual thread's take
         * (the striped counters, and the dead-thread registry a virtual thread's record is in) instead of its own
         * per-thread record, while the fault is on; off, they use the record again. Lets tests and JCStress actors
         * (platform threads) run a virtual thread's read-side code without the cost of a virtual thread. Set it
         * outside any section of the domain: inside one it throws {@link IllegalStateException}; other flavors throw
         * {@link IllegalArgumentException}.
         */
        READ_AS_VIRTUAL_THREAD
    }

    private Faults() {
    }

    /**
     * Turns {@code fault} on or off for the domain {@code rcu}.
     *
     * @param rcu the domain, not null
     * @param fault the fault, not null
     * @param on whether it is committed from now on
     */
    public static void inject(Rcu rcu, Fault fault, boolean on) {
        Bridge.access().inject(Objects.requireNonNull(rcu, "rcu"), Objects.requireNonNull(fault, "fault"), on);
    }
}
