package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * The threads of a bulletProof domain whose read sections take the striped counters (virtual threads): the word of
 * each one's open section, so that the section of a thread that died inside it can be released, and stall reports
 * can name it. The grace period's wait never reads it; {@link BulletProofRcu} sums the counters instead.
 */
final class StripedThreads {
    /*
     * Overview. Each thread's open section word (SECTION | stripe << 1 | phase, see BulletProofRcu.lock) is kept in
     * a small ThreadState that a weak registry (weakly referencing the Thread: a dead thread must stay collectable)
     * also holds. The registry is touched once per thread (when its record first takes the stripes) and scanned only
     * by the dead-thread search, which a grace period runs when it has waited FIRST_DEAD_THREAD_SCAN_NANOS, then
     * with backoff up to the stall timeout, and by stall reports. A thread that is dead, or collected, while its
     * ThreadState shows an open section has that section released: the CAS of the word to 0 decides between the
     * search and the owner's own exit, and the winner of the search hands the word to `release` (an unlock
     * increment). Collected threads are expunged whenever a thread is added and by every search.
     */

    private static final int STRIPE_BITS = 15;

    private final String domainName;
    /** Ends the released section of a word (the domain's unlock increment). */
    private final LongConsumer release;
    private final Set<ThreadEntry> threads = ConcurrentHashMap.newKeySet();
    private final ReferenceQueue<Thread> collected = new ReferenceQueue<>();

    StripedThreads(String domainName, LongConsumer release) {
        this.domainName = domainName;
        this.release = release;
    }

    /** The stripe of a section word. */
    static int stripeOf(long word) {
        return (int) (word >>> 1) & ((1 << STRIPE_BITS) - 1);
    }

    /** Registers {@code owner}, whose sections take the stripes from now on, and returns its section word's holder. */
    ThreadState add(Thread owner) {
        expungeCollected();
        ThreadState state = new ThreadState(owner.getName());
        threads.add(new ThreadEntry(owner, state, collected));
        return state;
    }

    private void expungeCollected() {
        for (Object ref; (ref = collected.poll()) != null; ) {
            ThreadEntry e = (ThreadEntry) ref;
            threads.remove(e);
            releaseIfOpen(e.state);
        }
    }

    /** The dead-thread search: releases the open section of every thread that is dead or collected. O(threads). */
    void releaseSectionsOfDeadThreads() {
        expungeCollected();
        for (ThreadEntry e : threads) {
            Thread t = e.get();
            if (t == null || !t.isAlive()) {
                threads.remove(e);
                releaseIfOpen(e.state);
            }
        }
    }

    private void releaseIfOpen(ThreadState ts) {
        long word = ts.loOpenToken();
        if (word != 0 && ts.casOpenToken(word, 0L)) {
            GracePeriodSequence.LOG.log(System.Logger.Level.WARNING, "jrcu: reader thread '" + ts.threadName
                    + "' of " + domainName + " terminated inside a read section; released so that grace periods go on");
            release.accept(word);
        }
    }

    /**
     * Appends a stall-report line for each thread inside a section of {@code phase} while fewer than {@code limit}
     * lines were listed; returns {@code listed} plus the number of such threads.
     */
    int describe(int phase, long ageMillis, StringBuilder out, int listed, int limit) {
        for (ThreadEntry e : threads) {
            long word = e.state.loOpenToken();
            Thread t = e.get();
            if (word != 0 && ((int) word & 1) == phase && listed++ < limit) {
                GracePeriodSequence.appendReaderLine(out, e.state.threadName, t,
                        "inside a read section on stripe " + stripeOf(word), ageMillis, "");
            }
        }
        return listed;
    }

    /** The shared part of a thread's record: what is needed to release a dead thread's section. */
    static final class ThreadState {
        final String threadName;
        private static final VarHandle OPEN_TOKEN = VarHandles.field(MethodHandles.lookup(), "openToken", long.class);
        /** The word of the owner's open outermost section, or 0. Owner writes; dead-thread searches read. */
        @SuppressWarnings("unused") // through OPEN_TOKEN
        private volatile long openToken;

        ThreadState(String threadName) {
            this.threadName = threadName;
        }

        /** Opaque: only the owner writes; a search acts on it only once the owner is dead. */
        void soOpenToken(long token) {
            OPEN_TOKEN.setOpaque(this, token);
        }

        long loOpenToken() {
            return (long) OPEN_TOKEN.getOpaque(this);
        }

        boolean casOpenToken(long expected, long value) {
            return OPEN_TOKEN.compareAndSet(this, expected, value);
        }
    }

    /** Registry entry: weak to the thread (a dead thread must stay collectable), strong to its state. */
    private static final class ThreadEntry extends WeakReference<Thread> {
        final ThreadState state;

        ThreadEntry(Thread t, ThreadState state, ReferenceQueue<Thread> queue) {
            super(t, queue);
            this.state = state;
        }
    }
}
