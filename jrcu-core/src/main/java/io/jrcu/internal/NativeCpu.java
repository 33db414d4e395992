package io.jrcu.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * CPU ids, the current CPU and CPU affinity, through Linux's {@code get_nprocs_conf}, {@code sched_getaffinity},
 * {@code sched_getcpu} and {@code sched_setaffinity} called with {@code java.lang.foreign}. The native calls are
 * linked only when per-CPU workers or affinity are used (they need native access:
 * {@code --enable-native-access=io.jrcu}, or {@code ALL-UNNAMED} on the class path, silences the JDK's warning).
 *
 * <p>CPU ids are the kernel's: with a restricted CPU set (taskset, a cpuset cgroup, a container) the CPUs a thread
 * may run on are some of {@code 0 .. cpuIdLimit() - 1}, not {@code 0 .. availableProcessors() - 1}.
 *
 * <p>Portable fallback where the calls are unavailable: the CPU ids are {@code 0 .. availableProcessors() - 1}, all
 * allowed; the "current CPU" is a stable hash of the thread's id modulo their number (threads still spread over the
 * per-CPU workers, without locality), and affinity requests are ignored with one logged notice.
 */
public final class NativeCpu {
    /** The largest affinity mask tried: 2^22 CPU ids. */
    private static final long MAX_MASK_BYTES = 1 << 19;

    private NativeCpu() {
    }

    /**
     * How many CPU ids this machine has: every CPU is one of {@code 0 .. cpuIdLimit() - 1} (Linux: the configured
     * CPUs, {@code get_nprocs_conf()}, and at least one past every CPU the process may run on). Read once.
     */
    public static int cpuIdLimit() {
        return Calls.CPU_ID_LIMIT;
    }

    /**
     * The CPUs the calling thread may run on, ascending: Linux {@code sched_getaffinity}, read on each call (what
     * taskset, a cpuset cgroup or a container allows); elsewhere {@code 0 .. availableProcessors() - 1}.
     */
    public static int[] allowedCpus() {
        int[] cpus = Calls.readAffinity(Calls.SCHED_GETAFFINITY, Calls.CPU_ID_LIMIT);
        return cpus != null ? cpus : IntStream.range(0, Runtime.getRuntime().availableProcessors()).toArray();
    }

    /**
     * Checks a CPU to pin a worker to.
     *
     * @throws IllegalArgumentException if {@code cpu} is neither -1 (none) nor a CPU id of this machine
     */
    public static void checkCpu(int cpu) {
        if (cpu >= 0 && cpu >= cpuIdLimit()) {
            throw new IllegalArgumentException("cpuAffinity " + cpu + " is not a CPU of this machine (CPU ids 0.."
                    + (cpuIdLimit() - 1) + ")");
        }
    }

