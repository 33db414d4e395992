package io.jrcu.jcstress;

import io.jrcu.BulletProofRcu;
import io.jrcu.MembRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.internal.Faults;

/**
 * One jrcu flavor as the litmus tests see it: a domain, and how a reader actor opens and closes its protection.
 * Every test class holds its own {@code static final Flavor}, so a forked test VM creates exactly one domain, shared
 * by all state objects and iterations of that test (domains own threads and registries: never one per sample).
 *
 * <p>Protection per flavor:
 * <ul>
 *   <li>memb, bulletProof: a read-side section ({@code readLock()} / {@code readUnlock()});</li>
 *   <li>bulletProof tokens: a token section ({@code readLockToken()} / {@code readUnlock(token)});</li>
 *   <li>bulletProof far tokens: a token section in a slot outside the token table's first chunk, found by random
 *       probes (the domain's table has grown, and the thread's hint slot is taken while it opens);</li>
 *   <li>qsbr: being online. The actor thread registers on its first use (JCStress reuses actor threads), goes
 *       offline at once, and stays registered and <em>offline</em> between samples; a sample's protection is
 *       {@code online() ... offline()}.</li>
 * </ul>
 *
 * <p>The {@link #broken broken} flavors are the same real classes with
 * {@link Faults.Fault#SKIP_READER_WAIT} injected: their grace periods end without waiting for readers.
 * They run the very same test logic and show that the litmus tests can fail.
 */
abstract class Flavor {
    final Rcu rcu;

    private Flavor(Rcu rcu) {
        this.rcu = rcu;
    }

    /** Starts the calling thread's protection (a section, or online for QSBR). */
    abstract void enter();

    /** Ends what {@link #enter()} started. */
    abstract void exit();

    /** A flavor whose protection is a read section (memb, bulletProof) on a domain built elsewhere. */
    static Flavor section(Rcu rcu) {
        return new Section(rcu);
    }

    /** QSBR protection (online/offline) on a domain built elsewhere. */
    static Flavor online(QsbrRcu rcu) {
        return new Online(rcu);
    }

    static Flavor memb() {
        return new Section(MembRcu.builder().name("jcstress-memb").build());
    }

    static Flavor qsbr() {
        return new Online(QsbrRcu.builder().name("jcstress-qsbr").build());
    }

    static Flavor bulletProof() {
        return new Section(BulletProofRcu.builder().name("jcstress-bp").build());
    }

    static Flavor bulletProofTokens() {
        return new Tokens(BulletProofRcu.builder().name("jcstress-bp-token").build());
    }

    static Flavor bulletProofFarTokens() {
        return new FarTokens(BulletProofRcu.builder().name("jcstress-bp-far-token").build());
    }

    static Flavor brokenMemb() {
        return broken(new Section(MembRcu.builder().name("jcstress-memb-broken").build()));
    }

    static Flavor brokenQsbr() {
        return broken(new Online(QsbrRcu.builder().name("jcstress-qsbr-broken").build()));
    }

    static Flavor brokenBulletProof() {
        return broken(new Section(BulletProofRcu.builder().name("jcstress-bp-broken").build()));
    }

    static Flavor brokenBulletProofTokens() {
        return broken(new Tokens(BulletProofRcu.builder().name("jcstress-bp-token-broken").build()));
    }

    static Flavor brokenBulletProofFarTokens() {
        return broken(new FarTokens(BulletProofRcu.builder().name("jcstress-bp-far-token-broken").build()));
    }

    /** Makes {@code f}'s grace periods skip the wait for readers (the deliberately broken twin). */
    private static Flavor broken(Flavor f) {
        Faults.inject(f.rcu, Faults.Fault.SKIP_READER_WAIT, true);
        return f;
    }

    /** memb and bulletProof: protection is a read-side section. */
    private static final class Section extends Flavor {
        Section(Rcu rcu) {
            super(rcu);
        }

        @Override
        void enter() {
            rcu.readLock();
        }

        @Override
        void exit() {
            rcu.readUnlock();
        }
    }

    /** bulletProof token sections: the actor thread keeps its open token between enter() and exit(). */
    private static final class Tokens extends Flavor {
        private final BulletProofRcu bp;
        private final ThreadLocal<long[]> open = ThreadLocal.withInitial(() -> new long[1]);

        Tokens(BulletProofRcu bp) {
            super(bp);
            this.bp = bp;
        }

        @Override
        void enter() {
            open.get()[0] = bp.readLockToken();
        }

        @Override
        void exit() {
            bp.readUnlock(open.get()[0]);
        }
    }

    /**
     * bulletProof token sections away from chunk 0: the table has grown to thousands of slots (10,000 sections
     * opened at once, then closed), and enter() opens a first token (the thread's hint slot, in chunk 0), then the
     * protecting one (a random probe over the whole table: almost always a later chunk), then closes the first.
     */
    private static final class FarTokens extends Flavor {
        private final BulletProofRcu bp;
        private final ThreadLocal<long[]> open = ThreadLocal.withInitial(() -> new long[1]);

        FarTokens(BulletProofRcu bp) {
            super(bp);
            this.bp = bp;
            long[] grow = new long[10_000];
            for (int i = 0; i < grow.length; i++) {
                grow[i] = bp.readLockToken();
            }
            for (long t : grow) {
                bp.readUnlock(t);
            }
        }

        @Override
        void enter() {
            long hint = bp.readLockToken();
            open.get()[0] = bp.readLockToken();
            bp.readUnlock(hint);
        }

        @Override
        void exit() {
            bp.readUnlock(open.get()[0]);
        }
    }

    /** QSBR: protection is being online; registered lazily, offline between samples. */
    private static final class Online extends Flavor {
        private final QsbrRcu qsbr;
        private final ThreadLocal<QsbrRcu.Reader> handles = new ThreadLocal<>();

        Online(QsbrRcu qsbr) {
            super(qsbr);
            this.qsbr = qsbr;
        }

        private QsbrRcu.Reader handle() {
            QsbrRcu.Reader r = handles.get();
            if (r == null) {
                qsbr.registerThread();   // registers and brings the thread online ...
                r = qsbr.reader();
                r.offline();             // ... but between samples it must not hold up grace periods
                handles.set(r);
            }
            return r;
        }

        @Override
        void enter() {
            handle().online();
        }

        @Override
        void exit() {
            handles.get().offline();
        }
    }
}
