package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/*
 * The read-mostly state every reader of a domain looks at: the number of the newest grace period started, and
 * whether the domain is closing. Readers read it on their outermost section entries (memb: started and closing;
 * QSBR: closing; bulletProof: phase and closing) and quiescent reports (QSBR: started), so it is padded on both
 * sides by the class hierarchy below (JCTools style): the writer's frequently written fields live elsewhere, never
 * next to it (completed in the domain object, requested in its DomainThread).
 *
 * `started` has a line of its own, apart from the fields read on every section entry: QSBR's DPDK-style tokens
 * (every DeferQueue enqueue, every start()) increment it, so for QSBR it is write-hot. Were it next to `closing`,
 * which a QSBR reader loads on every section entry, each token would invalidate the line a busy reader re-reads on
 * every section (false sharing: a cache miss for the reader per section and one for the token's increment).
 */
abstract class GracePeriodStatePadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class GracePeriodStateStarted extends GracePeriodStatePadBefore {
    /**
     * Number of the newest grace period started; 0 before the first. Raised by one (CAS) under the domain's gpLock,
     * and (QSBR only) by DPDK-style tokens, an atomic increment by any thread (see GracePeriodEngine.token()).
     */
    volatile long started;
}

abstract class GracePeriodStatePadBetween extends GracePeriodStateStarted {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;
}

abstract class GracePeriodStateFields extends GracePeriodStatePadBetween {
    /** Set once when the domain starts closing; never reset. */
    volatile boolean closing;
    /** bulletProof: the counter index (0 or 1) new sections use; flipped once per grace period. */
    volatile int phase;
    /**
     * bulletProof: 1 + the phase a grace period is parked waiting for, 0 if none; unlocks and token closes of that
     * phase then wake it.
     */
    volatile int gracePeriodParkedFor;
}

abstract class GracePeriodStatePadAfter extends GracePeriodStateFields {
    long p20, p21, p22, p23, p24, p25, p26, p27, p28, p29, p2a, p2b, p2c, p2d, p2e, p2f;
}

final class GracePeriodState extends GracePeriodStatePadAfter {

    private static final VarHandle STARTED = VarHandles.field(MethodHandles.lookup(), GracePeriodStateStarted.class,
            "started", long.class);
    private static final VarHandle CLOSING = VarHandles.field(MethodHandles.lookup(), GracePeriodStateFields.class,
            "closing", boolean.class);
    private static final VarHandle PHASE = VarHandles.field(MethodHandles.lookup(), GracePeriodStateFields.class,
            "phase", int.class);
    private static final VarHandle PARKED_FOR = VarHandles.field(MethodHandles.lookup(),
            GracePeriodStateFields.class, "gracePeriodParkedFor", int.class);

    /**
     * Acquire load; pairs with the volatile CAS/increment in {@link #casStarted} and {@link #incStarted}, so a
     * reader that sees grace period g also sees everything the writer did before starting it.
     */
    long laStarted() {
        return (long) STARTED.getAcquire(this);
    }

    /** Volatile (sequentially consistent) load, for the writer side and snapshot(). */
    long lvStarted() {
        return started;
    }

    /** Volatile CAS: orders the writer's unlinks before the new number (partner: the readers' acquire load in
     *  laStarted). The store->load order before the scan of reader records is GracePeriodEngine.runUntil's explicit
     *  full fence, not this CAS's. Fails only when a QSBR token raised the number meanwhile. */
    boolean casStarted(long expected, long value) {
        return STARTED.compareAndSet(this, expected, value);
    }

    /** Volatile increment (QSBR tokens); returns the new number. Same partners as {@link #casStarted}. */
    long incStarted() {
        return (long) STARTED.getAndAdd(this, 1L) + 1;
    }

    /** Opaque load for the read path: the closing flag needs no ordering of its own there; where it must be
     *  ordered against a reader's store the reader has already issued a full fence (see MembRcu). */
    boolean loClosing() {
        return (boolean) CLOSING.getOpaque(this);
    }

    /** Volatile store; pairs with the readers' loads after their full fence, and with snapshot()'s check. */
    void svClosing() {
        closing = true;
    }

    boolean lvClosing() {
        return closing;
    }

    /** Opaque load: a stale phase only makes the reader a straggler, which the grace period's first wait covers
     *  (see BulletProofRcu); the counter update that follows is the reader's ordering point. */
    int loPhase() {
        return (int) PHASE.getOpaque(this);
    }

    /** Volatile store; the grace period's flip (full fence between its two waits). */
    void svPhase(int value) {
        phase = value;
    }

    int lvPhase() {
        return phase;
    }

    /** Volatile store; Dekker partner of the readers' volatile load after their atomic unlock. */
    void svGracePeriodParkedFor(int phase) {
        gracePeriodParkedFor = phase + 1;
    }

    /** Volatile store; the grace period no longer waits for a wake-up. */
    void svGracePeriodNotParked() {
        gracePeriodParkedFor = 0;
    }

    /** Volatile load: whether a grace period is parked waiting for sections of {@code phase} to end. */
    boolean lvGracePeriodParkedFor(int phase) {
        return gracePeriodParkedFor == phase + 1;
    }

    /**
     * Opaque load of the same, for a platform thread's section exit (a release store, no fence: a wake-up it misses
     * costs the parked grace period at most GracePeriodWait.MAX_PARK_NANOS, as memb's exit; see BulletProofRcu).
     */
    boolean loGracePeriodParkedFor(int phase) {
        return (int) PARKED_FOR.getOpaque(this) == phase + 1;
    }
}
