package io.jrcu.tools.torture;

import io.jrcu.RcuCallback;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.function.Consumer;

/**
 * One object of the torture pool (rcutorture's {@code struct rcu_torture}): an id and an age. Only the writer that
 * currently owns the object writes the age; readers read it twice per observation. In the asynchronous modes the
 * object is also its own callback ({@code struct rcu_head} embedded, as rcutorture's {@code rtort_rcu}): the
 * intrusive {@link RcuCallback} for {@code call}, the {@link Runnable} for {@code defer}, the retired object for
 * {@code retire}; whichever way, the library ends up calling {@link #reclaim()}.
 */
final class TortureObject extends RcuCallback implements Runnable {
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
     *
     * Asynchronous modes (CallbackWriter): 0 while published; 1 from the moment it is replaced; then the writer
     * hands the object to the library and forgets it. The callback, which the library may run only after a grace
     * period, is what moves the age on: 2 (a grace period has ended since the removal), then FREED, then the pool.
     * A reader that held the object across the removal sees 2 or FREED only if the callback ran while it was still
     * protected, i.e. too early. The callback fields (ledger, callbackId, cookie) are plain: the writer sets them
     * before handing the object over, and only the library's guarantee that actions before call/retire/defer
     * happen-before the callback makes the callback read them right (a stale id shows up as lost or run twice).
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

    /** The reclaimer {@link ReclaimMode#RETIRE} passes to {@code retire}. */
    static final Consumer<TortureObject> RECLAIMER = TortureObject::reclaim;

    final int id;
    @SuppressWarnings("unused") // through AGE
    private int age = FREED;

    /* The pending callback, set by the writer before it hands the object to the library (see the overview). */
    private CallbackLedger ledger;
    private long callbackId;
    private long cookie;

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

    /**
     * Prepares the callback: {@code id} is the writer's sequence number for it, {@code cookie} a grace-period cookie
     * taken after the removal (the callback must not run before {@code poll(cookie)} holds). Writer only, before it
     * hands the object to the library.
     */
    void prepareCallback(CallbackLedger ledger, long id, long cookie) {
        this.ledger = ledger;
        this.callbackId = id;
        this.cookie = cookie;
    }

    /** What the library runs after the grace period: ages, poisons and frees this object, and records the run. */
    void reclaim() {
        ledger.reclaim(this, callbackId, cookie);
    }

    /** {@link ReclaimMode#CALL}: the intrusive callback. */
    @Override
    protected void invoke() {
        reclaim();
    }

    /** {@link ReclaimMode#DEFER}: the deferred runnable. */
    @Override
    public void run() {
        reclaim();
    }

    @Override
    public String toString() {
        return "object #" + id;
    }
}
