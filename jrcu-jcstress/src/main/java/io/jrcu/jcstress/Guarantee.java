package io.jrcu.jcstress;

import io.jrcu.QsbrRcu;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;
import org.openjdk.jcstress.infra.results.II_Result;

import java.util.concurrent.ThreadLocalRandom;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The RCU guarantee in store-buffering shape, per flavor and per way of waiting for a grace period.
 *
 * <pre>
 *   writer:  x = 1;  wait for a grace period;  r1 = y
 *   reader:  protected { y = 1;  r2 = x }
 * </pre>
 * {@code r1 == 0 && r2 == 0} is forbidden: either the reader's protection ended before the grace period did, so the
 * writer sees {@code y = 1}, or it began after the grace period began, so the reader sees {@code x = 1}. {@code x} and
 * {@code y} are plain fields: only jrcu orders them (a Java volatile store is followed by a full fence on x86, which
 * would forbid {@code 0, 0} by itself). This is the shape that fails on x86 when a grace period does not wait: TSO
 * lets each side's load pass its own buffered store. (The message-passing shape cannot fail on x86 at all.)
 *
 * <p>Tests: {@code Guarantee.<Flavor><Wait>} with Wait = {@code Synchronize} ({@code synchronize()}), {@code StartPoll}
 * ({@code c = startPoll(); await(c)}), {@code Snapshot} ({@code c = snapshot(); await(c)}) and, for QSBR,
 * {@code StartCheck} ({@code t = start()}, then {@code check(t, false)} until true: the check looks at the readers
 * itself). {@code Guarantee.BulletProofTokenSynchronize} protects the reader with a bulletProof token section instead,
 * {@code BulletProofFarTokenSynchronize} with one in a slot outside the token table's first chunk.
 * {@code BulletProofMixedSynchronize} runs two read sections of one domain against one grace period, one on the
 * platform thread's own record and one on the striped counters a virtual thread's section takes (see
 * {@link Protection.Mixed}; the shape is below, at the test). {@code MembFull*} are memb built with
 * {@code readerFences(FULL)} (readers fence, grace periods issue no membarrier); {@code Memb*} use the default
 * (asymmetric fences where membarrier is available: the forks have native access).
 * {@code Guarantee.Broken<Flavor>Synchronize}, {@code BrokenQsbrStartCheck}, {@code BrokenBulletProofTokenSynchronize},
 * {@code BrokenBulletProofFarTokenSynchronize} and {@code BrokenBulletProofMixedSynchronize} are the deliberately
 * broken twins: the same code against a domain
 * whose grace periods skip the wait for readers (and whose check sees every grace period ended), where {@code 0, 0} is
 * {@code ACCEPTABLE_INTERESTING} (the report shows how often the test caught it).
 */
public final class Guarantee {
    private Guarantee() {
    }

    /** The litmus data: plain fields, fresh per sample. */
    @State
    public static class Data {
        int x;
        int y;
    }

    /**
     * The mixed tests' litmus data: {@code y} for the record's section, {@code z} for the striped one, and which of the
     * reader's two sections comes first in this sample (a coin toss per sample: the second section of a sample is
     * almost never in flight when the writer's grace period starts, so each path must come first in half of them).
     */
    @State
    public static class MixedData {
        int x;
        int y;
        int z;
        final boolean stripedFirst = ThreadLocalRandom.current().nextBoolean();
    }

    // ------------------------------------------------------------------ the shared test logic

    static void writeThenSynchronize(Protection f, Data d, II_Result r) {
        d.x = 1;
        f.rcu.synchronize();
        r.r1 = d.y;
    }

    static void writeThenStartPollAwait(Protection f, Data d, II_Result r) {
        d.x = 1;
        long cookie = f.rcu.startPoll();
        f.rcu.await(cookie);
        r.r1 = d.y;
    }

    static void writeThenSnapshotAwait(Protection f, Data d, II_Result r) {
        d.x = 1;
        long cookie = f.rcu.snapshot();
        f.rcu.await(cookie);
        r.r1 = d.y;
    }

