package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An RCU-protected pointer: {@code rcu_dereference} / {@code rcu_assign_pointer} / {@code rcu_xchg_pointer} /
 * {@code rcu_cmpxchg_pointer}.
 *
 * <pre>{@code
 * RcuReference<Config> current = new RcuReference<>(new Config("a", 100));
 * try (ReadSection s = rcu.read()) {
 *     Config c = current.get();            // rcu_dereference: acquire load
 *     use(c);
 * }
 * Config old = current.getAndSet(new Config("b", 200));   // filled in before it is published
 * rcu.retire(old, Config::close);
 * }</pre>
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
    private static final VarHandle VALUE = VarHandles.field(MethodHandles.lookup(), "value", Object.class);
    @SuppressWarnings("unused") // accessed through VALUE
    private volatile T value;

    /**
     * A reference holding {@code initial}, published to any thread that receives this reference safely.
     *
     * @param initial the first value, may be {@code null}
     */
    public RcuReference(T initial) {
        VALUE.setRelease(this, initial);
    }

    /**
     * {@code rcu_dereference}: acquire load; pairs with the release store in {@link #set}.
     *
     * @return the current value, possibly {@code null}; safe to use until the calling thread's read section ends
     *         (QSBR: until its next quiescent state)
     * @throws IllegalStateException with debug checks on, on a thread in no read section (see the class documentation)
     */
    @SuppressWarnings("unchecked")
    public T get() {
        if (DebugProtection.enabled()) {
            DebugProtection.check();
        }
        return (T) VALUE.getAcquire(this);
    }

    /**
     * {@code rcu_assign_pointer}: release store; pairs with the acquire load in {@link #get()}.
     *
     * @param v the new value, may be {@code null}; fill it in before this call, not after
     */
    public void set(T v) {
        VALUE.setRelease(this, v);
    }

    /**
     * {@code rcu_xchg_pointer}: volatile exchange.
     *
     * @param v the new value, may be {@code null}
     * @return the value it replaced; reclaim it only after a grace period
     */
    @SuppressWarnings("unchecked")
    public T getAndSet(T v) {
        return (T) VALUE.getAndSet(this, v);
    }

    /**
     * {@code rcu_cmpxchg_pointer}: volatile compare-and-exchange (identity comparison); returns the witness.
     *
     * @param expected the value the reference must hold, compared with {@code ==}
     * @param v        the new value, may be {@code null}
     * @return the value held before the call (the witness); the exchange happened if and only if it is
     *         {@code expected}
     */
    @SuppressWarnings("unchecked")
    public T compareAndExchange(T expected, T v) {
        return (T) VALUE.compareAndExchange(this, expected, v);
    }

    /**
     * Volatile compare-and-set (identity comparison).
     *
     * @param expected the value the reference must hold, compared with {@code ==}
     * @param v        the new value, may be {@code null}
     * @return {@code true} if the reference held {@code expected} and now holds {@code v}
     */
    public boolean compareAndSet(T expected, T v) {
        return VALUE.compareAndSet(this, expected, v);
    }

    @Override
    public String toString() {
        return "RcuReference[" + VALUE.getAcquire(this) + "]";
    }
}
