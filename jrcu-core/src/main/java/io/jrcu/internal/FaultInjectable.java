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
        SKIP_READER_WAIT
    }

    /** Turns {@code fault} on or off for this domain. */
    void injectFault(Fault fault, boolean on);
}