    /** DPDK's writer loop: {@code t = start()}, then {@code check(t, false)} until it is true (QSBR only). */
    static void writeThenStartCheck(Protection f, Data d, II_Result r) {
        QsbrRcu qsbr = (QsbrRcu) f.rcu;
        d.x = 1;
        long token = qsbr.start();
        while (!qsbr.check(token, false)) {
            Thread.onSpinWait();
        }
        r.r1 = d.y;
    }

    static void protectedReadSide(Protection f, Data d, II_Result r) {
        f.enter();
        d.y = 1;
        r.r2 = d.x;
        f.exit();
    }

    // ------------------------------------------------------------------ outcomes

    @Outcome(id = "0, 0", expect = FORBIDDEN,
            desc = "Grace period ended while a reader that saw neither write was still protected.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Reader protected before the grace period; writer sees y.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Reader protected after the grace period began; sees x.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Both writes visible to both.")
    @Description("RCU guarantee, store-buffering shape: x=1; grace period; r1=y  ||  protected { y=1; r2=x }")
    static final class Outcomes {
    }

    @Outcome(id = "0, 0", expect = ACCEPTABLE_INTERESTING,
            desc = "Caught: the broken grace period did not wait for the reader.")
    @Outcome(id = "1, 0", expect = ACCEPTABLE, desc = "Reader protected before the grace period; writer sees y.")
    @Outcome(id = "0, 1", expect = ACCEPTABLE, desc = "Reader protected after the grace period began; sees x.")
    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Both writes visible to both.")
    @Description("BROKEN TWIN (grace periods skip the reader wait): 0, 0 shows the litmus can fail.")
    static final class BrokenOutcomes {
    }

