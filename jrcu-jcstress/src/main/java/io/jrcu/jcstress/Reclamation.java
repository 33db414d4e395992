package io.jrcu.jcstress;

import io.jrcu.RcuReference;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Reclamation, per flavor: the writer unlinks the old object, waits for a grace period and then "frees" it
 * (poisons a plain field); a reader that found the old object inside its protection never sees the poison.
 *
 * <pre>
 *   writer:  old = ref.getAndSet(new Node(2)); synchronize(); old.value = POISON
 *   reader:  protected { n = ref.get(); r1 = n.value; ...work...; r2 = n.value }
 * </pre>
 * {@code 1, 1} (old object) and {@code 2, 2} (new object) are fine; any {@code POISON} (-1) is forbidden. The value
 * is read twice with a little spinning between to widen the window in which a broken grace period frees the object
 * under the reader ({@link Thread#onSpinWait()} also keeps the JIT from merging the two plain loads).
 *
 * <p>{@code Reclamation.Broken<Flavor>} are the deliberately broken twins: the same code against a domain whose grace
 * periods skip the wait for readers; there the poison is {@code ACCEPTABLE_INTERESTING}.
 */
public final class Reclamation {
    private Reclamation() {
    }

    static final int POISON = -1;
    /** onSpinWait() calls between the two reads of the value (about the cost of a non-waiting grace period). */
    static final int READER_WORK = 24;

    /** An RCU-protected object; {@code value} is a plain field. */
    static final class Node {
        int value;

        Node(int value) {
            this.value = value;
        }
    }

    /** The litmus data: a fresh reference to a fresh old node per sample. */
    @State
    public static class Data {
        final RcuReference<Node> ref = new RcuReference<>(new Node(1));
    }

    // ------------------------------------------------------------------ the shared test logic

    static void unlinkWaitFree(Protection f, Data d) {
        Node old = d.ref.getAndSet(new Node(2));
        f.rcu.synchronize();
        old.value = POISON;
    }

    static void protectedReadTwice(Protection f, Data d, II_Result r) {
        f.enter();
        Node n = d.ref.get();
        r.r1 = n.value;
        for (int i = 0; i < READER_WORK; i++) {
            Thread.onSpinWait();
        }
        r.r2 = n.value;
        f.exit();
    }

    // ------------------------------------------------------------------ outcomes

    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Reader found the old node, not yet freed.")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Reader found the new node.")
    @Outcome(id = {"1, -1", "-1, -1"}, expect = FORBIDDEN, desc = "Old node freed while a reader still held it.")
    @Outcome(expect = FORBIDDEN, desc = "Impossible.")
    @Description("Reclamation: old = getAndSet(new); synchronize(); old.value = POISON  ||  "
            + "protected { n = get(); r1 = n.value; work; r2 = n.value }")
    static final class Outcomes {
    }

    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Reader found the old node, not yet freed.")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Reader found the new node.")
    @Outcome(id = {"1, -1", "-1, -1"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Caught: the broken grace period let the writer free the node under the reader.")
    @Outcome(expect = FORBIDDEN, desc = "Impossible.")
    @Description("BROKEN TWIN (grace periods skip the reader wait): POISON shows the litmus can fail.")
    static final class BrokenOutcomes {
    }

    // ------------------------------------------------------------------ memb

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Memb {
        static final Protection F = Protection.memb();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenMemb {
        static final Protection F = Protection.brokenMemb();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembFull {
        static final Protection F = Protection.membFull();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenMembFull {
        static final Protection F = Protection.brokenMembFull();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }

    // ------------------------------------------------------------------ qsbr

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Qsbr {
        static final Protection F = Protection.qsbr();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenQsbr {
        static final Protection F = Protection.brokenQsbr();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }

    // ------------------------------------------------------------------ bulletProof

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProof {
        static final Protection F = Protection.bulletProof();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenBulletProof {
        static final Protection F = Protection.brokenBulletProof();

        @Actor
        public void writer(Data d) {
            unlinkWaitFree(F, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(F, d, r);
        }
    }
}
