package io.jrcu;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Threads for tests, the house way: every thread a test starts is joined with a timeout, the first failure of any
 * of them is rethrown in the test thread, and a join that times out dumps every thread's stack to stderr and fails.
 * Use it with try-with-resources; {@link #close()} joins.
 *
 * <p>Also the waiting helpers the suite uses instead of sleeping: latches with a deadline, polling a condition with
 * a deadline, and waiting until a thread is observed blocked inside a given jrcu method.
 */
public final class TestThreads implements AutoCloseable {

    /** How long any single wait of a test may take before it is considered hung. */
    public static final Duration WAIT = Duration.ofSeconds(10);

    /** A body that may throw anything; failures are collected and rethrown by {@link #join()}. */
    @FunctionalInterface
    public interface Body {
        void run() throws Throwable;
    }

    private record Failure(String thread, Throwable error) {
    }

    private static final AtomicInteger NUMBERS = new AtomicInteger();

    private final Duration joinTimeout;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();

    public TestThreads() {
        this(WAIT);
    }

    public TestThreads(Duration joinTimeout) {
        this.joinTimeout = joinTimeout;
    }

    /** Starts a daemon platform thread running {@code body}. */
    public Thread platform(String name, Body body) {
        return start(false, name, body);
    }

    /** Starts a virtual thread running {@code body}. */
    public Thread virtual(String name, Body body) {
        return start(true, name, body);
    }

    /** Starts a virtual or a daemon platform thread running {@code body}. */
    public Thread start(boolean virtual, String name, Body body) {
        String fullName = name + "-" + NUMBERS.incrementAndGet();
        Runnable task = () -> {
            try {
                body.run();
            } catch (Throwable t) {
                failures.add(new Failure(fullName, t));
            }
        };
        Thread t = virtual
                ? Thread.ofVirtual().name(fullName).unstarted(task)
                : Thread.ofPlatform().daemon().name(fullName).unstarted(task);
        threads.add(t);
        t.start();
        return t;
    }

    /**
     * Starts a thread that runs {@code enter}, then waits until {@link Held#release()}, then runs {@code exit}.
     * Returns once {@code enter} has run (rethrowing its failure if it failed).
     */
    public Held hold(boolean virtual, String name, Body enter, Body exit) {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = start(virtual, name, () -> {
            enter.run();
            entered.countDown();
            await(release);
            exit.run();
        });
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try {
                if (entered.await(1, TimeUnit.MILLISECONDS)) {
                    return new Held(t, release);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted", e);
            }
            if (!t.isAlive()) {
                join();  // rethrows enter's failure
                throw new AssertionError("thread " + t.getName() + " ended before it was ready");
            }
            if (System.nanoTime() - deadline > 0) {
                dumpAllStacks("thread " + t.getName() + " did not get ready");
                throw new AssertionError("thread " + t.getName() + " did not get ready within " + WAIT);
            }
        }
    }

    /** A thread parked between its enter and exit actions. */
    public record Held(Thread thread, CountDownLatch releaseLatch) {
        public void release() {
            releaseLatch.countDown();
        }
    }

    /** Starts an agent: a thread that runs the actions given to {@link Agent#call} one at a time. */
    public Agent agent(boolean virtual, String name) {
        BlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
        Agent agent = new Agent(queue);
        agent.thread = start(virtual, name, () -> {
            while (true) {
                Runnable r = queue.take();
                if (r == Agent.STOP) {
                    return;
                }
                r.run();
            }
        });
        return agent;
    }

    /**
     * Starts a platform agent whose thread id is congruent to {@code other}'s modulo {@code slots}, so that the two
     * share a slot of a table indexed by thread id: ids are burned until the next one is (another thread may take
     * it first, so this tries up to 10 times).
     */
    public Agent agentSharingSlotWith(Thread other, int slots) {
        for (int attempt = 0; attempt < 10; attempt++) {
            while ((Thread.ofPlatform().unstarted(() -> { }).threadId() + 1 - other.threadId()) % slots != 0) {
                // burn an id: ids come from one counter
            }
            Agent agent = agent(false, "same-slot");
            if ((agent.thread().threadId() - other.threadId()) % slots == 0) {
                return agent;
            }
            agent.close();
        }
        throw new AssertionError("no thread with an id congruent to " + other.threadId() + " in 10 attempts");
    }

    /**
     * A thread that runs actions on request, so that a test can drive a second thread step by step (register it,
     * make it quiescent, ...). {@link #call} waits for the action and rethrows what it threw.
     */
    public static final class Agent implements AutoCloseable {
        public static final Runnable STOP = () -> {
        };
        private final BlockingQueue<Runnable> queue;
        Thread thread;

        private Agent(BlockingQueue<Runnable> queue) {
            this.queue = queue;
        }

        public Thread thread() {
            return thread;
        }

        /** Runs {@code action} on the agent and returns its result, failing if it takes longer than {@code max}. */
        public <T> T call(Duration max, Callable<T> action) throws Exception {
            CompletableFuture<T> result = new CompletableFuture<>();
            queue.add(() -> {
                try {
                    result.complete(action.call());
                } catch (Throwable t) {
                    result.completeExceptionally(t);
                }
            });
            try {
                return result.get(max.toNanos(), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Exception ex) {
                    throw ex;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw e;
            } catch (TimeoutException e) {
                dumpAllStacks("agent " + thread.getName() + " did not finish an action");
                throw new AssertionError("agent " + thread.getName() + " did not finish its action within " + max
                        + " (hung?)", e);
            }
        }

        public <T> T call(Callable<T> action) throws Exception {
            return call(WAIT, action);
        }

        public void run(Body action) throws Exception {
            call(() -> {
                try {
                    action.run();
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new RuntimeException(t);
                }
                return null;
            });
        }

        /** Runs {@code action} on the agent and returns what it threw (fails if it threw nothing). */
        public Throwable thrown(Body action) throws Exception {
            return call(() -> {
                try {
                    action.run();
                } catch (Throwable t) {
                    return t;
                }
                throw new AssertionError("expected an exception on " + Thread.currentThread().getName());
            });
        }

        /** Lets the agent's thread end (after the actions already queued). */
        @Override
        public void close() {
            queue.add(STOP);
        }

        /** Stops the agent and waits until its thread has ended (failing after {@link #WAIT}). */
        public void end() throws InterruptedException {
            close();
            thread.join(WAIT.toMillis());
            if (thread.isAlive()) {
                throw new AssertionError("agent '" + thread.getName() + "' still alive after " + WAIT);
            }
        }
    }

    /** Joins every thread started so far and rethrows the first failure. */
    public void join() {
        long deadline = System.nanoTime() + joinTimeout.toNanos();
        List<Thread> hung = new ArrayList<>();
        for (Thread t : threads) {
            long remaining = deadline - System.nanoTime();
            try {
                if (remaining <= 0 || !t.join(Duration.ofNanos(remaining))) {
                    hung.add(t);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while joining " + t.getName(), e);
            }
        }
        AssertionError error = null;
        if (!hung.isEmpty()) {
            StringBuilder names = new StringBuilder();
            for (Thread t : hung) {
                names.append("\n\t").append(t.getName()).append(" (").append(t.getState()).append(")");
                for (StackTraceElement e : t.getStackTrace()) {
                    names.append("\n\t\tat ").append(e);
                }
            }
            dumpAllStacks(hung.size() + " test thread(s) did not finish");
            error = new AssertionError(hung.size() + " test thread(s) did not finish within " + joinTimeout + ":"
                    + names);
            threads.removeAll(hung);  // reported once
        }
        Failure first = failures.poll();
        if (first != null) {
            AssertionError failed = new AssertionError("test thread " + first.thread() + " failed: "
                    + first.error(), first.error());
            for (Failure f; (f = failures.poll()) != null; ) {
                failed.addSuppressed(f.error());
            }
            if (error != null) {
                failed.addSuppressed(error);
            }
            error = failed;
        }
        threads.removeIf(t -> !t.isAlive());
        if (error != null) {
            throw error;
        }
    }

    @Override
    public void close() {
        join();
    }

    // ------------------------------------------------------------------ waiting helpers (no sleeping)

    /** Awaits {@code latch}, failing after {@link #WAIT}. */
    public static void await(CountDownLatch latch) throws InterruptedException {
        if (!latch.await(WAIT.toNanos(), TimeUnit.NANOSECONDS)) {
            dumpAllStacks("latch not released");
            throw new AssertionError("latch not released within " + WAIT);
        }
    }

    /** Polls {@code condition} until it holds, failing (with a stack dump) after {@link #WAIT}. */
    public static void awaitCondition(String what, BooleanSupplier condition) {
        awaitCondition(what, WAIT, condition);
    }

    /** Polls {@code condition} until it holds, failing (with a stack dump) after {@code max}. */
    public static void awaitCondition(String what, Duration max, BooleanSupplier condition) {
        long deadline = System.nanoTime() + max.toNanos();
        int polls = 0;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                dumpAllStacks("condition never held: " + what);
                throw new AssertionError("condition never held within " + max + ": " + what);
            }
            if (++polls < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(200_000);
            }
        }
    }

    private static final Set<Thread.State> BLOCKED_STATES =
            Set.of(Thread.State.WAITING, Thread.State.TIMED_WAITING, Thread.State.BLOCKED);

    /**
     * Waits until {@code t} is observed blocked (WAITING, TIMED_WAITING or BLOCKED) with a frame of the jrcu method
     * {@code method} (of a library class, not a test class) on its stack: it is waiting inside that call. Fails if
     * the thread terminates first (it returned or threw) or after {@link #WAIT}.
     */
    public static void awaitBlockedIn(Thread t, String method) {
        awaitCondition(t.getName() + " blocked in " + method + "()", () -> {
            if (t.getState() == Thread.State.TERMINATED) {
                throw new AssertionError(t.getName() + " terminated instead of blocking in " + method + "()");
            }
            return isBlockedIn(t, method);
        });
    }

    /** Whether {@code t} is blocked now with a frame of the jrcu method {@code method} on its stack. */
    public static boolean isBlockedIn(Thread t, String method) {
        if (!BLOCKED_STATES.contains(t.getState())) {
            return false;
        }
        boolean inMethod = false;
        for (StackTraceElement e : t.getStackTrace()) {
            String cls = e.getClassName();
            if (cls.startsWith("io.jrcu.") && !cls.contains("Test") && e.getMethodName().equals(method)) {
                inMethod = true;
                break;
            }
        }
        return inMethod && BLOCKED_STATES.contains(t.getState());
    }

    /** Writes every platform thread's stack to stderr: what a hung test needs for diagnosis. */
    public static void dumpAllStacks(String why) {
        StringBuilder out = new StringBuilder("\n===== thread dump: ").append(why).append(" =====\n");
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            out.append('"').append(t.getName()).append("\" ").append(t.isDaemon() ? "daemon " : "")
                    .append(t.getState()).append('\n');
            for (StackTraceElement f : e.getValue()) {
                out.append("\tat ").append(f).append('\n');
            }
        }
        out.append("===== end of thread dump =====\n");
        System.err.print(out);
    }
}
