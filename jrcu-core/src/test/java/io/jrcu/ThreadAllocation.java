package io.jrcu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The allocation probes' counter ({@link ReadPathAllocationProbe}, {@link DeferAllocationProbe}): the bytes the calling
 * thread has allocated, from {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()}. A probe is
 * meant to run with {@code -XX:-DoEscapeAnalysis} (checked by {@link #start()}), so that nothing the JIT could
 * scalar-replace hides an allocation.
 *
 * <p>The management beans are reached reflectively: the test sources are compiled into module {@code io.jrcu}, which
 * does not read {@code java.management}/{@code jdk.management}; a probe runs on the class path, where they are
 * accessible. The counter is read through an exact-typed {@link MethodHandle}, so reading it boxes nothing.
 */
final class ThreadAllocation {

    /** {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()}, bound to the bean: {@code ()long}. */
    private final MethodHandle allocatedBytes;
    /** What two reads of the counter with nothing between them differ by; set by {@link #calibrate()}. */
    long overhead;

    /** Keeps the JIT from removing the control's allocations. */
    static volatile long sink;

    private ThreadAllocation(MethodHandle allocatedBytes) {
        this.allocatedBytes = allocatedBytes;
    }

    /**
     * Prints whether escape analysis is off and exits the JVM (status 2) if it is on, or (status 3) if the JVM
     * cannot count a thread's allocations; otherwise returns the counter (call {@link #calibrate()} after the
     * warm-up).
     */
    static ThreadAllocation start() throws Throwable {
        Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
        Class<?> hotspotClass = Class.forName("com.sun.management.HotSpotDiagnosticMXBean");
        Object hotspot = factory.getMethod("getPlatformMXBean", Class.class).invoke(null, hotspotClass);
        Object option = hotspotClass.getMethod("getVMOption", String.class).invoke(hotspot, "DoEscapeAnalysis");
        String escapeAnalysis = (String) option.getClass().getMethod("getValue").invoke(option);
        System.out.println("DoEscapeAnalysis=" + escapeAnalysis);
        if (!"false".equals(escapeAnalysis)) {
            System.out.println("FAIL: escape analysis is on; run with -XX:-DoEscapeAnalysis");
            System.exit(2);
        }
        Class<?> threadBeanClass = Class.forName("com.sun.management.ThreadMXBean");
        Object threads = factory.getMethod("getThreadMXBean").invoke(null);
        if (!(boolean) threadBeanClass.getMethod("isThreadAllocatedMemorySupported").invoke(threads)) {
            System.out.println("FAIL: thread allocation counting not supported");
            System.exit(3);
        }
        threadBeanClass.getMethod("setThreadAllocatedMemoryEnabled", boolean.class).invoke(threads, true);
        return new ThreadAllocation(MethodHandles.publicLookup()
                .findVirtual(threadBeanClass, "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class))
                .bindTo(threads));
    }

    /**
     * Measures the counter's own cost (two reads with nothing between them) and then checks that it sees allocation
     * at all (1000 small arrays); prints both. Returns {@code false}, having printed "FAIL", if the control was not
     * counted.
     */
    boolean calibrate() throws Throwable {
        long min = Long.MAX_VALUE;
        for (int i = 0; i < 20; i++) {
            long a = bytes();
            long b = bytes();
            min = Math.min(min, b - a);
        }
        overhead = min;
        System.out.println("counter overhead: " + overhead + " bytes");
        long before = bytes();
        long total = 0;
        for (int i = 0; i < 1_000; i++) {
            Object[] a = new Object[1];
            a[0] = a;
            total += a.length;
            sink += System.identityHashCode(a) & 1;
        }
        sink += total;
        long allocating = bytes() - before - overhead;
        System.out.println("control (1000 arrays): " + allocating + " bytes");
        if (allocating < 16_000) {
            System.out.println("FAIL: the control allocation was not counted");
            return false;
        }
        return true;
    }

    /** Bytes the calling thread has allocated so far. */
    long bytes() throws Throwable {
        return (long) allocatedBytes.invokeExact();
    }
}
