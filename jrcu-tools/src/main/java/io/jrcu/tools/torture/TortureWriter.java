package io.jrcu.tools.torture;

import io.jrcu.Rcu;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;

/**
 * A torture writer (rcutorture's {@code rcu_torture_writer}): replaces the published object with a fresh one, waits
 * for a grace period, ages every object it removed, and frees those old enough. In {@code misuse} mode every wait is
 * bounded: a grace period that does not end within {@link #STALL_LIMIT} is a stalled domain, and the writer fails.
 */
final class TortureWriter implements Runnable {
    /*
     * Loop:
     *   fresh = free pool.take(); fresh.age = 0          opaque; published by the getAndSet below
     *   old = current.getAndSet(fresh)                   volatile; pairs with the readers' acquire get()
     *   old.age = 1; removed.add(old)                    rcutorture's pipe count: bumped at removal
     *   wait for a grace period (the next GracePeriodPath in turn; misuse mode: startPoll() + await(cookie,
     *                            STALL_LIMIT), and a timeout fails the writer: the domain stalled)
     *   for o in removed: o.age += 1                     ordered after the readers' sections by the grace period
     *   while removed.first.age >= AGE_LIMIT:            (the oldest are first)
     *     o.age = FREED; free pool.put(o)                poison, then reuse
     *
     * An object belongs to exactly one writer between its removal and its return to the free pool (getAndSet hands
     * each old object to exactly one caller), so its age has one writer at a time; the free pool (a concurrent
     * queue) orders one owner's last store before the next owner's first. A removed list holds at most
     * AGE_LIMIT - 1 objects, so the pool never runs dry (Torture sizes it).
     */

    /**
     * Misuse mode: the longest a grace period may take before the domain counts as stalled. Far above what a grace
     * period takes in a torture run on 2 busy cores (readers park in sections for at most a millisecond; a virtual
     * reader unparked inside one may wait a few hundred milliseconds for a carrier).
     */
    static final Duration STALL_LIMIT = Duration.ofSeconds(10);

    private static final GracePeriodPath[] PATHS = GracePeriodPath.values();
    private static final int UPDATES = PATHS.length; // counter index after the per-path grace-period counters

    private final Torture torture;
    private final Rcu rcu;
    private final ArrayDeque<TortureObject> removed = new ArrayDeque<>();
    private final OwnerCounters counts = new OwnerCounters(PATHS.length + 1);
    /** Whether each wait is bounded by STALL_LIMIT (misuse mode). */
    private final boolean bounded;
    private int nextPath;

    /**
     * {@code firstPath}: writers start at different paths so that concurrent writers mix them. {@code bounded}: each
     * wait is {@code startPoll()} and {@code await(cookie, STALL_LIMIT)}, and a timeout is a failure.
     */
    TortureWriter(Torture torture, Rcu rcu, int firstPath, boolean bounded) {
        this.torture = torture;
        this.rcu = rcu;
        this.bounded = bounded;
        this.nextPath = firstPath % PATHS.length;
    }

    @Override
    public void run() {
        while (!torture.stopping()) {
            TortureObject fresh = torture.takeFree();
            fresh.soAge(0);                                       // opaque; published by the getAndSet below
            TortureObject old = torture.current.getAndSet(fresh); // volatile; pairs with the readers' acquire get()
            old.soAge(1);                                          // opaque; see TortureObject
            removed.addLast(old);

            GracePeriodPath path;
            if (bounded) {
                path = awaitBounded(rcu, STALL_LIMIT);
            } else {
                path = PATHS[nextPath];
                nextPath = (nextPath + 1) % PATHS.length;
                path.awaitGracePeriod(rcu);
            }
            counts.increment(path.ordinal());

            for (TortureObject o : removed) {
                o.soAge(o.loAge() + 1);
            }
            while (!removed.isEmpty() && removed.peekFirst().loAge() >= Torture.AGE_LIMIT) {
                TortureObject o = removed.pollFirst();
                o.soAge(TortureObject.FREED);
                torture.free(o);
            }
            counts.increment(UPDATES);
        }
    }

    /**
     * Waits for a grace period of {@code rcu} started now, at most {@code limit}; returns the path it took.
     *
     * @throws IllegalStateException if the grace period did not end in time: the domain stalled
     */
    static GracePeriodPath awaitBounded(Rcu rcu, Duration limit) {
        long cookie = rcu.startPoll();
        if (!rcu.await(cookie, limit)) {
            throw new IllegalStateException("the domain stalled: the grace period of cookie " + cookie
                    + " did not end within " + limit.toMillis() + " ms (" + rcu + ")");
        }
        return GracePeriodPath.START_POLL_AWAIT_TIMED;
    }

    /** Objects replaced and aged through a grace period so far. */
    long updates() {
        return counts.get(UPDATES);
    }

    /** Grace periods waited for so far, by path. */
    Map<GracePeriodPath, Long> gracePeriodsByPath() {
        Map<GracePeriodPath, Long> m = new EnumMap<>(GracePeriodPath.class);
        for (GracePeriodPath p : PATHS) {
            m.put(p, counts.get(p.ordinal()));
        }
        return m;
    }

    /** Total of {@link #gracePeriodsByPath()}. */
    long gracePeriods() {
        long sum = 0;
        for (GracePeriodPath p : PATHS) {
            sum += counts.get(p.ordinal());
        }
        return sum;
    }
}
