package io.jrcu.tools.torture;

import io.jrcu.RcuReference;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The observation of the object modes ({@code sync}, {@code call}, {@code retire}, {@code defer}): the age of the
 * published {@link TortureObject}, read at the start and the end of a protected interval.
 */
final class AgeCheck implements ReadCheck {
    /*
     * The check (rcutorture's reader, rcu_torture_one_read):
     *
     *   protected {                      read section, or QSBR: after the last quiescent state
     *     o = current.get()              acquire; pairs with the writer's getAndSet
     *     first = o.age                  opaque
     *     linger                         spin / yield / park / nested section (the reader decides)
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
     */

    private final RcuReference<TortureObject> current;

    AgeCheck(RcuReference<TortureObject> current) {
        this.current = current;
    }

    @Override
    public void observe(TortureReader reader, ThreadLocalRandom random) {
        TortureObject o = current.get(); // acquire; pairs with the writer's getAndSet (volatile)
        int first = o.loAge();
        reader.linger(random);
        int last = o.loAge();
        if (first == TortureObject.FREED || last == TortureObject.FREED || last < first) {
            reader.recordError(TortureReader.FREED, new OracleError.Age(reader.name, reader.sinceStart(), o.id,
                    first, last));
        } else if (last >= 2) {
            reader.recordError(TortureReader.AGE_2_OR_MORE, new OracleError.Age(reader.name, reader.sinceStart(),
                    o.id, first, last));
        } else {
            reader.record(last); // AGE_0 or AGE_1
        }
    }
}
