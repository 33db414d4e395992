package io.jrcu;

import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Body;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the suites of the library's reclamation machinery share (DeferQueue, RcuArena): a domain of the flavor under
 * test whose error handler is recorded, and a {@link Reader} that holds up grace periods on its own thread until it
 * reports or leaves. The flavor fixture ({@link TestFlavor#startBlocking}, {@link TestFlavor#report}) says what
 * "holding up" and "reporting" are (memb and bulletProof: a read section; QSBR: being online without reporting).
 */
public abstract class BlockingReaderSupport extends DomainTestSupport {

    /** The flavor under test (a suite's {@code @Parameter}). */
    protected abstract TestFlavor flavor();

    /** On the reader's thread: stop being a reader at all (close any section, unregister; QSBR: offline). */
    public static void leave(Rcu rcu) {
        while (rcu.inReadSection()) {
            rcu.readUnlock();
        }
        rcu.unregisterThread();
    }

    /** What reached the error handler of the domains built by {@link #domain()}. */
    public final ConcurrentLinkedQueue<Throwable> domainErrors = new ConcurrentLinkedQueue<>();

    /** A domain of the flavor under test whose error handler records into {@link #domainErrors}; closed after it. */
    public final Rcu domain() {
        return track(flavor().build(b -> b.errorHandler(domainErrors::add)));
    }

    /** A reader that blocks grace periods, on its own thread; {@link #close()} makes it leave. */
    public final class Reader implements AutoCloseable {
        private final Rcu rcu;
        private final Agent agent;
        private boolean gone;

        public Reader(TestThreads threads, Rcu rcu) throws Exception {
            this.rcu = rcu;
            this.agent = threads.agent(false, "reader");
            try {
                agent.run(() -> flavor().startBlocking(rcu));
            } catch (Exception | Error e) {
                agent.close();
                gone = true;
                throw e;
            }
        }

        /** Runs {@code body} on the reader's thread (inside its section, for memb and bulletProof). */
        public void run(Body body) throws Exception {
            agent.run(body);
        }

        /** Reports (memb/bulletProof: leaves its section; QSBR: one quiescent state); it stays a reader. */
        public void report() throws Exception {
            agent.run(() -> flavor().report(rcu));
        }

        /** Stops being a reader; idempotent. */
        public void leave() throws Exception {
            if (gone) {
                return;
            }
            gone = true;
            try {
                agent.run(() -> BlockingReaderSupport.leave(rcu));
            } finally {
                agent.close();
            }
        }

        @Override
        public void close() throws Exception {
            leave();
        }
    }

    public static void unchecked(Body body) {
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new RuntimeException(t);
        }
    }
}
