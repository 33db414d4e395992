package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;
import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Body;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the suites of the library's reclamation machinery share (DeferQueue, RcuArena): a domain of the flavor under
 * test whose error handler is recorded, and a {@link Reader} that holds up grace periods on its own thread until it
 * reports or leaves. The per-flavor subclasses say what "holding up", "reporting" and "leaving" are (memb and
 * bulletProof: a read section; QSBR: being online without reporting).
 */
abstract class BlockingReaderSupport extends DomainTestSupport {

    abstract Flavor flavor();

    /**
     * On the reader's thread: start holding up every grace period that begins from now on (memb/bulletProof: open a
     * section; QSBR: register, which brings the thread online, and report nothing).
     */
    void startBlocking(Rcu rcu) {
        rcu.readLock();
    }

    /**
     * On the reader's thread: report (memb/bulletProof: close the section, if open; QSBR: a quiescent state). Safe to
     * call again.
     */
    void report(Rcu rcu) {
        if (rcu.inReadSection()) {
            rcu.readUnlock();
        }
    }

    /** On the reader's thread: stop being a reader at all (close any section, unregister; QSBR: offline). */
    void leave(Rcu rcu) {
        while (rcu.inReadSection()) {
            rcu.readUnlock();
        }
        rcu.unregisterThread();
    }

    /** What reached the error handler of the domains built by {@link #domain()}. */
    final ConcurrentLinkedQueue<Throwable> domainErrors = new ConcurrentLinkedQueue<>();

    /** A domain of the flavor under test whose error handler records into {@link #domainErrors}; closed after it. */
    final Rcu domain() {
        return track(flavor().build(b -> b.errorHandler(domainErrors::add)));
    }

    /** A reader that blocks grace periods, on its own thread; {@link #close()} makes it leave. */
    final class Reader implements AutoCloseable {
        private final Rcu rcu;
        private final Agent agent;
        private boolean gone;

        Reader(TestThreads threads, Rcu rcu) throws Exception {
            this.rcu = rcu;
            this.agent = threads.agent(false, "reader");
            try {
                agent.run(() -> startBlocking(rcu));
            } catch (Exception | Error e) {
                agent.close();
                gone = true;
                throw e;
            }
        }

        /** Runs {@code body} on the reader's thread (inside its section, for memb and bulletProof). */
        void run(Body body) throws Exception {
            agent.run(body);
        }

        /** Reports (memb/bulletProof: leaves its section; QSBR: one quiescent state); it stays a reader. */
        void report() throws Exception {
            agent.run(() -> BlockingReaderSupport.this.report(rcu));
        }

        /** Stops being a reader; idempotent. */
        void leave() throws Exception {
            if (gone) {
                return;
            }
            gone = true;
            try {
                agent.run(() -> BlockingReaderSupport.this.leave(rcu));
            } finally {
                agent.close();
            }
        }

        @Override
        public void close() throws Exception {
            leave();
        }
    }

    static void unchecked(Body body) {
        try {
            body.run();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new RuntimeException(t);
        }
    }
}
