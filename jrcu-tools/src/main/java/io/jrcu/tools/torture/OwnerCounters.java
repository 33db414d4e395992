package io.jrcu.tools.torture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A few counters that one thread (the owner) increments and the progress monitor reads while the run goes on.
 * No counter is shared between threads, so readers never contend on a cache line: each thread has its own
 * instance, and the counters sit in the middle of an array padded with {@link #PAD} unused longs (128 bytes) on
 * each side, so two instances allocated next to each other do not share a line either (x86's adjacent-line
 * prefetcher pairs 64-byte lines, hence 128).
 */
final class OwnerCounters {
    /*
     * Access modes: the owner reads its own counter plain (program order gives it its last value) and publishes the
     * new value with an opaque store; the monitor reads opaque. Opaque is enough: the monitor only needs each value
     * eventually and never torn (longs are atomic under opaque access); exact totals are read after the owner was
     * joined, which orders everything.
     */
    private static final int PAD = 16;
    private static final VarHandle COUNTS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] counts;

    OwnerCounters(int size) {
        counts = new long[PAD + size + PAD];
    }

    /** Owner only. */
    void increment(int counter) {
        int i = PAD + counter;
        COUNTS.setOpaque(counts, i, counts[i] + 1); // opaque; pairs with the monitor's opaque load in get
    }

    /** Any thread. */
    long get(int counter) {
        return (long) COUNTS.getOpaque(counts, PAD + counter); // opaque; pairs with the owner's store in increment
    }
}
