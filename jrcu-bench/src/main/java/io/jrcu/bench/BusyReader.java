package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.testkit.Flavor;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A background platform thread that reads continuously while a benchmark measures a writer-side operation: the "one
 * busy reader" of {@link GracePeriod}, {@link GracePeriodPeers}, {@link Reclamation}. It is not a JMH thread, so JMH's
 * iteration latch never holds it: a writer that waits for it (a grace period, an arena close's handshake, an
 * {@code OpOrder} barrier) always finds it making progress, and tear-down stops it with {@link #close()}.
 *
 * <p>A jrcu reader ({@link #jrcu}) runs batches of {@value #BATCH} read sections through its flavor's kept handle
 * ({@link BenchReaders#readSections(RcuReader, int, LongSupplier)}: a QSBR reader is online for the batch and reports a
 * quiescent state every 64 sections), and unregisters when stopped. A peer reader ({@link #peer}) runs its own
 * protocol in the body (an {@code OpOrder} group, a shared-arena segment access).
 */
final class BusyReader implements AutoCloseable {
    /** Read sections between two checks of the stop flag (about 10–100 µs of reading). */
    static final int BATCH = 4096;

    private final Thread thread;
    private final CountDownLatch started = new CountDownLatch(1);
    /** Set by {@link #close()}; read by the reader between batches. Volatile: the stop request must be seen. */
    private volatile boolean stopping;
    /**
     * What the reader's reads summed to, stored when it stops: a value that depends on every read, so the JIT
     * cannot drop the reads' loads (a volatile store is a side effect it must keep). Nobody needs to read it.
     */
    @SuppressWarnings("unused")
    private volatile long checksum;
    private volatile Throwable failure;

    private BusyReader(String name, Batch batch) {
        thread = Thread.ofPlatform().name(name).daemon().unstarted(() -> run(batch));
    }

    /** What the reader thread does: {@code setUp}, batches until stopped, then {@code tearDown}. */
    private interface Batch {
        void setUp();

        long run();

        void tearDown();
    }

    /**
     * Starts a jrcu reader of {@code rcu} whose sections each run {@code body}; returns once it is registered and
     * reading.
     */
    static BusyReader jrcu(Rcu rcu, LongSupplier body) {
        return start("busy-reader-" + Flavor.of(rcu), new Batch() {
            private RcuReader handle;

            @Override
            public void setUp() {
                handle = BenchReaders.register(rcu);
            }

            @Override
            public long run() {
                return BenchReaders.readSections(handle, BATCH, body);
            }

            @Override
            public void tearDown() {
                BenchReaders.unregister(rcu);
            }
        });
    }

    /** Starts a reader that runs {@code read} (a whole read, with the peer's own protection) back to back. */
    static BusyReader peer(String name, LongSupplier read) {
        return start("busy-reader-" + name, new Batch() {
            @Override
            public void setUp() {
            }

            @Override
            public long run() {
                long sum = 0;
                for (int i = 0; i < BATCH; i++) {
                    sum += read.getAsLong();
                }
                return sum;
            }

            @Override
            public void tearDown() {
            }
        });
    }

    private static BusyReader start(String name, Batch batch) {
        BusyReader reader = new BusyReader(name, batch);
        reader.thread.start();
        try {
            if (!reader.started.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " did not start within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + name, e);
        }
        reader.rethrowFailure();
        return reader;
    }

    private void run(Batch batch) {
        long sum = 0;
        try {
            batch.setUp();
            try {
                sum += batch.run();   // one batch before the benchmark starts: the reader is really reading
                started.countDown();
                while (!stopping) {
                    sum += batch.run();
                }
            } finally {
                batch.tearDown();
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            checksum = sum;
            started.countDown();
        }
    }

    private void rethrowFailure() {
        Throwable t = failure;
        if (t != null) {
            throw new IllegalStateException(thread.getName() + " failed", t);
        }
    }

    /**
     * Stops the reader and waits for it to finish its batch and unregister; rethrows anything the reader threw.
     * Idempotent.
     */
    @Override
    public void close() {
        stopping = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(60));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping " + thread.getName(), e);
        }
        if (thread.isAlive()) {
            throw new IllegalStateException(thread.getName() + " did not stop within 60 s");
        }
        rethrowFailure();
    }
}
