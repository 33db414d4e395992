package io.jrcu.tools.torture;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A torture reader: repeatedly, while protected by the domain, loads the current object, reads its age, lingers,
 * reads the age again and records the outcome in its own histogram. Subclasses say how the thread is protected
 * (a read section, or QSBR's online interval between quiescent states) and what it may do while lingering.
 */
abstract class TortureReader implements Runnable {
    /*
     * The check (rcutorture's reader, rcu_torture_one_read):
     *
     *   protected {                      read section, or QSBR: after the last quiescent state
     *     o = current.get()              acquire; pairs with the writer's getAndSet
     *     first = o.age                  opaque
     *     linger                         spin / yield / park / nested section (the subclass decides)
     *     last = o.age                   opaque
     *   }
     *   record max(first, last): 0, 1, >= 2, or FREED (poisoned, or last < first: reset for reuse)
     *
     * Why >= 2 is an error: the writer sets age 1 right after it replaces o (removal), then adds 1 after each grace
     * period it completes. This reader loaded o before the removal, so its protected interval began before any of
     * those grace periods began, and the RCU guarantee says such an interval ends before the first of them ends,
     * with all its accesses happening-before the end. So while protected it can see 0 or 1, never the 2 written
     * after the first grace period, let alone the poison written after the second. Seeing it means a grace period
     * ended while this reader was still inside: exactly the bug rcutorture exists to catch. Nothing but jrcu orders
     * the age accesses (they are opaque), so a too-short grace period cannot be hidden by stronger accesses here.
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
    private final OwnerCounters counts = new OwnerCounters(BUCKETS);
    /** Written once, by the owner; read only after the owner was joined. */
    private OracleError firstError;

    TortureReader(Torture torture, String name) {
        this.torture = torture;
        this.name = name;
    }

    /** Lingers inside the protected interval, between the two reads of the age. */
    abstract void linger(ThreadLocalRandom random);

    /** One observation; the caller is protected around it. */
    final void observe(ThreadLocalRandom random) {
        TortureObject o = torture.current.get(); // acquire; pairs with the writer's getAndSet (volatile)
        int first = o.loAge();
        linger(random);
        int last = o.loAge();
        record(o, first, last);
    }

    private void record(TortureObject o, int first, int last) {
        int bucket;
        if (first == TortureObject.FREED || last == TortureObject.FREED || last < first) {
            bucket = FREED;
        } else if (last >= 2) {
            bucket = AGE_2_OR_MORE;
        } else {
            bucket = last; // AGE_0 or AGE_1
        }
        counts.increment(bucket);
        if (bucket >= AGE_2_OR_MORE && firstError == null) {
            firstError = new OracleError(name, Duration.ofNanos(System.nanoTime() - torture.startNanos()), o.id,
                    first, last);
            torture.errorSeen();
        }
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
