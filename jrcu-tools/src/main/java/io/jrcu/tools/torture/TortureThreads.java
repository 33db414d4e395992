package io.jrcu.tools.torture;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The threads of one torture run: starts them, records the failure of any of them (which stops the run), and joins
 * them all, turning a thread that does not stop in time into an exception that carries every straggler's stack.
 */
final class TortureThreads {
    /*
     * Every body runs inside a guard: a Throwable is queued as a ThreadFailure, counts down `ended` (the monitor
     * awaits it instead of sleeping, so a failure ends the run at once) and calls `stopAll`. endEarly() counts it
     * down too, without a failure (a run told to stop at its first oracle error). The list of threads is
     * touched only by the thread that runs the torture (start, then joinAll). A thread's actions happen-before the
     * return of its join, so the caller reads exact counters and the failure queue after joinAll.
     */

    private final Runnable stopAll;
    private final List<Thread> threads = new ArrayList<>();
    private final Queue<ThreadFailure> failures = new ConcurrentLinkedQueue<>();
    private final CountDownLatch ended = new CountDownLatch(1);

    /** {@code stopAll} tells every torture thread to finish; called on the first failure. */
    TortureThreads(Runnable stopAll) {
        this.stopAll = stopAll;
    }

    /** Starts {@code body} on a new thread from {@code builder}, guarded. */
    void start(Thread.Builder builder, Runnable body) {
        Thread t = builder.unstarted(() -> {
            try {
                body.run();
            } catch (Throwable e) {
                fail(Thread.currentThread().getName(), e);
            }
        });
        threads.add(t);
        t.start();
    }

    /** Records a failure of {@code thread} (a torture thread, or the domain's error handler) and stops the run. */
    void fail(String thread, Throwable cause) {
        failures.add(new ThreadFailure(thread, cause));
        endEarly();
    }

    /** Ends the run now: wakes the monitor and tells every torture thread to finish. */
    void endEarly() {
        ended.countDown();
        stopAll.run();
    }

    /** Waits up to {@code nanos}; true as soon as some thread has failed or the run was ended early. */
    boolean awaitEnd(long nanos) throws InterruptedException {
        return ended.await(nanos, TimeUnit.NANOSECONDS);
    }

    /** Failures so far (all of them, once joined). */
    List<ThreadFailure> failures() {
        return List.copyOf(failures);
    }

    /**
     * Joins every thread; the run must have been told to stop.
     *
     * @throws IllegalStateException if some thread is still running after {@code timeout}; the message holds the
     *                               stack of each (a grace period that never ends shows up here)
     */
    void joinAll(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Thread> stuck = new ArrayList<>();
        for (Thread t : threads) {
            long remaining = deadline - System.nanoTime();
            if (!t.join(Duration.ofNanos(Math.max(remaining, 1)))) {
                stuck.add(t);
            }
        }
        if (!stuck.isEmpty()) {
            StringBuilder out = new StringBuilder().append(stuck.size()).append(" torture thread(s) still running ")
                    .append(timeout.toSeconds()).append(" s after the run was told to stop:");
            for (Thread t : stuck) {
                out.append("\n'").append(t.getName()).append("' ").append(t.getState());
                for (StackTraceElement e : t.getStackTrace()) {
                    out.append("\n\tat ").append(e);
                }
            }
            throw new IllegalStateException(out.toString());
        }
    }
}
