package io.jrcu.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Linux's {@code membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)} through {@code java.lang.foreign}: a full memory barrier
 * executed by every CPU that runs a thread of this process (an IPI to each), and by every other thread of the process
 * when it is next scheduled. It lets the memb flavor move the cost of the read side's store->load fence to the grace
 * period, as liburcu's memb flavor does: readers then need only keep the compiler from reordering. memb's grace
 * period calls {@link #fence()} once, after it published its number (MembRcu.afterGracePeriodStart; MembRcu's overview
 * maps the rest of memb's grace period).
 *
 * <p>Used only where it can be used quietly and safely: on Linux x86-64 or aarch64 (whose syscall numbers are known),
 * when this module has native access (so the JDK prints no restricted-method warning: {@code
 * --enable-native-access=io.jrcu}, or {@code ALL-UNNAMED} on the class path), when the kernel accepts the
 * registration, and unless {@code -Djrcu.membarrier=false}. Otherwise {@link #AVAILABLE} is false and readers keep
 * their full fence.
 */
public final class Membarrier {
    /** {@code MEMBARRIER_CMD_PRIVATE_EXPEDITED}. */
    private static final int CMD_PRIVATE_EXPEDITED = 1 << 3;
    /** {@code MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED}. */
    private static final int CMD_REGISTER_PRIVATE_EXPEDITED = 1 << 4;

    /** Whether {@link #fence()} works; decided once, at class initialization, before any reader relies on it. */
    public static final boolean AVAILABLE;
    private static final MethodHandle SYSCALL;
    private static final long SYSCALL_NUMBER;
    /** Why it is unavailable, for the log; null when available. */
    public static final String UNAVAILABLE_BECAUSE;

    static {
        MethodHandle syscall = null;
        long number = syscallNumber();
        String reason = null;
        if (!Boolean.parseBoolean(System.getProperty("jrcu.membarrier", "true"))) {
            reason = "-Djrcu.membarrier=false";
        } else if (number < 0) {
            reason = "not Linux on x86-64 or aarch64";
        } else if (!Membarrier.class.getModule().isNativeAccessEnabled()) {
            reason = "no native access (--enable-native-access=" + moduleName() + ")";
        } else {
            try {
                syscall = link();
                int rc = (int) (long) syscall.invokeExact(number, (long) CMD_REGISTER_PRIVATE_EXPEDITED, 0L, 0L);
                if (rc != 0) {
                    reason = "the kernel refused MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED";
                    syscall = null;
                }
            } catch (Throwable t) {
                reason = "membarrier could not be called: " + t;
                syscall = null;
            }
        }
        SYSCALL = syscall;
        SYSCALL_NUMBER = number;
        AVAILABLE = syscall != null;
        UNAVAILABLE_BECAUSE = reason;
    }

    private Membarrier() {
    }

    /**
     * A full memory barrier on every CPU running a thread of this process (and on the caller). Only when
     * {@link #AVAILABLE}.
     *
     * @throws IllegalStateException if the call fails (it cannot once registered, short of a kernel bug)
     */
    public static void fence() {
        int rc;
        try {
            rc = (int) (long) SYSCALL.invokeExact(SYSCALL_NUMBER, (long) CMD_PRIVATE_EXPEDITED, 0L, 0L);
        } catch (Throwable t) {
            throw new IllegalStateException("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed", t);
        }
        if (rc != 0) {
            throw new IllegalStateException("membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) returned " + rc);
        }
    }

    private static long syscallNumber() {
        if (!System.getProperty("os.name", "").startsWith("Linux")) {
            return -1;
        }
        return switch (System.getProperty("os.arch", "")) {
            case "amd64", "x86_64" -> 324;
            case "aarch64" -> 283;
            default -> -1;
        };
    }

    private static String moduleName() {
        Module m = Membarrier.class.getModule();
        return m.isNamed() ? m.getName() : "ALL-UNNAMED";
    }

    /** {@code long syscall(long number, ...)}, called with three variadic longs. */
    @SuppressWarnings("restricted") // the reason this class exists; guarded by isNativeAccessEnabled above
    private static MethodHandle link() {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> symbol = linker.defaultLookup().find("syscall");
        if (symbol.isEmpty()) {
            throw new IllegalStateException("no syscall symbol");
        }
        return linker.downcallHandle(symbol.get(), FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                Linker.Option.firstVariadicArg(1));
    }
}
