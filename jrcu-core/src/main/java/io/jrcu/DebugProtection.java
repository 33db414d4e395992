package io.jrcu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MutableCallSite;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Debug-checks bookkeeping for {@link RcuReference#get()}: how many sections (memb, bulletProof) or online states
 * (QSBR) protect the current thread. Costs nothing until a domain with debug checks is built; from then on the
 * sections of every domain are counted (a reference does not know its domain, so a section of a domain without
 * checks must count too, or get() inside it would throw).
 */
final class DebugProtection {
    /*
     * Whether sections are counted: switched on once, when the first debug-enabled domain is built. Every section's
     * entry and exit and every RcuReference.get() ask, so the answer is the target of a MutableCallSite rather than a
     * field: C2 compiles a call of IS_ENABLED (a static final handle) to the constant it returns, with a dependency
     * on the call site, so compiled read paths pay no load and no branch for the switch; setTarget deoptimizes the
     * code that depends on it, and syncAll makes every thread see the new target (the partner of no load on the read
     * side: a thread compiled against the old target is deoptimized, an interpreted one calls the new target).
     */
    private static final MutableCallSite ENABLED = new MutableCallSite(MethodHandles.constant(boolean.class, false));
    private static final MethodHandle IS_ENABLED = ENABLED.dynamicInvoker();

    private static final ThreadLocal<AtomicInteger> PROTECTIONS = ThreadLocal.withInitial(AtomicInteger::new);

    private DebugProtection() {
    }

    /** Whether any domain with debug checks was built (the sections of every domain are then counted). */
    static boolean enabled() {
        try {
            return (boolean) IS_ENABLED.invokeExact();
        } catch (Throwable constantThrowsNothing) {
            throw new AssertionError(constantThrowsNothing);
        }
    }

    static void enable() {
        setEnabled(true);
    }

    /**
     * Switches the counting on or off. Off only for tests that start as if no debug domain existed, between sections:
     * an exit checks the switch before its own record of having counted, so that compiled exits skip both while off.
     */
    static synchronized void setEnabled(boolean on) {
        if (enabled() != on) {
            ENABLED.setTarget(MethodHandles.constant(boolean.class, on));
            MutableCallSite.syncAll(new MutableCallSite[] {ENABLED});
        }
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
