package io.jrcu;

import io.jrcu.internal.BackoffIdle;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * An intrusive multi-producer, single-consumer queue of {@link RcuCallback}s whose consumer takes everything at
 * once (liburcu's wfcqueue with its splice; Vyukov's MPSC node queue).
 */
final class CallbackQueue {
    /*
     * Overview.
     *
     *   head: a stub node owned by the consumer; tail: the last node, swapped by producers.
     *   enqueue(n):  n.next = null; prev = XCHG(tail, n); prev.next = n         wait-free: one exchange, one store
     *   takeAll():   if tail == stub: empty
     *                first = await(stub.next); stub.next = null;               the consumer's reset of its stub ...
     *                last = XCHG(tail, stub)                                   ... ordered before the exchange
     *                the batch is first .. last; links not yet written by a producer that has exchanged but not
     *                linked are awaited (spin, then yield) while walking
     * Between its exchange and its link a producer leaves the chain broken; the consumer waits for that link. After
     * the consumer's exchange, producers link behind the stub again, so a batch and the next never share a link.
     * last.next stays null: a producer that exchanged after `last` would have made the consumer's exchange return it.
     *
     * Pairing table:
     *   producer XCHG tail (volatile)           <->  consumer's volatile load of tail / XCHG tail
     *   producer release store of prev.next     <->  consumer's acquire load of next (the callback's fields, written
     *                                                before enqueue, are visible to the worker that runs it)
     *   consumer's opaque reset of stub.next, then volatile XCHG  <->  producers linking behind the stub
     *
     * The tail is written by every producer and read by the consumer on each batch: it sits on its own padded lines
     * (the hierarchy below); the stub is consumer-owned.
     */

    private static final VarHandle TAIL = VarHandles.field(MethodHandles.lookup(), CallbackQueueTail.class, "tail",
            RcuCallback.class);
    private static final VarHandle NEXT = VarHandles.field(MethodHandles.lookup(), RcuCallback.class, "next",
            RcuCallback.class);
    /** Awaiting a link: spin, then yield (the producer was preempted between its exchange and its link). */
    private static final BackoffIdle LINK_WAIT = new BackoffIdle(64, BackoffIdle.UNBOUNDED, 1, 1);

    private final Stub stub = new Stub();
    private final CallbackQueueTail tail = new CallbackQueueTail(stub);

    /** Appends {@code n} (whose {@code queued} flag the caller owns). Wait-free. */
    void enqueue(RcuCallback n) {
        soNext(n, null);                   // published by the exchange below
        RcuCallback prev = xchgTail(n);    // volatile XCHG; partner: the consumer's XCHG
        srNext(prev, n);                   // release; partner: acquire in awaitNext
    }

    /** Whether nothing is queued (a volatile read; exact only for the consumer). */
    boolean isEmpty() {
        return lvTail() == stub;   // volatile; partner: the producers' XCHG
    }

    /**
     * Takes every queued callback. Consumer only.
     *
     * @return the first callback of the batch, or {@code null} if empty; walk it with {@link #next(RcuCallback,
     *         RcuCallback)} up to {@code last}, which the method stores in {@code lastOut[0]}
     */
    RcuCallback takeAll(RcuCallback[] lastOut) {
        if (lvTail() == stub) {  // volatile; partner: the producers' XCHG
            return null;
        }
        RcuCallback first = awaitNext(stub);
        soNext(stub, null);             // reset, ordered before the XCHG below
        lastOut[0] = xchgTail(stub);    // volatile XCHG; partner: the producers' XCHG
        return first;
    }

    /** The node after {@code n} in a taken batch ending at {@code last}, waiting for a producer's link. */
    static RcuCallback next(RcuCallback n, RcuCallback last) {
        return n == last ? null : awaitNext(n);
    }

    /**
     * Appends the taken batch starting at {@code first} to a taken batch ending at {@code last} (consumer only: no
     * producer writes a taken node's link any more).
     */
    static void splice(RcuCallback last, RcuCallback first) {
        svNext(last, first);
    }

    private static RcuCallback awaitNext(RcuCallback n) {
        RcuCallback next = laNext(n);  // acquire; partner: the producer's release link
        for (int step = 0; next == null; next = laNext(n)) {
            step = LINK_WAIT.idle(n, step);   // a producer between its exchange and its link
        }
        return next;
    }

    private RcuCallback lvTail() {
        return (RcuCallback) TAIL.getVolatile(tail);
    }

    /** Volatile getAndSet of the tail. */
    private RcuCallback xchgTail(RcuCallback n) {
        return (RcuCallback) TAIL.getAndSet(tail, n);
    }

    private static RcuCallback laNext(RcuCallback n) {
        return (RcuCallback) NEXT.getAcquire(n);
    }

    private static void soNext(RcuCallback n, RcuCallback next) {
        NEXT.setOpaque(n, next);
    }

    private static void svNext(RcuCallback n, RcuCallback next) {
        NEXT.setVolatile(n, next);
    }

    private static void srNext(RcuCallback n, RcuCallback next) {
        NEXT.setRelease(n, next);
    }

    /** The consumer-owned head node. */
    private static final class Stub extends RcuCallback {
        @Override
        protected void invoke() {
            throw new AssertionError("the queue's stub is never invoked");
        }
    }
}

abstract class CallbackQueueTailPadBefore {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;
}

abstract class CallbackQueueTailField extends CallbackQueueTailPadBefore {
    volatile RcuCallback tail;
}

/** The producers' exchange point, alone on its cache lines. */
final class CallbackQueueTail extends CallbackQueueTailField {
    long p10, p11, p12, p13, p14, p15, p16, p17, p18, p19, p1a, p1b, p1c, p1d, p1e, p1f;

    CallbackQueueTail(RcuCallback stub) {
        this.tail = stub;
    }
}
