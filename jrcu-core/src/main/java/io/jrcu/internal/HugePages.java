package io.jrcu.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Zeroed off-heap memory for large tables that readers probe at random, backed by transparent huge pages where Linux
 * offers them: {@code mmap} of anonymous memory, then {@code madvise(MADV_HUGEPAGE)} before anything touches it, so
 * that each 2 MiB of the table takes one TLB entry instead of 512 (a random probe of a table of hundreds of megabytes
 * otherwise misses the TLB nearly every time, and on a virtual machine each miss walks two sets of page tables).
 * Where the calls cannot be made (not Linux on x86-64 or aarch64, no native access for this module, or
 * {@code -Djrcu.hugePages=false}) or fail, and for tables under 2 MiB, the memory comes from the arena's own
 * {@link Arena#allocate}. Either way the memory is zero and is released when the arena closes.
 *
 * <pre>{@code
 * try (Arena arena = Arena.ofShared()) {
 *     MemorySegment table = HugePages.allocateZeroed(arena, 512L << 20, 64);
 * }
 * }</pre>
 */
public final class HugePages {
    /** The huge page size of x86-64 and of aarch64 with 4 KiB base pages. */
    public static final long SIZE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final long MAP_FAILED = -1;

    /** Whether huge pages are asked for; decided once. */
    public static final boolean AVAILABLE;
    /** Why they are not, for the docs and the log; null when they are. */
    public static final String UNAVAILABLE_BECAUSE;
    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null;
        MethodHandle madvise = null;
        MethodHandle munmap = null;
        String reason = null;
        String arch = System.getProperty("os.arch");
        if (!Boolean.parseBoolean(System.getProperty("jrcu.hugePages", "true"))) {
            reason = "-Djrcu.hugePages=false";
        } else if (!System.getProperty("os.name").equals("Linux")
                || !(arch.equals("amd64") || arch.equals("x86_64") || arch.equals("aarch64"))) {
            reason = "not Linux on x86-64 or aarch64";
        } else if (!HugePages.class.getModule().isNativeAccessEnabled()) {
            reason = "no native access";
        } else {
            try {
                MethodHandle[] calls = link();
                mmap = calls[0];
                madvise = calls[1];
                munmap = calls[2];
            } catch (Throwable t) {
                reason = "mmap/madvise could not be linked: " + t;
                mmap = null;
            }
        }
        AVAILABLE = mmap != null;
        UNAVAILABLE_BECAUSE = reason;
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private HugePages() {
    }

    /**
     * {@code byteSize} zeroed bytes aligned to {@link #SIZE} (to {@code byteAlignment} when they come from the arena),
     * released when {@code arena} closes.
     *
     * @param byteAlignment a power of two up to {@link #SIZE}
     * @throws OutOfMemoryError if the memory cannot be had either way
     */
    public static MemorySegment allocateZeroed(Arena arena, long byteSize, long byteAlignment) {
        if (AVAILABLE && byteSize >= SIZE) {
            MemorySegment mapped = mapHuge(arena, byteSize);
            if (mapped != null) {
                return mapped;
            }
        }
        return arena.allocate(byteSize, byteAlignment);   // Arena.allocate zeroes
    }

    /** An anonymous mapping (zero on first touch) advised for huge pages, or null if mmap refused. */
    @SuppressWarnings("restricted") // AVAILABLE implies native access is enabled for this module
    private static MemorySegment mapHuge(Arena arena, long byteSize) {
        long mappedBytes = byteSize + SIZE;   // room to align the start to a huge page
        long base;
        try {
            base = (long) MMAP.invokeExact(0L, mappedBytes, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            return null;
        }
        if (base == MAP_FAILED || base == 0) {
            return null;
        }
        long start = (base + SIZE - 1) & -SIZE;
        try {
            int ignored = (int) MADVISE.invokeExact(start, byteSize, MADV_HUGEPAGE);  // advice: fine if refused
        } catch (Throwable t) {
            // the memory works without the advice
        }
        return MemorySegment.ofAddress(start).reinterpret(byteSize, arena, segment -> unmap(base, mappedBytes));
    }

    /** The arena's cleanup action: a failure would leave the mapping (nothing reads it any more), never throws. */
    private static void unmap(long base, long mappedBytes) {
        try {
            int ignored = (int) MUNMAP.invokeExact(base, mappedBytes);
        } catch (Throwable t) {
            // munmap of a mapping this class made fails only on a kernel error; the address space stays reserved
        }
    }

    /** {@code mmap}, {@code madvise} and {@code munmap}, with addresses passed as longs. */
    @SuppressWarnings("restricted") // guarded by isNativeAccessEnabled above
    private static MethodHandle[] link() {
        Linker linker = Linker.nativeLinker();
        var lookup = linker.defaultLookup();
        MethodHandle mmap = linker.downcallHandle(lookup.find("mmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
        MethodHandle madvise = linker.downcallHandle(lookup.find("madvise").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT));
        MethodHandle munmap = linker.downcallHandle(lookup.find("munmap").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
        return new MethodHandle[] {mmap, madvise, munmap};
    }
}
