package io.jrcu.internal;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;

/**
 * What a library built on a domain sees of its flavor: {@code DeferQueue}, the arena and the maps use this and the
 * public {@link Rcu}, never the engine. In the spirit of liburcu's {@code struct rcu_flavor_struct}, all that
 * {@code rculfhash} and {@code call_rcu} see of a flavor. A domain hands its view out through {@link Bridge#flavorOf},
 * so no method of this interface is a public method of a flavor class.
 *
 * <p>Cookies are those of {@link Rcu#snapshot()}: grace period numbers of the domain, {@link Rcu#COMPLETED} (0)
 * always passed. Every method is thread-safe and, unless it says otherwise, non-blocking and O(1).
 */
public interface LibraryFlavor {

    /** The domain this is the view of. */
    Rcu rcu();

    /** The domain's name, for messages. */
    String name();

    /**
     * A cookie to stamp a deferred resource with: a grace period that starts after this call (the caller's earlier
     * writes, such as an unlink, happen before it), requested lazily (it passes within about a millisecond even if
     * nobody asks, without a wake-up per call). QSBR hands out a token that starts the grace period at once.
     *
     * @throws IllegalStateException if the domain is closing or closed (except on the domain's own threads)
     */
    long deferCookie();

    /**
     * Whether the grace period {@code cookie} names has passed: every read section that could have seen what was
     * unlinked before the cookie was taken has ended, and everything those sections did happens-before this call's
     * {@code true}. Once true it stays true. Does not look at the readers (see {@link #tryAdvance}).
     */
    boolean hasPassed(long cookie);

    /** Whether the grace period {@code cookie} names has started. */
    boolean hasStarted(long cookie);

    /**
     * Makes {@code cookie} pass cheaply if it can, without waiting: if no other thread runs a grace period, starts
     * (only if {@code mayStart}) or resumes one and looks at the readers once (DPDK's non-blocking
     * {@code rte_rcu_qsbr_check}). Safe inside a read section. Never blocks.
     *
     * @param mayStart whether it may start a grace period (else it only completes one already started)
     * @return whether {@code cookie} has passed
     */
    boolean tryAdvance(long cookie, boolean mayStart);

    /**
     * Makes the domain's own thread drive grace periods until {@code cookie} has passed (eagerly: woken now).
     *
     * @throws RuntimeException what starting the domain thread threw, if it was not running and could not start
     */
    void request(long cookie);

    /**
     * Whether starting a grace period is cheap enough for non-blocking paths to do whenever they need one
     * ({@link #tryAdvance} with {@code mayStart}). memb with {@code membarrier} says no (a system call that interrupts
     * every CPU): its lazily requested grace periods start on the domain thread's tick.
     */
    boolean gracePeriodStartIsCheap();

    /**
     * Waits for a grace period that starts after this call, or, once the domain is closing, for the end of its close
     * (whose final grace period covers every section); returns at once on a closed domain. For machinery that may
     * run while or after the domain closes. Blocking; uninterruptible (an interrupt is kept for the caller).
     */
    void awaitGracePeriodOrClose();

    /**
     * Throws if a grace period would wait for the caller itself: it is inside a read section of the domain or holds
     * a bulletProof token section it opened.
     *
     * @param operation what the caller is about to do, for the message
     * @throws IllegalStateException naming the section
     */
    void checkCanBlock(String operation);

    /** Hands what a deferred reclaimer threw to the domain's error handler; never throws. */
    void reportError(Throwable error);

    /** Whether the domain is open (not closing, not closed). */
    boolean isOpen();

    /** Whether {@code reader} is a reader of this domain (any thread's). */
    boolean owns(RcuReader reader);

    /** Whether the domain is closed (its close has finished). */
    boolean isClosed();

    /** Whether {@code thread} is one of the domain's own threads (its grace-period thread or a callback runner). */
    boolean isDomainThread(Thread thread);
}
