package io.jrcu.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The background writer of the maps' "reader + writer" cases: a daemon thread that makes {@code writesPerSecond}
 * writes a second in batches of {@code batch}, parked between batches; a writer that falls behind (a slow map) goes
 * on from now instead of bursting to catch up. Each write gets the writer's random generator (seeded 7) and a
 * generation that counts up from 1.
 *
 * <pre>{@code
 * writer = new PacedWriter("map-writer", 100_000, 100, (random, generation) -> map.put(random.nextInt(n), generation));
 * ...
 * writer.close();
 * }</pre>
 */
final class PacedWriter implements AutoCloseable {
    /** One write of the map under test, on the writer thread. */
    interface Write {
        void write(SplittableRandom random, long generation);
    }

    private final Thread thread;
    /** Set by close(); volatile: the writer's loop reads it after each batch. */
    private volatile boolean stop;

    PacedWriter(String name, int writesPerSecond, int batch, Write write) {
        long period = TimeUnit.SECONDS.toNanos(1) * batch / writesPerSecond;
        thread = new Thread(() -> {
            SplittableRandom random = new SplittableRandom(7);
            long next = System.nanoTime();
            long generation = 1;
            while (!stop) {
                for (int i = 0; i < batch; i++) {
                    write.write(random, generation++);
                }
                next += period;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                } else {
                    next = System.nanoTime();
                }
            }
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stops the writer and waits for its last batch. */
    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join();
    }
}
