package io.jrcu.jcstress;

import io.jrcu.Rcu;
import io.jrcu.RcuBuilder;
import io.jrcu.RcuCallback;
import io.jrcu.RcuReference;
import io.jrcu.WorkerOptions;
import io.jrcu.testkit.Flavor;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressMeta;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

import java.time.Duration;
import java.util.function.Consumer;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Reclamation through {@code call}, per flavor: the writer unlinks the old object and hands it to
 * {@link Rcu#call(RcuCallback)} without waiting; the callback "frees" it (poisons a plain field) on a worker after a
 * grace period. A reader that found the old object inside its protection never sees the poison.
 *
 * <pre>
 *   writer:  old = ref.getAndSet(new Node(2)); rcu.call(old)          // Node extends RcuCallback: value = POISON
 *   reader:  protected { n = ref.get(); r1 = n.value; ...work...; r2 = n.value }
 * </pre>
 * The domains' default workers run every callback at once (batches of one, no batching delay, real-time polling),
 * so that a broken grace period frees the node while the reader still holds it. {@code Broken*} are the twins whose
 * grace periods skip the wait for readers: there the poison is {@code ACCEPTABLE_INTERESTING}.
 */
public final class CallbackReclamation {
    private CallbackReclamation() {
    }

    static final int POISON = -1;

    /** An RCU-protected object that is its own callback (the intrusive form): invoking it frees it. */
    static final class Node extends RcuCallback {
        int value;

        Node(int value) {
            this.value = value;
        }

        @Override
        protected void invoke() {
            value = POISON;
        }
    }

    @State
    public static class Data {
        final RcuReference<Node> ref = new RcuReference<>(new Node(1));
    }

    /** A domain with an eager default worker, and how a reader actor protects itself in it. */
    static final class Domain {
        private static final WorkerOptions EAGER = WorkerOptions.builder().realTime(true)
                .batching(1, Duration.ZERO).threadName("").build();

        final Rcu rcu;
        final Protection protection;

        private Domain(Rcu rcu) {
            this.rcu = rcu;
            this.protection = Protection.of(rcu);
        }

        /** A domain of {@code flavor} with an eager default worker. */
        static Domain of(Flavor flavor, String name) {
            return new Domain(flavor.build(eager(name)));
        }

        /** The broken twin of {@link #of}: its grace periods skip the wait for readers. */
        static Domain broken(Flavor flavor, String name) {
            return new Domain(flavor.buildBroken(eager(name)));
        }

        private static Consumer<RcuBuilder<?>> eager(String name) {
            return b -> b.defaultWorkerOptions(EAGER).name(name);
        }

        void unlinkAndCall(Data d) {
            rcu.call(d.ref.getAndSet(new Node(2)));
        }

        void protectedReadTwice(Data d, II_Result r) {
            protection.enter();
            Node n = d.ref.get();
            r.r1 = n.value;
            for (int i = 0; i < Reclamation.READER_WORK * 4; i++) {
                Thread.onSpinWait();
            }
            r.r2 = n.value;
            protection.exit();
        }
    }

    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Reader found the old node, not yet freed.")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Reader found the new node.")
    @Outcome(id = {"1, -1", "-1, -1"}, expect = FORBIDDEN, desc = "The callback freed the node under a reader.")
    @Outcome(expect = FORBIDDEN, desc = "Impossible.")
    @Description("call: old = getAndSet(new); rcu.call(old) [frees after a grace period]  ||  "
            + "protected { n = get(); r1 = n.value; work; r2 = n.value }")
    static final class Outcomes {
    }

    @Outcome(id = "1, 1", expect = ACCEPTABLE, desc = "Reader found the old node, not yet freed.")
    @Outcome(id = "2, 2", expect = ACCEPTABLE, desc = "Reader found the new node.")
    @Outcome(id = {"1, -1", "-1, -1"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Caught: with a broken grace period the callback freed the node under the reader.")
    @Outcome(expect = FORBIDDEN, desc = "Impossible.")
    @Description("BROKEN TWIN (grace periods skip the reader wait): POISON shows the litmus can fail.")
    static final class BrokenOutcomes {
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Memb {
        static final Domain D = Domain.of(Flavor.MEMB, "jcstress-call-memb");

        @Actor
        public void writer(Data d) {
            D.unlinkAndCall(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            D.protectedReadTwice(d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenMemb {
        static final Domain D = Domain.broken(Flavor.MEMB, "jcstress-call-memb-broken");

        @Actor
        public void writer(Data d) {
            D.unlinkAndCall(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            D.protectedReadTwice(d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Qsbr {
        static final Domain D = Domain.of(Flavor.QSBR, "jcstress-call-qsbr");

        @Actor
        public void writer(Data d) {
            D.unlinkAndCall(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            D.protectedReadTwice(d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenQsbr {
        static final Domain D = Domain.broken(Flavor.QSBR, "jcstress-call-qsbr-broken");

        @Actor
        public void writer(Data d) {
            D.unlinkAndCall(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            D.protectedReadTwice(d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProof {
        static final Domain D = Domain.of(Flavor.BULLET_PROOF, "jcstress-call-bp");

        @Actor
        public void writer(Data d) {
            D.unlinkAndCall(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            D.protectedReadTwice(d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(BrokenOutcomes.class)
    public static class BrokenBulletProof {
        static final Domain D = Domain.broken(Flavor.BULLET_PROOF, "jcstress-call-bp-broken");

        @Actor
        public void writer(Data d) {
            D.unlinkAndCall(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            D.protectedReadTwice(d, r);
        }
    }
}
