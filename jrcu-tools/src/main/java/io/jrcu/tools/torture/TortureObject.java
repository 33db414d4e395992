package io.jrcu.tools.torture;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One object of the torture pool (rcutorture's {@code struct rcu_torture}): an id and an age. Only the writer that
 * currently owns the object writes the age; readers read it twice per observation.
 */
final class TortureObject {
    /*
     * The age is deliberately neither volatile nor ordered: it is read and written opaque (atomic, coherent, never
     * merged or hoisted out of a loop by the JIT, but with no ordering against other variables). Whatever ordering
     * makes a reader see the right age must come from jrcu: the RcuReference publishes the object (release/acquire)
     * and the grace period orders every age change after it against the sections it waited for. If the grace
     * period is too short, nothing else hides it.
     *
     * Ages: 0 while published; 1 from the moment it is replaced (rcutorture's pipe count, bumped at removal); +1
     * after each grace period the remover completes; at Torture.AGE_LIMIT it is poisoned with FREED and goes back
     * to the free pool, to be reset to 0 and published again. Coherence of the opaque accesses means one reader
     * sees the ages of one lifetime in order, so a later read smaller than an earlier one means the object was
     * freed and reused while the reader held it.
     */

    /** Poison: the object is in the free pool (rcutorture's "mbtest" cleared). */
    static final int FREED = -1;

    private static final VarHandle AGE;

    static {
        try {
            AGE = MethodHandles.lookup().findVarHandle(TortureObject.class, "age", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final int id;
    @SuppressWarnings("unused") // through AGE
    private int age = FREED;

    TortureObject(int id) {
        this.id = id;
    }

    /** Opaque load: no ordering of its own (see the overview). */
    int loAge() {
        return (int) AGE.getOpaque(this);
    }

    /** Opaque store by the owning writer: no ordering of its own (see the overview). */
    void soAge(int value) {
        AGE.setOpaque(this, value);
    }

    @Override
    public String toString() {
        return "object #" + id;
    }
}
