package io.jrcu.tools.torture;

import io.jrcu.QsbrRcu;
import io.jrcu.ReadSection;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A QSBR reader (platform thread only): registered and online, it is protected from its last quiescent state on,
 * with or without a {@code read()} section. It makes a few observations, then reports a quiescent state; now and
 * then it goes offline, blocks briefly, and comes back online.
 */
final class QuiescentStateReader extends TortureReader {
    /*
     * Loop (see AgeCheck and SegmentCheck for what an observation checks):
     *   registerThread()                               online
     *   while not stopping:
     *     sometimes: offline(); park briefly; online()  extended quiescent state; online() is the store+fence path
     *     1-4 times: observe, half of them inside read()
     *     quiescent()                                  no reference held past this point
     *   unregisterThread()                             offline: grace periods stop waiting for this thread
     * The protected interval spans several observations; an online thread must not block, so lingers spin or
     * yield and never park (parking happens only offline).
     */

    private static final int OFFLINE_IN_256 = 1;
    private static final int MAX_OBSERVATIONS_PER_QUIESCENT_STATE = 4;
    private static final long OFFLINE_MAX_NANOS = 50_000;

    private final QsbrRcu rcu;

    QuiescentStateReader(Torture torture, ReadCheck check, QsbrRcu rcu, String name) {
        super(torture, check, name);
        this.rcu = rcu;
    }

    @Override
    public void run() {
        rcu.registerThread();
        try {
            QsbrRcu.Reader reader = rcu.reader();
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (!torture.stopping()) {
                if (random.nextInt(256) < OFFLINE_IN_256) {
                    reader.offline();
                    LockSupport.parkNanos(random.nextLong(1, OFFLINE_MAX_NANOS)); // blocked, legally: offline
                    reader.online();
                }
                for (int n = 1 + random.nextInt(MAX_OBSERVATIONS_PER_QUIESCENT_STATE); n > 0; n--) {
                    if (random.nextBoolean()) {
                        try (ReadSection _ = reader.read()) {
                            observe(random);
                        }
                    } else {
                        observe(random);
                    }
                }
                reader.quiescent();
            }
        } finally {
            rcu.unregisterThread();
        }
    }

    @Override
    void linger(ThreadLocalRandom random) {
        lingerOnce(random, false);
    }
}
