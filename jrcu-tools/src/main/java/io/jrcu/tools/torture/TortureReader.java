package io.jrcu.tools.torture;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A torture reader: repeatedly, while protected by the domain, makes an observation through its {@link ReadCheck}
 * (the age of the current object, or every byte of an arena segment) and records the outcome in its own histogram.
 * Subclasses say how the thread is protected (a read section, or QSBR's online interval between quiescent states)
 * and what it may do while lingering.
 */
abstract class TortureReader implements Runnable {
    /*
     * One observation: the ReadCheck loads the shared data, reads it, calls linger(), reads it again, and
     * records the outcome in this reader's histogram; the first error is kept with its details.
     *
     * Lingering decides how well the oracle catches a broken domain: most observations spin a few hundred
     * nanoseconds, some yield the processor (the reader loses its CPU mid-section, to the writer among others), a
     * few linger tens to hundreds of microseconds (parked where the flavor allows blocking), long enough for a
     * broken writer to replace, age and free the object several times.
     */

    /** Histogram buckets, counted in {@link OwnerCounters}. */
    static final int AGE_0 = 0, AGE_1 = 1, AGE_2_OR_MORE = 2, FREED = 3, BUCKETS = 4;

    /** Out of 1024 observations: how many linger long, how many yield; the rest spin briefly. */
    static final int LONG_LINGER_IN_1024 = 4;
    static final int YIELD_IN_1024 = 32;
    static final long LONG_LINGER_MIN_NANOS = 20_000;
    static final long LONG_LINGER_MAX_NANOS = 200_000;
    static final int MAX_SHORT_SPINS = 32;

    final Torture torture;
    final String name;
    private final ReadCheck check;
    private final OwnerCounters counts = new OwnerCounters(BUCKETS);
    /** Written once, by the owner; read only after the owner was joined. */
    private OracleError firstError;

    TortureReader(Torture torture, ReadCheck check, String name) {
        this.torture = torture;
        this.check = check;
        this.name = name;
    }

    /** Lingers inside the protected interval, between the first and the last read of an observation. */
    abstract void linger(ThreadLocalRandom random);

    /** One observation; the caller is protected around it. */
    final void observe(ThreadLocalRandom random) {
        check.observe(this, random);
    }

    /** Counts an observation that found nothing wrong, in {@code bucket} ({@link #AGE_0} or {@link #AGE_1}). */
    final void record(int bucket) {
        counts.increment(bucket);
    }

    /**
     * Counts an observation that proves a grace period too short, in {@code bucket} ({@link #AGE_2_OR_MORE} or
     * {@link #FREED}), and keeps {@code error} if it is this reader's first.
     */
    final void recordError(int bucket, OracleError error) {
        counts.increment(bucket);
        if (firstError == null) {
            firstError = error;
            torture.errorSeen();
        }
    }

    /** Time since the start of the run. */
    Duration sinceStart() {
        return Duration.ofNanos(System.nanoTime() - torture.startNanos());
    }

    /** The histogram so far (exact once this reader was joined). */
    final AgeHistogram histogram() {
        return new AgeHistogram(counts.get(AGE_0), counts.get(AGE_1), counts.get(AGE_2_OR_MORE), counts.get(FREED));
    }

    /** This reader's first error, or null. */
    final OracleError firstError() {
        return firstError;
    }

    /** One linger: mostly a short spin, sometimes a yield, rarely a long wait (a park if {@code mayPark}). */
    static void lingerOnce(ThreadLocalRandom random, boolean mayPark) {
        int dice = random.nextInt(1024);
        if (dice < LONG_LINGER_IN_1024) {
            long nanos = random.nextLong(LONG_LINGER_MIN_NANOS, LONG_LINGER_MAX_NANOS);
            if (mayPark) {
                LockSupport.parkNanos(nanos);  // blocked inside the section: the grace period must wait
            } else {
                spinFor(nanos);
            }
        } else if (dice < LONG_LINGER_IN_1024 + YIELD_IN_1024) {
            Thread.yield();
        } else {
            for (int i = random.nextInt(MAX_SHORT_SPINS); i > 0; i--) {
                Thread.onSpinWait();
            }
        }
    }

    private static void spinFor(long nanos) {
        long start = System.nanoTime();
        while (System.nanoTime() - start < nanos) {
            Thread.onSpinWait();
        }
    }
}
