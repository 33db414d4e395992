package io.jrcu.tools.torture;

import io.jrcu.BulletProofRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuCallback;
import io.jrcu.RcuReader;
import io.jrcu.ReadSection;
import io.jrcu.testkit.Flavor;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A reader of {@code --mode misuse} (a platform thread, any flavor) that misuses the domain between and inside its
 * own read sections: each {@link Misuse} must be refused with the exception the API documents, and is counted
 * refused or accepted. It is a correct reader too: every section is an observation of the age oracle, with the
 * misuse made while it holds the object, so misuse that breaks the protection of the section it is made in shows
 * as an age error like any reader's. Inside its sections it also makes legal calls that must not block
 * ({@code call} and {@code defer}; bulletProof: {@code call} and {@code defer} inside a token section it opened, which
 * count as its own section, so a full defer batch or a call over budget must not wait for the token's grace period),
 * whose callbacks must each run once.
 */
final class MisuseReader extends TortureReader {
    /*
     * Loop:
     *   QSBR: registerThread()                          online
     *   publish its handle (the others misuse it)
     *   while not stopping:
     *     one misuse outside any section                a random kind of this flavor's
     *     bulletProof, 1 in CALLBACK_EVERY: token = readLockToken(); call(count) or defer(count); readUnlock(token)
     *     try (read()) { observe }                      linger: one misuse inside the section, a random kind;
     *                                                   1 in CALLBACK_EVERY: call(count) or defer(count); a short spin
     *     QSBR: quiescent()
     *   unregisterThread()
     * A slow kind (a timed wait while holding a section) is made in 1 of SLOW_EVERY of its picks, so that the
     * grace periods of the correct writers are not held up most of the time. Counters are the owner's
     * (OwnerCounters), but for the callbacks' runs, counted by the workers that run them (an AtomicLong).
     */

    /** A slow misuse is made once in this many of its picks. */
    static final int SLOW_EVERY = 64;
    /** One section (or, bulletProof, one token section) in this many also makes a legal call or defer. */
    static final int CALLBACK_EVERY = 16;

    private static final Misuse[] KINDS = Misuse.values();
    private static final int CALLBACKS_ISSUED = 2 * KINDS.length;

    final Rcu rcu;
    private final Flavor flavor;
    private final int index;
    private final MisuseTargets targets;
    private final Misuse[] outside;
    private final Misuse[] inside;
    /** refused(kind) at 2 * ordinal, accepted(kind) at 2 * ordinal + 1, then the callbacks issued. */
    private final OwnerCounters counts = new OwnerCounters(CALLBACKS_ISSUED + 1);
    /**
     * Runs of the callbacks: incremented by the workers that run them (atomic), read once the domain closed, whose
     * close() runs every pending callback before it returns.
     */
    private final AtomicLong callbacksRan = new AtomicLong();
    private final Runnable countRun = callbacksRan::incrementAndGet;
    /** The owner's handle; set by the owner at the start of run(). */
    private RcuReader reader;
    /** The first accepted misuse, described; written once by the owner, read after it was joined. */
    private String firstAcceptance;

    MisuseReader(Torture torture, ReadCheck check, Rcu rcu, Flavor flavor, String name, int index,
                 MisuseTargets targets) {
        super(torture, check, name);
        this.rcu = rcu;
        this.flavor = flavor;
        this.index = index;
        this.targets = targets;
        this.outside = Misuse.of(flavor, false);
        this.inside = Misuse.of(flavor, true);
    }

    @Override
    public void run() {
        if (flavor == Flavor.QSBR) {
            rcu.registerThread();
        }
        try {
            reader = rcu.reader();   // memb registers the thread here; bulletProof makes its record
            targets.publish(index, reader);
            ThreadLocalRandom random = ThreadLocalRandom.current();
            while (!torture.stopping()) {
                misuse(outside, random);
                if (flavor == Flavor.BULLET_PROOF && random.nextInt(CALLBACK_EVERY) == 0) {
                    callbackInsideATokenSection(random);
                }
                try (ReadSection _ = reader.read()) {
                    observe(random);
                }
                if (flavor == Flavor.QSBR) {
                    qsbrReader().quiescent();
                }
            }
        } finally {
            if (!rcu.inReadSection()) {   // else a misuse broke the nesting and the thread fails with that
                rcu.unregisterThread();
            }
        }
    }

    @Override
    void linger(ThreadLocalRandom random) {
        misuse(inside, random);
        if (random.nextInt(CALLBACK_EVERY) == 0) {
            if (random.nextBoolean()) {
                rcu.call(countRun);    // never blocks inside a section (over budget it overshoots)
            } else {
                rcu.defer(countRun);   // a full batch goes to a worker instead of waiting inside the section
            }
            counts.increment(CALLBACKS_ISSUED);
        }
        lingerOnce(random, false);
    }

    private void callbackInsideATokenSection(ThreadLocalRandom random) {
        BulletProofRcu bp = bulletProof();
        long token = bp.readLockToken();
        try {
            if (random.nextBoolean()) {
                bp.call(countRun);     // over budget it overshoots: the token counts as the caller's own section
            } else {
                bp.defer(countRun);    // a full batch goes to a worker instead of waiting for the token's grace period
            }
            counts.increment(CALLBACKS_ISSUED);
        } finally {
            bp.readUnlock(token);
        }
    }

    /** One misuse of a random kind among {@code kinds}, counted refused or accepted. */
    private void misuse(Misuse[] kinds, ThreadLocalRandom random) {
        Misuse kind = kinds[random.nextInt(kinds.length)];
        if (kind.slow() && random.nextInt(SLOW_EVERY) != 0) {
            return;
        }
        Misuse.Verdict verdict = Misuse.judge(kind.refusal(), () -> kind.attempt(this, random));
        switch (verdict.outcome()) {
            case REFUSED -> counts.increment(2 * kind.ordinal());
            case ACCEPTED -> {
                counts.increment(2 * kind.ordinal() + 1);
                if (firstAcceptance == null) {
                    firstAcceptance = "after " + sinceStart().toMillis() + " ms, '" + name + "': " + kind + " "
                            + verdict.how();
                    torture.errorSeen();
                }
            }
            case NOT_MADE -> { }
        }
    }

    // ------------------------------------------------------------------ for the misuse kinds

    /** The calling (owner) thread's handle. */
    RcuReader reader() {
        return reader;
    }

    QsbrRcu.Reader qsbrReader() {
        return (QsbrRcu.Reader) reader;
    }

    BulletProofRcu bulletProof() {
        return (BulletProofRcu) rcu;
    }

    MisuseTargets targets() {
        return targets;
    }

    /** Another misuse thread's handle, or null if none is published yet. */
    RcuReader otherThreadsHandle() {
        return targets.handleOtherThan(index);
    }

    /** A new intrusive callback that counts its run; {@link #issue} queues it. */
    RcuCallback newCountedCallback() {
        return new RcuCallback() {
            @Override
            protected void invoke() {
                callbacksRan.incrementAndGet();
            }
        };
    }

    /** Queues {@code callback} with {@code call} (legally) and counts it issued. */
    void issue(RcuCallback callback) {
        rcu.call(callback);
        counts.increment(CALLBACKS_ISSUED);
    }

    // ------------------------------------------------------------------ results (exact once joined)

    long refused(Misuse kind) {
        return counts.get(2 * kind.ordinal());
    }

    long accepted(Misuse kind) {
        return counts.get(2 * kind.ordinal() + 1);
    }

    long callbacksIssued() {
        return counts.get(CALLBACKS_ISSUED);
    }

    /** Callbacks that ran (by the workers; exact once the domain was closed). */
    long callbacksRan() {
        return callbacksRan.get();
    }

    /** The first accepted misuse, described, or null. */
    String firstAcceptance() {
        return firstAcceptance;
    }
}
