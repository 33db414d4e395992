package io.jrcu;

import io.jrcu.internal.DeferRing;

import java.util.Objects;
import java.util.function.Consumer;

/**
 * A library's own reclamation queue (DPDK {@code rte_rcu_qsbr_dq}, the design of DPDK's "Integrating QSBR RCU with
 * other libraries"): the application registers readers and reports quiescent states; the library hands each deleted
 * resource to {@link #enqueue}, which stamps it with a grace-period cookie, and frees from the head with
 * {@link #reclaim} once the cookie's grace period has passed — without ever blocking.
 *
 * <pre>{@code
 * DeferQueue<Integer> retired = DeferQueue.<Integer>builder(rcu, freeSlots::add).name("slots").build();
 * retired.enqueue(slot);                   // deleted: readers may still see it
 * if (freeSlots.isEmpty()) {
 *     retired.reclaim(64);                 // frees what has passed its grace period; never blocks
 * }
 * retired.close();                         // waits for the outstanding grace periods
 * }</pre>
 *
 * <p><b>What "pending" counts:</b> resources enqueued and not yet freed (whether or not their grace period has
 * passed). <b>When bounded and full</b> ({@link Builder#maxPending}), {@code enqueue} first reclaims what it can; if
 * the queue is still full it returns {@code false} and keeps nothing (the caller still owns the resource).
 * {@link #reclaim} is strictly FIFO and <b>stops at the first entry whose grace period has not passed</b>, even if
 * later entries are eligible (their cookies are never older). Multi-producer enqueues take their cookies in queue
 * order, so no entry waits behind a younger one.
 *
 * <p>Grace periods make progress on their own ({@link Rcu#startPoll()} semantics, without a wake-up per grace
 * period): polling {@code reclaim()} eventually frees everything without anyone calling {@code synchronize()} —
 * {@code reclaim} itself advances a pending grace period without waiting, and the domain's thread drives the rest
 * about once a millisecond. For QSBR the cookies
 * are DPDK's tokens ({@link QsbrRcu#start()}): every enqueue starts a grace period at once, so a reader's quiescent
 * state reported after an enqueue covers that entry, and {@code reclaim} checks eligibility by scanning the readers
 * (it needs no background thread; the domain's thread still completes open tokens when nobody reclaims). After the
 * domain is closed every entry is eligible.
 *
 * <p>Thread safety: {@code enqueue} may be called from any thread unless the queue was built with
 * {@link Builder#singleProducer()} (DPDK's MT_UNSAFE: one enqueuing thread, no producer lock); {@code reclaim},
 * {@code pending} and {@code tryClose} from any thread. Concurrent reclaimers take distinct eligible entries in FIFO
 * order and run the free function outside every lock (so frees may run concurrently); a reclaimer does not return
 * while an eligible entry it could have taken is untaken. Each resource is freed exactly once, never before its grace
 * period; a free function that throws goes to the domain's error handler and the resource counts as freed.
 *
 * @param <T> the resource type
 */
public final class DeferQueue<T> implements AutoCloseable {
    /*
     * The queue is a DeferRing (io.jrcu.internal), whose overview gives the algorithm, its invariants and its
     * memory-ordering plan; this class is its public face: argument checks, the result record and the builder.
     */

    private final DeferRing<T> ring;

    private DeferQueue(DeferRing<T> ring) {
        this.ring = ring;
    }

    /**
     * A builder for a queue that frees through {@code free} after grace periods of {@code rcu}.
     *
     * @param <T>  the resource type
     * @param rcu  the domain whose grace periods the resources wait for; the queue does not close it
     * @param free frees one resource, on the thread that reclaims it, outside every lock; what it throws goes to the
     *             domain's error handler and the resource counts as freed
     * @return a new builder with the defaults: unbounded, multi-producer, no automatic reclaim
     * @throws NullPointerException if {@code rcu} or {@code free} is null
     */
    public static <T> Builder<T> builder(Rcu rcu, Consumer<? super T> free) {
        return new Builder<>(rcu, free);
    }

    /**
     * What a {@link #reclaim} call did: how many it freed, and how many stay pending.
     *
     * @param freed   resources this call freed (their free functions have returned, or thrown)
     * @param pending resources of the queue enqueued and not yet freed when the call returned, as {@link #pending()}
     */
    public record ReclaimResult(int freed, int pending) {
    }

    /**
     * Hands {@code resource} to the queue, stamped with a grace-period cookie. Never blocks. If more than
     * {@code triggerReclaimLimit} are pending it first reclaims up to {@code maxReclaimSize}.
     *
     * <p>That reclaim and the append are two steps, as in DPDK (Lincheck shows it): a concurrent {@code reclaim}
     * may see the first without the second, and a bounded queue may refuse while another thread's reclaim has taken
     * entries whose free functions have not finished yet ({@link #pending()} counts an entry until its free
     * function returns).
     *
     * @param resource the unlinked resource; freed once, after a grace period that covers every read section open
     *                 at this call
     * @return {@code false} only when the queue is bounded and still full after a reclaim attempt (nothing kept)
     * @throws IllegalStateException when the queue or its domain is closed
     * @throws NullPointerException  if {@code resource} is null
     */
    public boolean enqueue(T resource) {
        Objects.requireNonNull(resource, "resource");
        return ring.enqueue(resource);
    }

