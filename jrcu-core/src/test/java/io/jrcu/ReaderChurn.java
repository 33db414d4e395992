package io.jrcu;

import java.util.concurrent.atomic.AtomicReference;

/**
 * A virtual thread per request: many short-lived virtual threads, each running one body, and the heap they leave
 * behind. {@link TestThreads} keeps every thread it started until it is closed, which is not what a test of a
 * million threads wants; this starts them {@link #BATCH} at a time and joins each batch (with the same timeout and
 * stack dump) before the next.
 *
 * <p>How many readers the churn tests run: {@code -Djrcu.churn.readers=N} (default 500,000, the quick tier; the long
 * tier runs 10,000,000, see the test tiers in docs/testing.md).
 */
final class ReaderChurn {

    /** Readers a churn test runs in all. */
    static final int READERS = Integer.getInteger("jrcu.churn.readers", 500_000);
    /** Threads started before the first of them is joined. */
    static final int BATCH = 1_000;

    private ReaderChurn() {
    }

    /** Runs {@code count} virtual threads that each run {@code body} once; rethrows the first failure. */
    static void run(int count, TestThreads.Body body) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable task = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        };
        Thread[] batch = new Thread[BATCH];
        for (int done = 0; done < count; done += BATCH) {
            int n = Math.min(BATCH, count - done);
            for (int i = 0; i < n; i++) {
                batch[i] = Thread.ofVirtual().start(task);
            }
            for (int i = 0; i < n; i++) {
                if (!batch[i].join(TestThreads.WAIT)) {
                    TestThreads.dumpAllStacks("a churn reader did not finish");
                    throw new AssertionError("churn reader " + (done + i) + " did not finish within "
                            + TestThreads.WAIT + " (" + batch[i].getState() + ")");
                }
                batch[i] = null;
            }
            if (failure.get() != null) {
                throw new AssertionError("churn reader failed: " + failure.get(), failure.get());
            }
        }
    }

    /**
     * Bytes of heap in use after full collections: {@code System.gc()} until two readings in a row agree within
     * 256 KiB (at most 10 collections), then the smaller of those two. ({@code Runtime}, not the
     * {@code MemoryMXBean}: the tests compile into module {@code io.jrcu}, which does not read
     * {@code java.management}.)
     */
    static long heapUsedAfterGc() {
        Runtime runtime = Runtime.getRuntime();
        long previous = Long.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            System.gc();
            long used = runtime.totalMemory() - runtime.freeMemory();
            if (Math.abs(used - previous) <= 256 * 1024) {
                return Math.min(used, previous);
            }
            previous = used;
        }
        return previous;
    }

    /** {@code bytes} in MiB, for messages. */
    static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
    }
}
