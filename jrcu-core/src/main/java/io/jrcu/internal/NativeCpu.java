package io.jrcu.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * The current CPU and CPU affinity, through Linux's {@code sched_getcpu} and {@code sched_setaffinity} called with
 * {@code java.lang.foreign}. Loaded only when per-CPU workers or affinity are used (it needs native access:
 * {@code --enable-native-access=io.jrcu}, or {@code ALL-UNNAMED} on the class path, silences the JDK's warning).
 *
 * <p>Portable fallback where the calls are unavailable: the "current CPU" is a stable hash of the thread's id modulo
 * the number of CPUs (threads still spread over the per-CPU workers, without locality), and affinity requests are
 * ignored with one logged notice.
 */
public final class NativeCpu {
    private NativeCpu() {
    }

    /** Number of CPU slots for per-CPU workers. */
    public static int cpuCount() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The CPU the calling thread runs on, in [0, cpuCount()). */
    public static int currentCpu() {
        MethodHandle getCpu = Calls.SCHED_GETCPU;
        if (getCpu != null) {
            try {
                int cpu = (int) getCpu.invokeExact();
                if (cpu >= 0) {
                    return cpu % cpuCount();
                }
            } catch (Throwable ignored) {
                // fall back below
            }
        }
        return (int) ((Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L) >>> 33) % cpuCount();
    }

    /** Pins the calling (platform) thread to {@code cpu}; returns whether it worked. */
    public static boolean pinCurrentThread(int cpu) {
        MethodHandle setAffinity = Calls.SCHED_SETAFFINITY;
        if (setAffinity == null || Thread.currentThread().isVirtual()) {
            Calls.noticeOnce("CPU affinity is not supported here (" + (setAffinity == null
                    ? "no sched_setaffinity" : "virtual thread") + "); worker runs unpinned");
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            long bytes = Math.max(128, ((cpu / 64) + 1) * 8L);
            MemorySegment mask = arena.allocate(bytes, 8);
            mask.set(ValueLayout.JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            int rc = (int) setAffinity.invokeExact(0, bytes, mask);
            if (rc != 0) {
                Calls.noticeOnce("sched_setaffinity(" + cpu + ") failed; worker runs unpinned");
            }
            return rc == 0;
        } catch (Throwable t) {
            Calls.noticeOnce("sched_setaffinity(" + cpu + ") failed (" + t + "); worker runs unpinned");
            return false;
        }
    }

    /** Holder: linked on first use only. */
    @SuppressWarnings("restricted") // the reason this class exists; see the class documentation
    private static final class Calls {
        static final MethodHandle SCHED_GETCPU;
        static final MethodHandle SCHED_SETAFFINITY;
        private static volatile boolean noticed;

        static {
            MethodHandle getCpu = null;
            MethodHandle setAffinity = null;
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> g = libc.find("sched_getcpu");
                Optional<MemorySegment> s = libc.find("sched_setaffinity");
                if (g.isPresent()) {
                    getCpu = linker.downcallHandle(g.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT),
                            Linker.Option.critical(false));
                }
                if (s.isPresent()) {
                    setAffinity = linker.downcallHandle(s.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
                }
            } catch (Throwable t) {
                noticeOnce("native CPU calls unavailable (" + t + "); using the portable fallback");
            }
            SCHED_GETCPU = getCpu;
            SCHED_SETAFFINITY = setAffinity;
        }

        static void noticeOnce(String message) {
            if (!noticed) {
                noticed = true;
                System.getLogger("io.jrcu").log(System.Logger.Level.INFO, "jrcu: " + message);
            }
        }
    }
}
