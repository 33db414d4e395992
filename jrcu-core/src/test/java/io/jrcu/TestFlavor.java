package io.jrcu;

import java.util.function.Consumer;

/**
 * The flavor fixture of the core's suites: every flavor, how it builds a domain, and what a reader thread of it does.
 * A suite runs for every flavor with {@code @ParameterizedClass @EnumSource(TestFlavor.class)} and a
 * {@code @Parameter TestFlavor flavor} field; adding a flavor is one constant here. (The bench, torture and JCStress
 * modules share theirs in {@code jrcu-testkit}; the core's tests cannot depend on a module that depends on the core.)
 */
public enum TestFlavor {
    /** memb: a reader needs nothing; a section holds grace periods. */
    MEMB,
    /** QSBR: a reader registers (online), reports quiescent states between sections, and unregisters (offline). */
    QSBR,
    /** bulletProof: a reader needs nothing, and a token section may be closed by another thread. */
    BULLET_PROOF;

    /** A new domain of this flavor, built by its builder after {@code config} has configured it. */
    public Rcu build(Consumer<RcuBuilder<?>> config) {
        RcuBuilder<?> builder = switch (this) {
            case MEMB -> MembRcu.builder();
            case QSBR -> QsbrRcu.builder();
            case BULLET_PROOF -> BulletProofRcu.builder();
        };
        config.accept(builder);
        return switch (builder) {
            case MembRcu.Builder b -> b.build();
            case QsbrRcu.Builder b -> b.build();
            case BulletProofRcu.Builder b -> b.build();
        };
    }

    /** Makes the calling thread able to open read sections (QSBR: registers it, which brings it online). */
    public void becomeReader(Rcu rcu) {
        if (this == QSBR) {
            rcu.registerThread();
        }
    }

    /** What a busy reader does between two sections (QSBR: reports a quiescent state). */
    public void betweenSections(Rcu rcu) {
        if (this == QSBR) {
            ((QsbrRcu) rcu).quiescent();
        }
    }

    /** The calling thread stops being a reader (unregisters; QSBR: which takes it offline). */
    public void leaveReader(Rcu rcu) {
        rcu.unregisterThread();
    }

    /**
     * On a reader's thread: start holding up grace periods (memb and bulletProof: open a section; QSBR: register,
     * which brings the thread online, and report nothing).
     */
    public void startBlocking(Rcu rcu) {
        if (this == QSBR) {
            rcu.registerThread();
        } else {
            rcu.readLock();
        }
    }

    /** On a reader's thread: report (close the section, if open; QSBR: a quiescent state). Safe to call again. */
    public void report(Rcu rcu) {
        if (this == QSBR) {
            ((QsbrRcu) rcu).quiescent();
        } else if (rcu.inReadSection()) {
            rcu.readUnlock();
        }
    }
}
