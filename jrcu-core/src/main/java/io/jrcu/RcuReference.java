package io.jrcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An RCU-protected pointer: {@code rcu_dereference} / {@code rcu_assign_pointer} / {@code rcu_xchg_pointer} /
 * {@code rcu_cmpxchg_pointer}.
 *
 * <p><b>Memory consistency effects.</b> Everything a thread did before {@link #set}, {@link #getAndSet} or a
 * successful compare-and-set happens-before the actions of a thread after a {@link #get()} that returns the new
 * value: an object filled in and then published is seen filled in. {@link #get()} is an acquire load (the JMM has
 * no consume); {@link #set} is a release store; the read-modify-write methods are volatile.
 *
 * <p>All methods are wait-free. Once any domain has debug checks on ({@link RcuBuilder#debugChecks}), {@link #get()}
 * throws {@link IllegalStateException} on a thread that is in no read section (memb, bulletProof) and not online
 * (QSBR) in any domain (a reference does not know its domain; sections of every domain count from then on, except
 * bulletProof token sections of domains without debug checks).
 *
 * @param <T> the type of the referenced object
 */
public final class RcuReference<T> {
    private static final VarHandle VALUE;

    static {
        try {
            VALUE = MethodHandles.lookup().findVarHandle(RcuReference.class, "value", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @SuppressWarnings("unused") // accessed through VALUE
    private volatile T value;

    /** A reference holding {@code initial}, published to any thread that receives this reference safely. */
    public RcuReference(T initial) {
        VALUE.setRelease(this, initial);
    }

    /** {@code rcu_dereference}: acquire load; pairs with the release store in {@link #set}. */
    @SuppressWarnings("unchecked")
    public T get() {
        if (DebugProtection.enabled) {
            DebugProtection.check();
        }
        return (T) VALUE.getAcquire(this);
    }

    /** {@code rcu_assign_pointer}: release store; pairs with the acquire load in {@link #get()}. */
    public void set(T v) {
        VALUE.setRelease(this, v);
    }

    /** {@code rcu_xchg_pointer}: volatile exchange. */
    @SuppressWarnings("unchecked")
    public T getAndSet(T v) {
        return (T) VALUE.getAndSet(this, v);
    }

    /** {@code rcu_cmpxchg_pointer}: volatile compare-and-exchange (identity comparison); returns the witness. */
    @SuppressWarnings("unchecked")
    public T compareAndExchange(T expected, T v) {
        return (T) VALUE.compareAndExchange(this, expected, v);
    }

    /** Volatile compare-and-set (identity comparison). */
    public boolean compareAndSet(T expected, T v) {
        return VALUE.compareAndSet(this, expected, v);
    }

    @Override
    public String toString() {
        return "RcuReference[" + VALUE.getAcquire(this) + "]";
    }
}
