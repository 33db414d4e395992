package io.jrcu.tools.torture;

import io.jrcu.Rcu;

import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;

/**
 * A torture writer (rcutorture's {@code rcu_torture_writer}): replaces the published object with a fresh one, waits
 * for a grace period, ages every object it removed, and frees those old enough.
 */
final class TortureWriter implements Runnable {
    /*
     * Loop:
     *   fresh = free pool.take(); fresh.age = 0          opaque; published by the getAndSet below
     *   old = current.getAndSet(fresh)                   volatile; pairs with the readers' acquire get()
     *   old.age = 1; removed.add(old)                    rcutorture's pipe count: bumped at removal
     *   wait for a grace period (the next GracePeriodPath in turn)
     *   for o in removed: o.age += 1                     ordered after the readers' sections by the grace period
     *   while removed.first.age >= AGE_LIMIT:            (the oldest are first)
     *     o.age = FREED; free pool.put(o)                poison, then reuse
     *
     * An object belongs to exactly one writer between its removal and its return to the free pool (getAndSet hands
     * each old object to exactly one caller), so its age has one writer at a time; the free pool (a concurrent
     * queue) orders one owner's last store before the next owner's first. A removed list holds at most
     * AGE_LIMIT - 1 objects, so the pool never runs dry (Torture sizes it).
     */

    private static final GracePeriodPath[] PATHS = GracePeriodPath.values();
    private static final int UPDATES = PATHS.length; // counter index after the per-path grace-period counters

    private final Torture torture;
    private final Rcu rcu;
    private final ArrayDeque<TortureObject> removed = new ArrayDeque<>();
    private final OwnerCounters counts = new OwnerCounters(PATHS.length + 1);
    private int nextPath;

    /** {@code firstPath}: writers start at different paths so that concurrent writers mix them. */
    TortureWriter(Torture torture, Rcu rcu, int firstPath) {
        this.torture = torture;
        this.rcu = rcu;
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

            GracePeriodPath path = PATHS[nextPath];
            nextPath = (nextPath + 1) % PATHS.length;
            path.awaitGracePeriod(rcu);
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