    // ------------------------------------------------------------------ memb

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembSynchronize {
        static final Protection F = Protection.memb();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembStartPoll {
        static final Protection F = Protection.memb();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenStartPollAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembSnapshot {
        static final Protection F = Protection.memb();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSnapshotAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenMembSynchronize {
        static final Protection F = Protection.brokenMemb();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembFullSynchronize {
        static final Protection F = Protection.membFull();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembFullStartPoll {
        static final Protection F = Protection.membFull();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenStartPollAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembFullSnapshot {
        static final Protection F = Protection.membFull();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSnapshotAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenMembFullSynchronize {
        static final Protection F = Protection.brokenMembFull();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    // ------------------------------------------------------------------ qsbr

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class QsbrSynchronize {
        static final Protection F = Protection.qsbr();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class QsbrStartPoll {
        static final Protection F = Protection.qsbr();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenStartPollAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class QsbrSnapshot {
        static final Protection F = Protection.qsbr();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSnapshotAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class QsbrStartCheck {
        static final Protection F = Protection.qsbr();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenStartCheck(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenQsbrStartCheck {
        static final Protection F = Protection.brokenQsbr();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenStartCheck(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenQsbrSynchronize {
        static final Protection F = Protection.brokenQsbr();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    // ------------------------------------------------------------------ bulletProof

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProofSynchronize {
        static final Protection F = Protection.bulletProof();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProofStartPoll {
        static final Protection F = Protection.bulletProof();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenStartPollAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProofSnapshot {
        static final Protection F = Protection.bulletProof();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSnapshotAwait(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenBulletProofSynchronize {
        static final Protection F = Protection.brokenBulletProof();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    // ------------------------------------------------------------------ bulletProof token sections

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProofTokenSynchronize {
        static final Protection F = Protection.bulletProofTokens();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenBulletProofTokenSynchronize {
        static final Protection F = Protection.brokenBulletProofTokens();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProofFarTokenSynchronize {
        static final Protection F = Protection.bulletProofFarTokens();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenBulletProofFarTokenSynchronize {
        static final Protection F = Protection.brokenBulletProofFarTokens();

        @Actor
        public void writer(Data d, II_Result r) {
            writeThenSynchronize(F, d, r);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadSide(F, d, r);
        }
    }

    // ------------------------------------------------------------------ bulletProof: both thread-bound paths at once

    /**
     * {@code writer: x = 1; synchronize(); r1 = y; r3 = z}  ||  reader: {@code record section { y = 1; r2 = x }} and
     * {@code striped section { z = 1; r4 = x }}, in the order the sample's coin chose. Each section with the writer is
     * the store-buffering shape of the class documentation: {@code r1 == 0 && r2 == 0} (the grace period missed the
     * record's section) and {@code r3 == 0 && r4 == 0} (it missed the striped one) are forbidden, whatever the other
     * pair shows. The reader is one actor (JCStress runs no more actors than there are CPUs, and CI has two), so its
     * two sections follow each other; the grace period may overlap either, or both.
     */
    static void writeThenSynchronizeBoth(Protection.Mixed f, MixedData d, IIII_Result r) {
        d.x = 1;
        f.rcu.synchronize();
        r.r1 = d.y;
        r.r3 = d.z;
    }

    static void recordAndStripedReadSides(Protection.Mixed f, MixedData d, IIII_Result r) {
        if (d.stripedFirst) {
            stripedReadSide(f, d, r);
            recordReadSide(f, d, r);
        } else {
            recordReadSide(f, d, r);
            stripedReadSide(f, d, r);
        }
    }

    private static void recordReadSide(Protection.Mixed f, MixedData d, IIII_Result r) {
        f.record.enter();
        d.y = 1;
        r.r2 = d.x;
        f.record.exit();
    }

    private static void stripedReadSide(Protection.Mixed f, MixedData d, IIII_Result r) {
        f.striped.enter();
        d.z = 1;
        r.r4 = d.x;
        f.striped.exit();
    }

    @Outcome(id = {"1, 0, 1, 0", "1, 0, 0, 1", "1, 0, 1, 1", "0, 1, 1, 0", "0, 1, 0, 1", "0, 1, 1, 1", "1, 1, 1, 0",
            "1, 1, 0, 1", "1, 1, 1, 1"}, expect = ACCEPTABLE,
            desc = "Each reader was protected before the grace period (the writer sees its write) or after it began.")
    @Outcome(expect = FORBIDDEN,
            desc = "Grace period ended while a reader that saw neither write (record: r1, r2; stripes: r3, r4) was "
                    + "still protected.")
    @Description("RCU guarantee, both bulletProof thread-bound paths against one grace period: x=1; grace period; "
            + "r1=y; r3=z  ||  record section { y=1; r2=x } and striped section { z=1; r4=x }, in either order")
    static final class MixedOutcomes {
    }

    @Outcome(id = {"0, 0, 0, 0", "0, 0, 0, 1", "0, 0, 1, 0", "0, 0, 1, 1"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Caught on the record: the broken grace period did not wait for the platform thread's section.")
    @Outcome(id = {"0, 1, 0, 0", "1, 0, 0, 0", "1, 1, 0, 0"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Caught on the stripes: the broken grace period did not wait for the virtual-path section.")
    @Outcome(expect = ACCEPTABLE, desc = "Each reader was protected before the grace period or after it began.")
    @Description("BROKEN TWIN (grace periods skip the reader wait): 0, 0 on either pair shows the litmus can fail.")
    static final class BrokenMixedOutcomes {
    }

    @JCStressTest
    @JCStressMeta(MixedOutcomes.class)
    public static class BulletProofMixedSynchronize {
        static final Protection.Mixed F = Protection.bulletProofMixed();

        @Actor
        public void writer(MixedData d, IIII_Result r) {
            writeThenSynchronizeBoth(F, d, r);
        }

        @Actor
        public void reader(MixedData d, IIII_Result r) {
            recordAndStripedReadSides(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenMixedOutcomes.class)
    public static class BrokenBulletProofMixedSynchronize {
        static final Protection.Mixed F = Protection.brokenBulletProofMixed();

        @Actor
        public void writer(MixedData d, IIII_Result r) {
            writeThenSynchronizeBoth(F, d, r);
        }

        @Actor
        public void reader(MixedData d, IIII_Result r) {
            recordAndStripedReadSides(F, d, r);
        }
    }
}
