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
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * {@link RcuReference} publication ({@code rcu_assign_pointer} / {@code rcu_dereference}), per flavor.
 *
 * <pre>
 *   writer:  b = new Box(); b.a = 1; b.b = 2; ref.set(b)
 *   reader:  protected { b = ref.get(); r1 = b.a; r2 = b.b }      (-1, -1 when b is still null)
 * </pre>
 * A reader that sees the new box sees it filled in: {@code 1, 2}. Seeing the box with a field still 0 is forbidden.
 * The box's fields are plain, so only {@code set}/{@code get} order them. No broken twin: x86 keeps stores in order
 * and loads in order, so a missing release/acquire could not show here (the JIT could, but not reliably).
 */
public final class Publication {
    private Publication() {
    }

    /** A published object with plain fields, filled in by the writer after construction. */
    static final class Box {
        int a;
        int b;
    }

    /** The litmus data: a fresh, empty reference per sample. */
    @State
    public static class Data {
        final RcuReference<Box> ref = new RcuReference<>(null);
    }

    // ------------------------------------------------------------------ the shared test logic

    static void fillThenPublish(Data d) {
        Box b = new Box();
        b.a = 1;
        b.b = 2;
        d.ref.set(b);
    }

    static void protectedDereference(Protection f, Data d, II_Result r) {
        f.enter();
        Box b = d.ref.get();
        if (b == null) {
            r.r1 = -1;
            r.r2 = -1;
        } else {
            r.r1 = b.a;
            r.r2 = b.b;
        }
        f.exit();
    }

    @Outcome(id = "-1, -1", expect = ACCEPTABLE, desc = "Reader ran before the publication.")
    @Outcome(id = "1, 2", expect = ACCEPTABLE, desc = "Reader sees the published box, filled in.")
    @Outcome(expect = FORBIDDEN, desc = "Reader sees the published box with a field not yet filled in.")
    @Description("RcuReference publication: fill plain fields; set(b)  ||  protected { b = get(); read fields }")
    static final class Outcomes {
    }

    // ------------------------------------------------------------------ per flavor

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Memb {
        static final Protection F = Protection.memb();

        @Actor
        public void writer(Data d) {
            fillThenPublish(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedDereference(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class MembFull {
        static final Protection F = Protection.membFull();

        @Actor
        public void writer(Data d) {
            fillThenPublish(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedDereference(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class Qsbr {
        static final Protection F = Protection.qsbr();

        @Actor
        public void writer(Data d) {
            fillThenPublish(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedDereference(F, d, r);
        }
    }

    @JCStressTest
    @JCStressMeta(Outcomes.class)
    public static class BulletProof {
        static final Protection F = Protection.bulletProof();

        @Actor
        public void writer(Data d) {
            fillThenPublish(d);
        }

        @Actor
        public void reader(Data d, II_Result r) {
            protectedDereference(F, d, r);
        }
    }
}