    /** The CPU the calling thread runs on, in [0, cpuIdLimit()). */
    public static int currentCpu() {
        MethodHandle getCpu = Calls.SCHED_GETCPU;
        if (getCpu != null) {
            try {
                int cpu = (int) getCpu.invokeExact();
                if (cpu >= 0 && cpu < Calls.CPU_ID_LIMIT) {
                    return cpu;
                }
            } catch (Throwable ignored) {
                // fall back below
            }
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        return (int) ((Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L) >>> 33) % cpus;
    }

    /** Pins the calling (platform) thread to {@code cpu}; returns whether it worked. */
    public static boolean pinCurrentThread(int cpu) {
        MethodHandle setAffinity = Calls.SCHED_SETAFFINITY;
        if (setAffinity == null || Thread.currentThread().isVirtual() || cpu < 0 || cpu >= cpuIdLimit()) {
            Calls.noticeOnce("CPU affinity is not supported here (" + (setAffinity == null ? "no sched_setaffinity"
                    : Thread.currentThread().isVirtual() ? "virtual thread" : "no CPU " + cpu)
                    + "); worker runs unpinned");
            return false;
        }
        try (Arena arena = Arena.ofConfined()) {
            long bytes = maskBytes(cpuIdLimit());
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

    /** A CPU mask's size for CPU ids below {@code limit}: whole longs, at least glibc's 1024-bit cpu_set_t. */
    private static long maskBytes(int limit) {
        return Math.max(128, ((limit + 63L) / 64) * 8);
    }

    /** Holder: linked on first use only. */
    @SuppressWarnings("restricted") // the reason this class exists; see the class documentation
    private static final class Calls {
        static final MethodHandle SCHED_GETCPU;
        static final MethodHandle SCHED_SETAFFINITY;
        static final MethodHandle SCHED_GETAFFINITY;
        static final int CPU_ID_LIMIT;
        private static volatile boolean noticed;

        static {
            MethodHandle getCpu = null;
            MethodHandle setAffinity = null;
            MethodHandle getAffinity = null;
            int configured = 0;
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Optional<MemorySegment> g = libc.find("sched_getcpu");
                Optional<MemorySegment> s = libc.find("sched_setaffinity");
                Optional<MemorySegment> a = libc.find("sched_getaffinity");
                Optional<MemorySegment> n = libc.find("get_nprocs_conf");
                if (g.isPresent()) {
                    getCpu = linker.downcallHandle(g.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT),
                            Linker.Option.critical(false));
                }
                FunctionDescriptor affinityCall = FunctionDescriptor.of(ValueLayout.JAVA_INT,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS);
                if (s.isPresent()) {
                    setAffinity = linker.downcallHandle(s.get(), affinityCall);
                }
                if (a.isPresent()) {
                    getAffinity = linker.downcallHandle(a.get(), affinityCall);
                }
                if (n.isPresent()) {
                    configured = (int) linker.downcallHandle(n.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT))
                            .invokeExact();
                }
            } catch (Throwable t) {
                noticeOnce("native CPU calls unavailable (" + t + "); using the portable fallback");
            }
            SCHED_GETCPU = getCpu;
            SCHED_SETAFFINITY = setAffinity;
            SCHED_GETAFFINITY = getAffinity;
            int limit = Math.max(configured, Runtime.getRuntime().availableProcessors());
            int[] allowed = readAffinity(getAffinity, limit);
            if (allowed != null && allowed.length > 0) {
                limit = Math.max(limit, allowed[allowed.length - 1] + 1);
            }
            CPU_ID_LIMIT = limit;
        }

        /**
         * The calling thread's CPU set through {@code sched_getaffinity}, ascending; {@code null} if unavailable. The
         * mask starts sized for {@code limit} CPU ids and doubles while the kernel refuses it as too small.
         */
        static int[] readAffinity(MethodHandle getAffinity, int limit) {
            if (getAffinity == null) {
                return null;
            }
            try (Arena arena = Arena.ofConfined()) {
                for (long bytes = maskBytes(limit); bytes <= MAX_MASK_BYTES; bytes *= 2) {
                    MemorySegment mask = arena.allocate(bytes, 8);
                    int rc = (int) getAffinity.invokeExact(0, bytes, mask);
                    if (rc == 0) {
                        return cpusIn(mask.toArray(ValueLayout.JAVA_LONG));
                    }
                }
                noticeOnce("sched_getaffinity failed; using CPUs 0.." + (limit - 1));
            } catch (Throwable t) {
                noticeOnce("sched_getaffinity failed (" + t + "); using CPUs 0.." + (limit - 1));
            }
            return null;
        }

        private static int[] cpusIn(long[] words) {
            int count = 0;
            for (long w : words) {
                count += Long.bitCount(w);
            }
            int[] cpus = new int[count];
            int i = 0;
            for (int word = 0; word < words.length; word++) {
                for (long w = words[word]; w != 0; w &= w - 1) {
                    cpus[i++] = word * 64 + Long.numberOfTrailingZeros(w);
                }
            }
            return cpus;
        }

        static void noticeOnce(String message) {
            if (!noticed) {
                noticed = true;
                System.getLogger("io.jrcu").log(System.Logger.Level.INFO, "jrcu: " + message);
            }
        }
    }
}