    /**
     * Frees, in FIFO order, up to {@code max} resources whose grace period has passed, stopping at the first that
     * has not. Non-blocking with respect to readers: it never waits for a grace period, but when the oldest entry's
     * grace period is not complete and no other thread is running one, it starts or resumes that grace period and
     * looks at the readers once (for QSBR, DPDK's {@code rte_rcu_qsbr_check} scan), so polling {@code reclaim}
     * makes progress by itself.
     *
     * @param max the most resources to free, at least 1
     * @return how many this call freed and how many stay pending
     * @throws IllegalArgumentException if {@code max < 1}
     */
    public ReclaimResult reclaim(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max must be at least 1: " + max);
        }
        int freed = ring.reclaimSome(max);
        return new ReclaimResult(freed, ring.pending());
    }

    /** The cookie of the newest entry enqueued (0 before the first). Tests. */
    long newestCookie() {
        return ring.newestCookie();
    }

    /**
     * Resources enqueued and not yet freed (including those whose grace period has passed).
     *
     * @return the number of such resources, at most {@link Integer#MAX_VALUE}
     */
    public int pending() {
        return ring.pending();
    }

    /**
     * Frees what has passed its grace period; if nothing is left pending the queue is closed and this returns
     * {@code true}; otherwise it returns {@code false} and the queue stays usable (DPDK's EAGAIN). The first
     * {@code false} of a queue is logged at WARNING with the pending count and the oldest pending cookie (DPDK's
     * {@code rte_rcu_qsbr_dq_delete} reports what it leaves pending too).
     *
     * @return {@code true} if nothing was left pending and the queue is now closed
     */
    public boolean tryClose() {
        return ring.tryClose();
    }

    /**
     * Waits for the grace periods of everything pending (a quiescent state of the caller for QSBR), frees it all,
     * and closes the queue. Idempotent.
     *
     * @throws IllegalStateException inside a read section of the queue's domain, or (bulletProof) while holding a
     *                               token section of it the caller opened, when something pending has not passed its
     *                               grace period (it would wait for itself); the queue is closed to new enqueues then
     */
    @Override
    public void close() {
        ring.close();
    }

    @Override
    public String toString() {
        return ring.toString();
    }

    /**
     * Builder for {@link DeferQueue}, from {@link DeferQueue#builder}. Not thread-safe.
     *
     * @param <T> the resource type
     */
    public static final class Builder<T> {
        private final Rcu rcu;
        private final Consumer<? super T> free;
        private String name = "defer-queue";
        private int triggerReclaimLimit = Integer.MAX_VALUE;
        private int maxReclaimSize = Integer.MAX_VALUE;
        private long maxPending = Long.MAX_VALUE;
        private boolean singleProducer;

        private Builder(Rcu rcu, Consumer<? super T> free) {
            this.rcu = Objects.requireNonNull(rcu, "rcu");
            this.free = Objects.requireNonNull(free, "free");
        }

        /**
         * A name for messages. Default {@code defer-queue}.
         *
         * @param name the queue's name in log messages, exceptions and {@code toString()}
         * @return this builder
         * @throws NullPointerException if {@code name} is null
         */
        public Builder<T> name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * enqueue() reclaims first when more than {@code n} are pending (0: before every enqueue). Default: never.
         *
         * @param n the pending count above which {@code enqueue} reclaims first, not negative
         * @return this builder
         * @throws IllegalArgumentException if {@code n} is negative
         */
        public Builder<T> triggerReclaimLimit(int n) {
            if (n < 0) {
                throw new IllegalArgumentException("triggerReclaimLimit must not be negative: " + n);
            }
            this.triggerReclaimLimit = n;
            return this;
        }

        /**
         * At most {@code m} are freed by one reclaim that enqueue() triggers. Default: unlimited.
         *
         * @param m the most resources one such reclaim frees, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code m} is less than 1
         */
        public Builder<T> maxReclaimSize(int m) {
            if (m < 1) {
                throw new IllegalArgumentException("maxReclaimSize must be at least 1: " + m);
            }
            this.maxReclaimSize = m;
            return this;
        }

        /**
         * Bounds pending resources; enqueue() then returns false when full. Default: unbounded.
         *
         * @param cap the most resources pending at once, at least 1
         * @return this builder
         * @throws IllegalArgumentException if {@code cap} is less than 1
         */
        public Builder<T> maxPending(long cap) {
            if (cap < 1) {
                throw new IllegalArgumentException("maxPending must be at least 1: " + cap);
            }
            this.maxPending = cap;
            return this;
        }

        /**
         * The caller guarantees a single enqueuing thread: no producer lock (DPDK's MT_UNSAFE).
         *
         * @return this builder
         */
        public Builder<T> singleProducer() {
            this.singleProducer = true;
            return this;
        }

        /**
         * The queue.
         *
         * @return a new open queue with this builder's settings; the caller closes it
         */
        public DeferQueue<T> build() {
            return new DeferQueue<>(DeferRing.of(rcu, free, new DeferRing.Settings(name, triggerReclaimLimit,
                    maxReclaimSize, maxPending, singleProducer, true, 1)));
        }
    }
}
