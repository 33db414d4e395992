package io.jrcu;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debug-checks bookkeeping for {@link RcuReference#get()}: how many sections (memb, bulletProof) or online states
 * (QSBR) protect the current thread. Costs nothing until a domain with debug checks is built; from then on the
 * sections of every domain are counted (a reference does not know its domain, so a section of a domain without
 * checks must count too, or get() inside it would throw).
 */
final class DebugProtection {
    /**
     * Set once, when the first debug-enabled domain is built. A plain field on purpose: get() reads it on every
     * call, and it only needs to become visible eventually (domains are built before their readers start).
     */
    static boolean enabled;

    private static final ThreadLocal<AtomicInteger> PROTECTIONS = ThreadLocal.withInitial(AtomicInteger::new);

    private DebugProtection() {
    }

    static void enable() {
        enabled = true;
    }

    /** The calling thread's counter. A bulletProof token keeps it, so that another thread can end the section. */
    static AtomicInteger current() {
        return PROTECTIONS.get();
    }

    static void enter() {
        PROTECTIONS.get().incrementAndGet();
    }

    static void exit() {
        PROTECTIONS.get().decrementAndGet();
    }

    static void check() {
        if (PROTECTIONS.get().get() <= 0) {
            throw new IllegalStateException("RcuReference.get() on thread '" + Thread.currentThread().getName()
                    + "', which is in no read section (memb, bulletProof) and not online (QSBR) in any domain with"
                    + " debug checks on");
        }
    }
}
