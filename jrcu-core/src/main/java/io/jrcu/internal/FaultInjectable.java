package io.jrcu.internal;

/**
 * Test-only fault injection into the real flavor classes, for the deliberately broken twins of the proofs (JCStress
 * and the torture oracle must show that they can fail). Not API: this package is not exported, so only code on the
 * class path (the jcstress jar, the tools, the tests) can reach it.
 */
public interface FaultInjectable {

    /** The faults a domain can be told to commit. */
    enum Fault {
        /** Grace periods do not wait for readers: every grace period ends at once. */
        SKIP_READER_WAIT,
        /**
         * Grace periods advance only inside blocking calls (synchronize, await, barrier, close): requests from
         * startPoll() never start the domain thread, and non-blocking paths never advance a grace period. Makes a
         * reader-free domain deterministic for model checking (Lincheck); set it before the domain's first request.
         */
        MANUAL_GRACE_PERIODS
    }

    /** Turns {@code fault} on or off for this domain. */
    void injectFault(Fault fault, boolean on);
}
