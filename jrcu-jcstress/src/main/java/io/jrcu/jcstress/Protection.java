package io.jrcu.jcstress;

import io.jrcu.BulletProofRcu;
import io.jrcu.MembRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.internal.Faults;
import io.jrcu.testkit.Flavor;

/**
 * A jrcu domain as the litmus tests see it: the domain of a {@link Flavor}, and how a reader actor opens and closes
 * its protection. Every test class holds its own {@code static final Protection}, so a forked test VM creates exactly
 * one domain, shared by all state objects and iterations of that test (domains own threads and registries: never one
 * per sample).
 *
 * <p>Protection per flavor:
 * <ul>
 *   <li>memb, bulletProof: a read-side section ({@code readLock()} / {@code readUnlock()}); memb with its default
 *       reader fences (asymmetric: the forks have native access) and, in the {@code MembFull*} tests, with
 *       {@code readerFences(FULL)};</li>
 *   <li>bulletProof tokens: a token section ({@code readLockToken()} / {@code readUnlock(token)});</li>
 *   <li>bulletProof mixed ({@link Mixed}): read-side sections of one domain on the platform-thread path (the
 *       thread's own record) or on the virtual-thread path (the striped counters), the second through
 *       {@link Faults.Fault#READ_AS_VIRTUAL_THREAD} (see there for why);</li>
 *   <li>bulletProof far tokens: a token section in a slot outside the token table's first chunk, found by random
 *       probes (the domain's table has grown, and the thread's hint slot is taken while it opens);</li>
 *   <li>qsbr: being online. The actor thread registers on its first use (JCStress reuses actor threads), goes
 *       offline at once, and stays registered and <em>offline</em> between samples; a sample's protection is
 *       {@code online() ... offline()}.</li>
 * </ul>
 *
 * <p>The {@code broken} ones are the same real classes, built by {@link Flavor#buildBroken}
 * ({@link Faults.Fault#SKIP_READER_WAIT} injected): their grace periods end without waiting for readers. They run the
 * very same test logic and show that the litmus tests can fail.
 */
abstract class Protection {
    final Rcu rcu;

    private Protection(Rcu rcu) {
        this.rcu = rcu;
    }

    /** Starts the calling thread's protection (a section, or online for QSBR). */
    abstract void enter();

    /** Ends what {@link #enter()} started. */
    abstract void exit();

    /** The protection of {@code rcu}'s flavor, built elsewhere: a read section, or online for QSBR. */
    static Protection of(Rcu rcu) {
        return switch (rcu) {
            case QsbrRcu qsbr -> new Online(qsbr);
            default -> new Section(rcu);
        };
    }

    static Protection memb() {
        return of(Flavor.MEMB.build(b -> b.name("jcstress-memb")));
    }

    /** memb whose readers issue full fences and whose grace periods issue no membarrier. */
    static Protection membFull() {
        return of(Flavor.MEMB.build(b -> ((MembRcu.Builder) b.name("jcstress-memb-full"))
                .readerFences(MembRcu.ReaderFences.FULL)));
    }

    static Protection qsbr() {
        return of(Flavor.QSBR.build(b -> b.name("jcstress-qsbr")));
    }

    static Protection bulletProof() {
        return of(Flavor.BULLET_PROOF.build(b -> b.name("jcstress-bp")));
    }

    static Protection bulletProofTokens() {
        return new Tokens((BulletProofRcu) Flavor.BULLET_PROOF.build(b -> b.name("jcstress-bp-token")));
    }

    static Protection bulletProofFarTokens() {
        return new FarTokens((BulletProofRcu) Flavor.BULLET_PROOF.build(b -> b.name("jcstress-bp-far-token")));
    }

    static Mixed bulletProofMixed() {
        return new Mixed(Flavor.BULLET_PROOF.build(b -> b.name("jcstress-bp-mixed")));
    }

    static Mixed brokenBulletProofMixed() {
        return new Mixed(Flavor.BULLET_PROOF.buildBroken(b -> b.name("jcstress-bp-mixed-broken")));
    }

    static Protection brokenMemb() {
        return of(Flavor.MEMB.buildBroken(b -> b.name("jcstress-memb-broken")));
    }

    static Protection brokenMembFull() {
        return of(Flavor.MEMB.buildBroken(b -> ((MembRcu.Builder) b.name("jcstress-memb-full-broken"))
                .readerFences(MembRcu.ReaderFences.FULL)));
    }

    static Protection brokenQsbr() {
        return of(Flavor.QSBR.buildBroken(b -> b.name("jcstress-qsbr-broken")));
    }

    static Protection brokenBulletProof() {
        return of(Flavor.BULLET_PROOF.buildBroken(b -> b.name("jcstress-bp-broken")));
    }

    static Protection brokenBulletProofTokens() {
        return new Tokens((BulletProofRcu) Flavor.BULLET_PROOF.buildBroken(b -> b.name("jcstress-bp-token-broken")));
    }

    static Protection brokenBulletProofFarTokens() {
        return new FarTokens(
                (BulletProofRcu) Flavor.BULLET_PROOF.buildBroken(b -> b.name("jcstress-bp-far-token-broken")));
    }

    /** memb and bulletProof: protection is a read-side section. */
    private static final class Section extends Protection {
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

    /**
     * One bulletProof domain read along both of its thread-bound paths: {@link #record} opens a section on the calling
     * platform thread's own record, {@link #striped} on the striped counters a virtual thread's section takes.
     * JCStress actors are platform threads, and a virtual thread started or woken per sample would cost far more than
     * the race window the test needs; so {@code striped} switches the actor thread's record to the virtual threads'
     * path with {@link Faults.Fault#READ_AS_VIRTUAL_THREAD}, which runs exactly the code a virtual thread's record runs
     * (only the decision, {@code Thread.isVirtual()} when the record is made, is skipped). Each path sets the mode of
     * the calling thread when it differs, outside any section: a flag on the thread's record, so one actor can open
     * a section on each path in turn.
     */
    static final class Mixed {
        final Rcu rcu;
        final Protection record;
        final Protection striped;
        /** Whether the calling thread's sections take the striped path now. */
        private final ThreadLocal<boolean[]> stripedNow = ThreadLocal.withInitial(() -> new boolean[1]);

        private Mixed(Rcu rcu) {
            this.rcu = rcu;
            this.record = new Path(rcu, false);
            this.striped = new Path(rcu, true);
        }

        private final class Path extends Protection {
            private final boolean stripes;

            Path(Rcu rcu, boolean stripes) {
                super(rcu);
                this.stripes = stripes;
            }

            @Override
            void enter() {
                boolean[] now = stripedNow.get();
                if (now[0] != stripes) {
                    Faults.inject(rcu, Faults.Fault.READ_AS_VIRTUAL_THREAD, stripes);
                    now[0] = stripes;
                }
                rcu.readLock();
            }

            @Override
            void exit() {
                rcu.readUnlock();
            }
        }
    }

    /** bulletProof token sections: the actor thread keeps its open token between enter() and exit(). */
    private static class Tokens extends Protection {
        final BulletProofRcu bp;
        /** The calling actor's open token. */
        final ThreadLocal<long[]> open = ThreadLocal.withInitial(() -> new long[1]);

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
    private static final class FarTokens extends Tokens {
        FarTokens(BulletProofRcu bp) {
            super(bp);
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
    }

    /** QSBR: protection is being online; registered lazily, offline between samples. */
    private static final class Online extends Protection {
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
