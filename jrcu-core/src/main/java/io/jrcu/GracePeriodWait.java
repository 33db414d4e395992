package io.jrcu;

import java.util.concurrent.locks.LockSupport;

/**
 * How the thread running a grace period waits for readers: spin briefly, yield a little, then park with a timeout
 * that doubles up to {@link #MAX_PARK_NANOS}; readers that see their record marked "waiting" unpark it early. Also
 * keeps the deadline of a timed caller, the schedule of stall reports, and interrupts (cleared while waiting so that
 * parking keeps working, re-asserted at {@link #end()}).
 *
 * <p>Used only by the holder of the domain's grace-period lock, one grace period at a time
 * ({@link GracePeriodSequence#runUntil}, through the flavor's {@code awaitReaders}): no synchronization.
 */
final class GracePeriodWait {
    static final int SPINS = 128;
    static final int YIELDS = 16;
    static final long MIN_PARK_NANOS = 20_000;
    /** Bounds the cost of a wake-up a reader missed (memb's unlock has no fence; see MembRcu). */
    static final long MAX_PARK_NANOS = 1_000_000;
    /** bulletProof scans its thread records for dead owners first after this long, then with backoff. */
    static final long FIRST_DEAD_THREAD_SCAN_NANOS = 50_000_000;

    private final GracePeriodSequence<?> domain;
    private long gp;
    private long deadline;
    private long startNanos;
    private long nextStallReport;
    private long stallInterval;
    private long nextDeadThreadScan;
    private long deadThreadScanInterval;
    private long parkNanos;
    private int step;
    private boolean interrupted;

    GracePeriodWait(GracePeriodSequence<?> domain) {
        this.domain = domain;
    }

    void begin(long gp, long deadline) {
        this.gp = gp;
        this.deadline = deadline;
        this.startNanos = System.nanoTime();
        this.stallInterval = domain.stallTimeoutNanos;
        this.nextStallReport = saturatedAdd(startNanos, stallInterval);
        this.deadThreadScanInterval = Math.min(FIRST_DEAD_THREAD_SCAN_NANOS, domain.stallTimeoutNanos);
        this.nextDeadThreadScan = saturatedAdd(startNanos, deadThreadScanInterval);
        this.parkNanos = MIN_PARK_NANOS;
        this.step = 0;
    }

    void end() {
        if (interrupted) {
            interrupted = false;
            Thread.currentThread().interrupt();
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }

    /** Whether the next {@link #pause()} parks: the caller marks what it waits for as "waiting" first. */
    boolean parksNext() {
        return step >= SPINS + YIELDS;
    }

    /** Whether spinning is over (flavors then look for dead reader threads). */
    boolean pastSpinning() {
        return step >= SPINS;
    }

    /**
     * One step of waiting.
     *
     * @return {@code false} when the deadline has passed
     */
    boolean pause() {
        if (deadline == GracePeriodSequence.NO_WAIT) {
            return false;   // a non-blocking attempt (tryAdvance): one look at the readers, no waiting
        }
        if (step < SPINS) {
            step++;
            Thread.onSpinWait();
            return true;
        }
        long now = System.nanoTime();
        if (deadline != GracePeriodSequence.NO_DEADLINE && now - deadline >= 0) {
            return false;
        }
        if (step < SPINS + YIELDS) {
            step++;
            Thread.yield();
        } else {
            long nanos = parkNanos;
            if (deadline != GracePeriodSequence.NO_DEADLINE) {
                nanos = Math.min(nanos, deadline - now);
            }
            LockSupport.parkNanos(this, nanos);
            parkNanos = Math.min(parkNanos * 2, MAX_PARK_NANOS);
            if (Thread.interrupted()) {
                interrupted = true;
            }
            now = System.nanoTime();
        }
        if (now - nextStallReport >= 0) {
            domain.reportStall(gp, now - startNanos);
            stallInterval = Math.min(stallInterval * 2, Long.MAX_VALUE / 4);
            nextStallReport = saturatedAdd(now, stallInterval);
        }
        return true;
    }

    /** Whether it is time for an O(threads) scan for readers that died inside a section (bulletProof). */
    boolean deadThreadScanDue() {
        if (step < SPINS) {
            return false;
        }
        long now = System.nanoTime();
        if (now - nextDeadThreadScan < 0) {
            return false;
        }
        deadThreadScanInterval = Math.min(deadThreadScanInterval * 2, domain.stallTimeoutNanos);
        nextDeadThreadScan = saturatedAdd(now, deadThreadScanInterval);
        return true;
    }
}
