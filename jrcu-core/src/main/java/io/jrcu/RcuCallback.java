package io.jrcu;

/**
 * An intrusive callback ({@code struct rcu_head}): extend it in the object that a grace period must outlive and pass
 * that object to {@link Rcu#call(RcuCallback)}. It carries its own queue link, so queueing it allocates nothing.
 *
 * <p>A callback runs once per queueing, on a worker thread, after a grace period; it may be queued again once it
 * has started running. Queueing a callback that is still queued throws {@link IllegalStateException}. An exception
 * thrown by {@link #invoke()} goes to the domain's error handler; the worker keeps going.
 */
public abstract class RcuCallback {
    /* Queue link and state, owned by CallbackQueue; package-private so that subclasses elsewhere cannot touch them. */
    volatile RcuCallback next;
    /** 1 while queued (from enqueue until just before invoke), else 0. CAS-guarded against double queueing. */
    volatile int queued;

    /** For subclasses. */
    protected RcuCallback() {
    }

    /** The work to do after the grace period: free, close, return to a pool. */
    protected abstract void invoke();

    /** Whether the library made this callback for its own use (barrier markers, batches); not counted as user work. */
    boolean internal() {
        return false;
    }

    /** How many user callbacks this node stands for (a defer batch stands for several). */
    int weight() {
        return 1;
    }
}
