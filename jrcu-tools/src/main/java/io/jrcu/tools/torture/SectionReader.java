package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.ReadSection;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A memb or bulletProof reader, on a platform or a virtual thread: each observation inside one {@code read()}
 * section. Sections may block, so this reader sometimes parks inside one (a virtual thread then unmounts from its
 * carrier, and the grace period must still wait for it); some observations linger in a nested section, so that
 * closing an inner section must not end the protection of the outer one.
 */
final class SectionReader extends TortureReader {
    /*
     * Loop (see AgeCheck and SegmentCheck for what an observation checks):
     *   while not stopping:
     *     try (outer = reader.read()) { observe }      linger = [nested { linger }] linger
     *     virtual readers: sometimes yield or park between sections
     * Platform readers park in half of their long lingers and spin in the other half; virtual readers always park.
     */

    /** Out of 1024 gaps between a virtual reader's sections: how many park, how many yield. */
    private static final int PARK_OUTSIDE_IN_1024 = 256;
    private static final long PARK_OUTSIDE_MIN_NANOS = 100_000;
    private static final long PARK_OUTSIDE_MAX_NANOS = 1_000_000;
    private static final int YIELD_OUTSIDE_IN_1024 = 256;
    /** Out of 16 lingers, how many open a nested section first. */
    private static final int NESTED_IN_16 = 2;

    private final Rcu rcu;
    private final boolean virtual;
    /** The owner's handle; set by the owner at the start of run(). */
    private RcuReader reader;

    SectionReader(Torture torture, ReadCheck check, Rcu rcu, String name, boolean virtual) {
        super(torture, check, name);
        this.rcu = rcu;
        this.virtual = virtual;
    }

    @Override
    public void run() {
        reader = rcu.reader(); // memb registers the thread here; bulletProof just makes its record
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (!torture.stopping()) {
            try (ReadSection _ = reader.read()) {
                observe(random);
            }
            if (virtual) {
                pauseOutsideSection(random);
            }
        }
    }

    /**
     * A virtual reader gives up its carrier between sections too, often parked for a while, as an idle server
     * thread does between requests. Without this every unmounted virtual reader would be one that yielded or parked
     * inside a section, and with a thousand of them always runnable, a reader unparked inside its section waits
     * tens to hundreds of milliseconds for a carrier (measured on 2 cores): every grace period would wait that long.
     */
    private static void pauseOutsideSection(ThreadLocalRandom random) {
        int dice = random.nextInt(1024);
        if (dice < PARK_OUTSIDE_IN_1024) {
            LockSupport.parkNanos(random.nextLong(PARK_OUTSIDE_MIN_NANOS, PARK_OUTSIDE_MAX_NANOS));
        } else if (dice < PARK_OUTSIDE_IN_1024 + YIELD_OUTSIDE_IN_1024) {
            Thread.yield();
        }
    }

    @Override
    void linger(ThreadLocalRandom random) {
        if (random.nextInt(16) < NESTED_IN_16) {
            try (ReadSection _ = reader.read()) {
                lingerOnce(random, mayPark(random));
            }
        }
        lingerOnce(random, mayPark(random));
    }

    private boolean mayPark(ThreadLocalRandom random) {
        return virtual || random.nextBoolean();
    }
}
