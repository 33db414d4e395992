package io.jrcu.jcstress;

import io.jrcu.DeferQueue;
import io.jrcu.RcuReference;
import io.jrcu.jcstress.Reclamation.Data;
import io.jrcu.jcstress.Reclamation.Node;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.infra.results.II_Result;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Reclamation through a {@link DeferQueue}, per flavor: the writer unlinks the old node, enqueues it and reclaims at
 * once, without waiting (the free function poisons the node). The queue decides eligibility itself: for memb and
 * bulletProof from a cookie and a non-blocking grace-period step; for QSBR from a DPDK token and a scan of the
 * readers. A reader that found the old node while protected never sees the poison.
 *
 * <pre>
 *   writer:  old = ref.getAndSet(new Node(2)); queue.enqueue(old); queue.reclaim(all)   // never blocks
 *   reader:  protected { n = ref.get(); r1 = n.value; ...work...; r2 = n.value }
 * </pre>
 * Outcomes as in {@link Reclamation}. One queue per test class, shared by all samples like the domain: a reclaim may
 * free nodes of earlier samples, whose readers have finished or are still protected — the same property.
 *
 * <p>{@code DeferredReclamation.Broken<Flavor>}: grace periods skip the wait for readers, so reclaim frees under the
 * reader; there the poison is {@code ACCEPTABLE_INTERESTING}.
 */
public final class DeferredReclamation {
    private DeferredReclamation() {
    }

    /** A domain's protection and its queue, whose free function poisons the node. */
    static final class Setup {
        final Protection protection;
        final DeferQueue<Node> queue;

        Setup(Protection protection) {
            this.protection = protection;
            this.queue = DeferQueue.<Node>builder(protection.rcu, node -> node.value = Reclamation.POISON)
                    .name("jcstress-deferred").build();
        }
    }

    static void unlinkEnqueueReclaim(Setup s, Data d) {
        RcuReference<Node> ref = d.ref;
        Node old = ref.getAndSet(new Node(2));
        s.queue.enqueue(old);
        s.queue.reclaim(Integer.MAX_VALUE);
    }

    static void protectedReadTwice(Setup s, Data d, II_Result r) {
        Reclamation.protectedReadTwice(s.protection, d, r);
    }

    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Reader found the old node, not yet freed.")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Reader found the new node.")
    @Outcome(id = {"1, -1", "-1, -1"}, expect = FORBIDDEN, desc = "Old node freed while a reader still held it.")
    @Outcome(expect = FORBIDDEN, desc = "Impossible.")
    @Description("Deferred reclamation: old = getAndSet(new); queue.enqueue(old); queue.reclaim(all)  ||  "
            + "protected { n = get(); r1 = n.value; work; r2 = n.value }")
    static final class Outcomes {
    }

    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Reader found the old node, not yet freed.")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Reader found the new node.")
    @Outcome(id = {"1, -1", "-1, -1"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Caught: the broken grace period let reclaim free the node under the reader.")
    @Outcome(expect = FORBIDDEN, desc = "Impossible.")
    @Description("BROKEN TWIN (grace periods skip the reader wait): POISON shows the litmus can fail.")
    static final class BrokenOutcomes {
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Memb {
        static final Setup S = new Setup(Protection.memb());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenMemb {
        static final Setup S = new Setup(Protection.brokenMemb());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembFull {
        static final Setup S = new Setup(Protection.membFull());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenMembFull {
        static final Setup S = new Setup(Protection.brokenMembFull());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Qsbr {
        static final Setup S = new Setup(Protection.qsbr());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenQsbr {
        static final Setup S = new Setup(Protection.brokenQsbr());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProof {
        static final Setup S = new Setup(Protection.bulletProof());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenBulletProof {
        static final Setup S = new Setup(Protection.brokenBulletProof());

        @Actor
        public void writer(Data d) {
            unlinkEnqueueReclaim(S, d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedReadTwice(S, d, r);
        }
    }
}
