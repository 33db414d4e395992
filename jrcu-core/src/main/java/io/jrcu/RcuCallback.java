package io.jrcu;

import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An intrusive callback ({@code struct rcu_head}): extend it in the object that a grace period must outlive and pass
 * that object to {@link Rcu#call(RcuCallback)}. It carries its own queue link, so queueing it allocates nothing.
 *
 * <p>A callback runs once per queueing, on a worker thread, after a grace period; it may be queued again once it
 * has started running. Queueing a callback that is still queued throws {@link IllegalStateException}. An exception
 * thrown by {@link #invoke()} goes to the domain's error handler; the worker keeps going.
 */
public abstract class RcuCallback {
    /*
     * Queueing state. The link is CallbackQueue's; the claim is this class's: a callback is claimed (queued 0 -> 1,
     * a volatile CAS, so that two producers cannot both queue it) before it is queued, and released just before it is
     * invoked, or when the call that claimed it is refused. Package-private, so that subclasses elsewhere cannot
     * touch them.
     *
     * Pairing: the release store of unclaim (before invoke)  <->  the next claim's CAS; a callback re-queued from
     * its own invoke() is claimed anew.
     */

    private static final VarHandle QUEUED = VarHandles.field(MethodHandles.lookup(), "queued", int.class);

    /** The queue link, owned by CallbackQueue. */
    volatile RcuCallback next;
    /** 1 while claimed (from the call that queues it until just before invoke), else 0; through QUEUED. */
    @SuppressWarnings("unused") // through QUEUED
    private volatile int queued;

    /** For subclasses. */
    protected RcuCallback() {
    }

    /** The work to do after the grace period: free, close, return to a pool. */
    protected abstract void invoke();

    /**
     * Claims this callback for queueing.
     *
     * @throws IllegalStateException if it is claimed already (queued and not yet started running)
     */
    final void claim() {
        if (!casQueued(0, 1)) {  // volatile CAS; partner: unclaim's release store
            throw new IllegalStateException("RcuCallback " + this + " is already queued");
        }
    }

    /** Releases the claim: just before invoke, or for a call that was refused. It may be queued again from here. */
    final void unclaim() {
        srQueued(0);   // release; partner: the next claim's CAS
    }

    private boolean casQueued(int expected, int value) {
        return QUEUED.compareAndSet(this, expected, value);
    }

    private void srQueued(int value) {
        QUEUED.setRelease(this, value);
    }

    /** Whether the library made this callback for its own use (barrier markers, batches); not counted as user work. */
    boolean internal() {
        return false;
    }

    /** How many user callbacks this node stands for (a defer batch stands for several). */
    int weight() {
        return 1;
    }
}
