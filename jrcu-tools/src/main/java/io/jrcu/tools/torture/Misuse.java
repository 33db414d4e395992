package io.jrcu.tools.torture;

import io.jrcu.BulletProofRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.RcuCallback;
import io.jrcu.RcuReader;
import io.jrcu.ReadSection;
import io.jrcu.testkit.Flavor;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * The misuse {@code --mode misuse} races against correct readers and writers: calls the API documents as refused,
 * with the exception it names. A {@link MisuseReader} makes each either inside its own read section (the
 * observation's, while it checks the age of the object it holds) or outside any. A call that returns normally, or
 * throws anything else, is an accepted misuse: an error of the run. Misuse that must not be refused (closing a domain
 * in use) has no place here; only what the library refuses and survives.
 */
public enum Misuse {
    UNLOCK_WITHOUT_LOCK("readUnlock() without readLock()", false) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.readUnlock();
            return Outcome.ACCEPTED;
        }
    },
    SECTION_CLOSED_TWICE("a ReadSection closed twice", false) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            ReadSection s = m.reader().read();
            s.close();
            s.close();
            return Outcome.ACCEPTED;
        }
    },
    SECTION_CLOSED_OUT_OF_ORDER("a ReadSection closed before the one nested in it", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            ReadSection outer = m.reader().read();
            ReadSection inner = m.reader().read();
            try {
                outer.close();
            } catch (IllegalStateException refused) {
                inner.close();
                outer.close();
                throw refused;
            }
            inner.close();   // accepted: leave no section open, so the run reports this, not a stall it causes
            return Outcome.ACCEPTED;
        }
    },
    HANDLE_OF_ANOTHER_THREAD("read() on the reader handle of another thread", false) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            RcuReader other = m.otherThreadsHandle();
            if (other == null) {
                return Outcome.NOT_MADE;
            }
            other.read().close();   // accepted: end the section it opened on the other thread's record
            return Outcome.ACCEPTED;
        }
    },
    POLL_OF_A_COOKIE_NEVER_ISSUED("poll() of a cookie never issued", false, IllegalArgumentException.class) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.poll(Long.MAX_VALUE - random.nextInt(1024));
            return Outcome.ACCEPTED;
        }
    },
    SYNCHRONIZE_IN_SECTION("synchronize() inside a read section", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.synchronize();
            return Outcome.ACCEPTED;
        }
    },
    SYNCHRONIZE_TIMED_IN_SECTION("synchronize(timeout) inside a read section", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.synchronize(SHORT);
            return Outcome.ACCEPTED;
        }
    },
    AWAIT_IN_SECTION("await(startPoll()) inside a read section", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.await(m.rcu.startPoll());   // its grace period waits for this section: it cannot be complete
            return Outcome.ACCEPTED;
        }
    },
    BARRIER_IN_SECTION("barrier() inside a read section", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.barrier();
            return Outcome.ACCEPTED;
        }
    },
    CLOSE_IN_SECTION("close() inside a read section", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.close();
            return Outcome.ACCEPTED;
        }
    },
    UNREGISTER_IN_SECTION("unregisterThread() inside a read section", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.rcu.unregisterThread();
            return Outcome.ACCEPTED;
        }
    },
    CALLBACK_QUEUED_TWICE("call(RcuCallback) of a callback still queued", true) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            RcuCallback callback = m.newCountedCallback();
            m.issue(callback);      // legal; its grace period waits for this section, so it stays queued
            m.rcu.call(callback);
            return Outcome.ACCEPTED;
        }
    },
    QUIESCENT_IN_SECTION("quiescent() inside a read section", true, Flavor.QSBR) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.qsbrReader().quiescent();
            return Outcome.ACCEPTED;
        }
    },
    OFFLINE_IN_SECTION("offline() inside a read section", true, Flavor.QSBR) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.qsbrReader().offline();
            return Outcome.ACCEPTED;
        }
    },
    READ_WHILE_OFFLINE("read() while offline", false, Flavor.QSBR) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            QsbrRcu.Reader reader = m.qsbrReader();
            reader.offline();
            try {
                reader.read().close();
            } finally {
                reader.online();
            }
            return Outcome.ACCEPTED;
        }
    },
    QUIESCENT_WHILE_OFFLINE("quiescent() while offline", false, Flavor.QSBR) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            QsbrRcu.Reader reader = m.qsbrReader();
            reader.offline();
            try {
                reader.quiescent();
            } finally {
                reader.online();
            }
            return Outcome.ACCEPTED;
        }
    },
    TOKEN_UNLOCKED_TWICE("readUnlock(token) of a token already ended", true, Flavor.BULLET_PROOF) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            BulletProofRcu bp = m.bulletProof();
            long token = bp.readLockToken();
            bp.readUnlock(token);
            bp.readUnlock(token);
            return Outcome.ACCEPTED;
        }
    },
    FORGED_TOKEN("readUnlock(token) of a random long", true, Flavor.BULLET_PROOF) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            m.bulletProof().readUnlock(random.nextLong());
            return Outcome.ACCEPTED;
        }
    },
    TOKEN_OF_ANOTHER_DOMAIN("readUnlock(token) of another domain's token", true, Flavor.BULLET_PROOF) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            return foreignToken(m, m.targets().foreign());
        }
    },
    TOKEN_OF_A_DOMAIN_256_LATER("readUnlock(token) of the token of a domain created 256 bulletProof domains later",
            true, Flavor.BULLET_PROOF) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            return foreignToken(m, m.targets().aliased());
        }
    },
    SYNCHRONIZE_HOLDING_ITS_TOKEN("synchronize(timeout) by a thread holding a token it opened", false,
            Flavor.BULLET_PROOF) {
        @Override
        Outcome attempt(MisuseReader m, ThreadLocalRandom random) {
            BulletProofRcu bp = m.bulletProof();
            long token = bp.readLockToken();
            try {
                // refused: an exception, or false (the grace period waits for the caller's own token); true would
                // be a grace period that ended while a section was open
                return bp.synchronize(SHORT) ? Outcome.ACCEPTED : Outcome.REFUSED;
            } finally {
                bp.readUnlock(token);
            }
        }

        @Override
        boolean slow() {
            return true;
        }
    };

    /** The timeout of the timed calls: a refused call returns at once, one that waits for itself after this. */
    static final Duration SHORT = Duration.ofMillis(1);
    /** What an attempt came to. */
    enum Outcome {
        /** Refused without an exception: a timed call that timed out where an untimed one would wait forever. */
        REFUSED,
        /** The call returned normally: the misuse was accepted, an error. */
        ACCEPTED,
        /** Nothing to misuse yet (no other thread's handle published); no call was made. */
        NOT_MADE
    }

    private final String description;
    private final boolean insideSection;
    private final Class<? extends RuntimeException> refusal;
    private final Flavor only;

    Misuse(String description, boolean insideSection) {
        this(description, insideSection, IllegalStateException.class, null);
    }

    Misuse(String description, boolean insideSection, Flavor only) {
        this(description, insideSection, IllegalStateException.class, only);
    }

    Misuse(String description, boolean insideSection, Class<? extends RuntimeException> refusal) {
        this(description, insideSection, refusal, null);
    }

    Misuse(String description, boolean insideSection, Class<? extends RuntimeException> refusal, Flavor only) {
        this.description = description;
        this.insideSection = insideSection;
        this.refusal = refusal;
        this.only = only;
    }

    /**
     * Makes the misuse call and cleans up after it (a token it opened is ended, a thread it took offline comes back
     * online). Returns what the call came to if it did not throw ({@link Outcome#ACCEPTED} when it returned
     * normally); throws whatever it threw, a refusal if that is the {@link #refusal()} the API documents.
     */
    abstract Outcome attempt(MisuseReader m, ThreadLocalRandom random);

    /** Whether an attempt holds a section open across a timed wait (made rarely, not to slow every grace period). */
    boolean slow() {
        return false;
    }

    /** Whether a {@link MisuseReader} makes it inside its own read section. */
    boolean insideSection() {
        return insideSection;
    }

    /** Whether it applies to {@code flavor}. */
    boolean appliesTo(Flavor flavor) {
        return only == null || only == flavor;
    }

    /** The exception the API documents for it. */
    Class<? extends RuntimeException> refusal() {
        return refusal;
    }

    /**
     * What the misuse call {@code attempt} came to, with how, for a kind refused with {@code refusal}: refused if it
     * threw that (or refused without an exception), accepted if it returned normally or threw anything else.
     */
    static Verdict judge(Class<? extends RuntimeException> refusal, Supplier<Outcome> attempt) {
        Outcome outcome;
        try {
            outcome = attempt.get();
        } catch (RuntimeException e) {
            return refusal.isInstance(e) ? Verdict.REFUSED
                    : new Verdict(Outcome.ACCEPTED, "threw " + e + " instead of " + refusal.getSimpleName());
        }
        return switch (outcome) {
            case REFUSED -> Verdict.REFUSED;
            case NOT_MADE -> Verdict.NOT_MADE;
            case ACCEPTED -> new Verdict(Outcome.ACCEPTED, "returned normally instead of throwing "
                    + refusal.getSimpleName());
        };
    }

    /** An attempt's outcome and, if accepted, how. */
    record Verdict(Outcome outcome, String how) {
        static final Verdict REFUSED = new Verdict(Outcome.REFUSED, "");
        static final Verdict NOT_MADE = new Verdict(Outcome.NOT_MADE, "");
    }

    /** The misuse that applies to {@code flavor}, made inside a section or outside. */
    static Misuse[] of(Flavor flavor, boolean insideSection) {
        return Arrays.stream(values()).filter(m -> m.appliesTo(flavor) && m.insideSection == insideSection)
                .toArray(Misuse[]::new);
    }

    /** A token of {@code other} passed to this domain's readUnlock(token); the token is then ended where it belongs. */
    private static Outcome foreignToken(MisuseReader m, BulletProofRcu other) {
        long token = other.readLockToken();
        try {
            m.bulletProof().readUnlock(token);
            return Outcome.ACCEPTED;
        } finally {
            other.readUnlock(token);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
