package io.jrcu;

import io.jrcu.internal.Faults;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVM of {@link DeferAllocationTest}: counts the bytes the main thread (a platform thread) allocates over
 * {@value #DEFERS} calls of {@link Rcu#defer} per flavor, full batches and their grace periods included, and exits 0
 * only if {@code defer} allocates nothing of its own: with a callback object the caller keeps, zero bytes; with a
 * fresh capturing lambda per call, no more than the same lambdas cost without {@code defer}. Meant to run with
 * {@code -XX:-DoEscapeAnalysis} (checked by {@link ThreadAllocation}, which counts).
 *
 * <p>The domains' own threads are stopped ({@link Faults.Fault#NO_DOMAIN_THREAD}): the caller runs every
 * grace period its full batches wait for itself, so the count is the caller's path alone, not what it costs to
 * queue behind another thread's grace period. The {@code defer} call sites see all three flavors.
 *
 * <p>The JVM itself now and then allocates a few hundred bytes on the measuring thread, with or without
 * {@code defer} in the window (seen with a window that only spins). Most of it is the JVM's, once per class: the
 * thread whose call asks C2 to compile a method first resolves every string constant of that method's class, a
 * {@code String} and its bytes each (seen with JFR's allocation events under {@code -XX:-UseTLAB}: about 1 KB at
 * the entry of {@code TokenTable.firstOpen}, never with C1 alone). On a loaded machine C2 compiles late, so such
 * requests fall into the measured windows, up to three in a row for one flavor. So each measurement takes the best
 * of up to {@value #ATTEMPTS} windows: an allocation of {@code defer}'s own, per call or per batch
 * ({@value #DEFERS} calls are 200 batches), shows in every window.
 */
public final class DeferAllocationProbe {

    static final int DEFERS = 200 * DeferBatches.CAPACITY;
    static final int WARMUP_ROUNDS = 20;
    static final int WARMUP_DEFERS = 20 * DeferBatches.CAPACITY;
    static final int ATTEMPTS = 10;

    /** How many deferred callbacks ran, on whatever thread. */
    static final AtomicLong RUNS = new AtomicLong();
    /** The callback object the caller keeps. */
    static final Runnable KEPT = RUNS::incrementAndGet;
    /** Keeps the lambdas of the comparison loop from being removed. */
    static volatile Runnable lastLambda;

    public static void main(String[] args) throws Throwable {
        ThreadAllocation counter = ThreadAllocation.start();
        Rcu[] flavors = {Rcu.memb(), Rcu.qsbr(), Rcu.bulletProof()};
        for (Rcu rcu : flavors) {
            Faults.inject(rcu, Faults.Fault.NO_DOMAIN_THREAD, true);
        }
        long deferred = 0;
        for (int round = 0; round < WARMUP_ROUNDS; round++) {
            for (Rcu rcu : flavors) {
                deferKept(rcu, WARMUP_DEFERS);
                deferLambdas(rcu, WARMUP_DEFERS);
                lambdas(WARMUP_DEFERS);
                deferred += 2L * WARMUP_DEFERS;
            }
        }
        boolean ok = counter.calibrate();

        for (Rcu rcu : flavors) {
            List<Long> windows = new ArrayList<>();
            boolean pass = false;
            for (int attempt = 0; attempt < ATTEMPTS && !pass; attempt++) {
                long start = counter.bytes();
                deferKept(rcu, DEFERS);
                long bytes = counter.bytes() - start - counter.overhead;
                deferred += DEFERS;
                windows.add(bytes);
                pass = bytes <= 0;
            }
            ok &= pass;
            System.out.printf("%-4s %-14s %-36s %,d calls: %s bytes%n", pass ? "ok" : "FAIL",
                    rcu.getClass().getSimpleName(), "defer(kept callback)", DEFERS, windows);
        }
        for (Rcu rcu : flavors) {
            List<String> windows = new ArrayList<>();
            boolean pass = false;
            for (int attempt = 0; attempt < ATTEMPTS && !pass; attempt++) {
                long start = counter.bytes();
                lambdas(DEFERS);
                long lambdaBytes = counter.bytes() - start - counter.overhead;
                start = counter.bytes();
                deferLambdas(rcu, DEFERS);
                long bytes = counter.bytes() - start - counter.overhead;
                deferred += DEFERS;
                windows.add(bytes + " (the lambdas alone: " + lambdaBytes + ")");
                pass = bytes <= lambdaBytes;
            }
            ok &= pass;
            System.out.printf("%-4s %-14s %-36s %,d calls: %s bytes%n", pass ? "ok" : "FAIL",
                    rcu.getClass().getSimpleName(), "defer(fresh capturing lambda)", DEFERS, windows);
        }

        for (Rcu rcu : flavors) {
            rcu.barrier();
            rcu.close();
        }
        if (RUNS.get() != deferred) {
            ok = false;
            System.out.println("FAIL: " + deferred + " callbacks deferred, " + RUNS.get() + " ran");
        }
        System.out.println(ok ? "PASS" : "FAIL");
        System.exit(ok ? 0 : 1);
    }

    static void deferKept(Rcu rcu, int n) {
        for (int i = 0; i < n; i++) {
            rcu.defer(KEPT);
        }
    }

    static void deferLambdas(Rcu rcu, int n) {
        for (int i = 0; i < n; i++) {
            int id = i;
            rcu.defer(() -> RUNS.addAndGet(id >= 0 ? 1 : 0));
        }
    }

    /** The lambdas of {@link #deferLambdas} without the defer: what the caller's own objects cost. */
    static void lambdas(int n) {
        for (int i = 0; i < n; i++) {
            int id = i;
            lastLambda = () -> RUNS.addAndGet(id >= 0 ? 1 : 0);
        }
    }
}
