package io.jrcu.internal;

import io.jrcu.Rcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The queue core of deferred reclamation: a FIFO of entries (objects, or longs freed in batches) stamped with
 * grace-period cookies of a domain, freed from the head once their grace periods have passed, never blocking.
 * {@code io.jrcu.DeferQueue} is its public face (whose Javadoc is the contract: FIFO, "stops at the first entry whose
 * grace period has not passed", bounded and full, thread safety, exactly-once frees); {@code io.jrcu.arena} uses it
 * directly, for queues of block addresses and of per-thread batches, with {@link #reclaimSome(int, boolean)} to
 * choose whether a reclaim may start a costly grace period. It sees its domain only through {@link LibraryFlavor}.
 *
 * @param <T> the entry type ({@link Void} for a queue of longs)
 */
public final class DeferRing<T> implements AutoCloseable {
    /*
     * Overview.
     *
     * A FIFO of fixed-size chunks (cookie[] and item[] side by side); producers append at the tail, reclaimers take
     * from the head. It grows by linking chunks and shrinks by dropping them; chunks the head leaves are kept for
     * reuse in a stack of spares, up to spareChunks (one unless the owner asks for more: a queue whose pending count
     * swings by many chunks between grace periods, as a map's removals do, keeps its high-water mark), so a steady
     * state allocates nothing per enqueue. The spare stack has one pusher (under the consumer lock) and one popper
     * (under the producer lock, or the single producer): a chunk leaves it only by the popper, so a chunk the popper
     * loaded as the top cannot come back with another link before its compareAndSet (no ABA).
     *
     *   enqueue:  [producer lock unless singleProducer]  cookie = domain.deferCookie() (snapshot, or QSBR token,
     *                                                     requested lazily); slot = (cookie, item);
     *             published += 1 (release)
     *   reclaim:  [consumer lock]  while taken < published (acquire) and n < max and cookie at head completed:
     *                                 move the item to a local batch, clear the slot, advance the head
     *             [no lock]        free each item of the batch
     *
     * Cookies are non-decreasing in queue order (taken under the producer lock, or by the single producer), which
     * makes "stop at the first unexpired entry" exact. Pairing: the producer's writes of the slot and of a new
     * chunk's link happen-before its release store of `published`; reclaimers' acquire load of `published` pairs
     * with it. `freed` grows by an atomic add after the frees ran (reclaimers race there) and is read by pending()
     * (acquire).
     */

    private static final System.Logger LOG = System.getLogger("io.jrcu");
    /** Entries one chunk holds (a queue's memory grows and shrinks by chunks). */
    public static final int CHUNK_ENTRIES = 256;
    private static final int CHUNK = CHUNK_ENTRIES;
    /** A reclaim's batch array starts at most this long, and one at most {@value #MAX_SPARE_BATCH} long is kept. */
    private static final int FIRST_BATCH = 256;
    private static final int MAX_SPARE_BATCH = 4096;
    /** Reports queues and arenas dropped with resources pending (RcuArena registers its own report with it). */
    public static final Cleaner CLEANER = Cleaner.create();

    /**
     * The two counters, apart from the queue so that the Cleaner's action can read them after the queue is
     * unreachable: a queue dropped with resources pending is reported (they were never freed).
     */
    private static final class Counts implements Runnable {
        private final String name;
        private static final VarHandle PUBLISHED = VarHandles.field(MethodHandles.lookup(), "published", long.class);
        /** Written by the producer (under the producer lock unless single-producer); release stores. */
        long published;
        private static final VarHandle FREED = VarHandles.field(MethodHandles.lookup(), "freed", long.class);
        @SuppressWarnings("unused") // through FREED
        long freed;

        Counts(String name) {
            this.name = name;
        }

        /** Acquire load; partner: srPublished (what was appended before is visible). */
        long laPublished() {
            return (long) PUBLISHED.getAcquire(this);
        }

        /** Release store by the one producer at a time; partner: laPublished. */
        void srPublished(long v) {
            PUBLISHED.setRelease(this, v);
        }

        /** Acquire load; partner: faaFreed. */
        long laFreed() {
            return (long) FREED.getAcquire(this);
        }

        /** Atomic add by reclaimers after their frees ran, outside the consumer lock (they race); partner: laFreed. */
        void faaFreed(long n) {
            FREED.getAndAdd(this, n);
        }

        long pending() {
            // acquire loads; partners: append's release store of published, reclaim's atomic add of freed
            return laPublished() - laFreed();
        }

        @Override
        public void run() {
            long p = pending();
            if (p > 0) {
                LOG.log(System.Logger.Level.WARNING, "jrcu: DeferQueue '" + name
                        + "' was garbage-collected with " + p + " resources never freed (close() it)");
            }
        }
    }

    /** One block of the FIFO: cookies, and either objects or (an address queue) longs. */
    private static final class Chunk {
        final long[] cookies = new long[CHUNK];
        final Object[] items;
        final long[] values;
        Chunk next;

        Chunk(boolean longs) {
            this.items = longs ? null : new Object[CHUNK];
            this.values = longs ? new long[CHUNK] : null;
        }
    }

    private final LibraryFlavor domain;
    private final Consumer<? super T> free;
    /** Non-null for a queue of longs (RcuArena's block addresses: nothing allocated per entry). */
    private final LongBatchFree freeLong;

    /** Frees a batch of longs that passed their grace periods: {@code values[0..count)}. */
    @FunctionalInterface
    public interface LongBatchFree {

        /**
         * Frees {@code values[0..count)}; runs on the reclaiming thread, outside every lock of the queue.
         *
         * @param values the values, whose grace periods have passed; the array is reused after the call returns
         * @param count  how many of them
         */
        void free(long[] values, int count);
    }

    /**
     * A queue's settings (those of {@code DeferQueue.Builder}).
     *
     * @param name                the queue's name in messages
     * @param triggerReclaimLimit enqueue reclaims first when more than this many are pending
     * @param maxReclaimSize      the most entries a reclaim that enqueue triggers frees
     * @param maxPending          the most entries pending at once; enqueue refuses beyond it
     * @param singleProducer      whether one thread enqueues (no producer lock)
     * @param reportDropped       whether a queue garbage-collected with entries pending is logged
     * @param spareChunks         emptied chunks of {@value #CHUNK_ENTRIES} entries kept for reuse, at least 1: a
     *                            queue whose pending count swings by many chunks between grace periods allocates
     *                            nothing once it has reached its high-water mark if it keeps that many
     * @throws IllegalArgumentException if {@code spareChunks} is below 1
     */
    public record Settings(String name, int triggerReclaimLimit, int maxReclaimSize, long maxPending,
                           boolean singleProducer, boolean reportDropped, int spareChunks) {
        public Settings {
            if (spareChunks < 1) {
                throw new IllegalArgumentException("spareChunks " + spareChunks + " < 1");
            }
        }
    }
    private final String name;
    private final int triggerReclaimLimit;
    private final int maxReclaimSize;
    private final long maxPending;
    private final ReentrantLock producerLock;   // null with singleProducer()
    private final ReentrantLock consumerLock = new ReentrantLock();
    /** The top of the stack of spare chunks (linked through Chunk.next), and how many it holds. */
    private final AtomicReference<Chunk> spare = new AtomicReference<>();
    private final AtomicInteger spareCount = new AtomicInteger();
    private final int spareChunks;
    /** A batch array kept between reclaims (items queue / longs queue); one at a time, taken by getAndSet. */
    private final AtomicReference<Object[]> spareItems = new AtomicReference<>();
    private final AtomicReference<long[]> spareValues = new AtomicReference<>();

    // producer side (producer lock or the single producer)
    private Chunk tail;
    private int tailIndex;
    // consumer side (consumer lock)
    private Chunk head;
    private int headIndex;
    private long taken;
    /** Whether a tryClose() that found resources pending was logged (once per queue; under the consumer lock). */
    private boolean tryCloseReported;

    private final Counts counts;
    private volatile boolean closed;
    /**
     * The cookie of the entry the last reclaim stopped at (its grace period was not complete), or 0. Written under
     * the consumer lock, read without it: cookies never decrease along the queue nor over time, so even a stale value
     * names a grace period no later than the current head's, and "not complete" for it means nothing is eligible.
     */
    private volatile long blockedOn;
    private static final VarHandle NEWEST_COOKIE = VarHandles.field(MethodHandles.lookup(), "newestCookie", long.class);
    /** The cookie of the newest entry enqueued; written by producers (release), read by reclaimers (acquire). */
    @SuppressWarnings("unused") // through NEWEST_COOKIE
    private volatile long newestCookie;

    private DeferRing(Rcu rcu, Consumer<? super T> free, LongBatchFree freeLong, Settings settings) {
        this.spareChunks = settings.spareChunks();
        this.domain = Bridge.flavorOf(rcu);
        this.free = free;
        this.freeLong = freeLong;
        this.name = settings.name();
        this.triggerReclaimLimit = settings.triggerReclaimLimit();
        this.maxReclaimSize = settings.maxReclaimSize();
        this.maxPending = settings.maxPending();
        this.producerLock = settings.singleProducer() ? null : new ReentrantLock();
        Chunk first = new Chunk(freeLong != null);
        this.tail = first;
        this.head = first;
        this.counts = new Counts(name);
        if (settings.reportDropped()) {
            CLEANER.register(this, counts);
        }
    }

    /**
     * A queue of objects, each freed through {@code free} after its grace period of {@code rcu}.
     *
     * @param <T>      the resource type
     * @param rcu      the domain whose grace periods the entries wait for; the queue does not close it
     * @param free     frees one resource on the reclaiming thread, outside every lock; what it throws goes to the
     *                 domain's error handler and the resource counts as freed
     * @param settings the queue's settings
     * @return a new open queue
     * @throws NullPointerException if an argument is null
     */
    public static <T> DeferRing<T> of(Rcu rcu, Consumer<? super T> free, Settings settings) {
        return new DeferRing<>(Objects.requireNonNull(rcu, "rcu"), Objects.requireNonNull(free, "free"), null,
                Objects.requireNonNull(settings, "settings"));
    }

    /**
     * A queue of longs ({@link #enqueueLong}), freed in batches through {@code free}: nothing is allocated per
     * entry.
     *
     * @param rcu      the domain whose grace periods the entries wait for; the queue does not close it
     * @param free     frees a batch of values whose grace periods have passed
     * @param settings the queue's settings
     * @return a new open queue
     * @throws NullPointerException if an argument is null
     */
    public static DeferRing<Void> ofLongs(Rcu rcu, LongBatchFree free, Settings settings) {
        return new DeferRing<>(Objects.requireNonNull(rcu, "rcu"), ignored -> {
        }, Objects.requireNonNull(free, "free"), Objects.requireNonNull(settings, "settings"));
    }

    /**
     * {@code DeferQueue.enqueue}: appends {@code resource} stamped with a grace-period cookie. Never blocks.
     *
     * @param resource the unlinked resource, not null (not checked)
     * @return {@code false} only when the queue is bounded and still full after a reclaim attempt (nothing kept)
     * @throws IllegalStateException when the queue or its domain is closed
     */
    public boolean enqueue(T resource) {
        return enqueueEntry(resource, 0);
    }

    /**
     * enqueue for a queue of longs ({@link #ofLongs}); freed in batches through its {@link LongBatchFree}.
     *
     * @param value the value to free after a grace period that covers every read section open at this call
     * @return {@code false} only when the queue is bounded and still full after a reclaim attempt (nothing kept)
     * @throws IllegalStateException when the queue or its domain is closed
     */
    public boolean enqueueLong(long value) {
        return enqueueEntry(null, value);
    }

    private boolean enqueueEntry(Object item, long value) {
        checkOpen("enqueue");
        long pendingNow = pending();
        if (pendingNow > triggerReclaimLimit) {
            // automatic: starts no costly grace period (or memb would issue a membarrier per enqueue or two)
            reclaimSome(maxReclaimSize, domain.gracePeriodStartIsCheap());
            pendingNow = pending();
        }
        if (pendingNow >= maxPending) {
            reclaimSome(maxReclaimSize, true);   // out of room: whatever it takes, short of waiting
        }
        ReentrantLock lock = producerLock;
        if (lock != null) {
            lock.lock();
        }
        try {
            if (pending() >= maxPending) {  // under the producer lock: concurrent producers cannot all pass
                return false;
            }
            // taken in queue order, so cookies never decrease along the queue; the grace period is requested
            // lazily, so it advances even if nobody polls reclaim() (QSBR: a DPDK token)
            append(domain.deferCookie(), item, value);
        } finally {
            if (lock != null) {
                lock.unlock();
            }
        }
        if (closed) {
            // raced close(), which may have returned already: a callback of the domain reclaims it after a grace
            // period that covers its cookie (never blocks this caller, even inside a read section)
            try {
                domain.rcu().call(this::reclaimAllEligible);
            } catch (IllegalStateException domainClosed) {
                reclaimAllEligible();  // a closed domain's cookies are all complete
            }
        }
        return true;
    }

    private void reclaimAllEligible() {
        while (reclaimSome(Integer.MAX_VALUE) > 0) {
            // until nothing eligible is left
        }
    }

    private void append(long cookie, Object item, long value) {
        advanceTailIfFull();
        srNewestCookie(cookie);  // release; partner: the acquire load in advance()
        tail.cookies[tailIndex] = cookie;
        if (item != null) {
            tail.items[tailIndex] = item;
        } else {
            tail.values[tailIndex] = value;
        }
        tailIndex++;
        counts.srPublished(counts.published + 1);  // release; partner: acquire in reclaim
    }

    /**
     * A full tail chunk gets a successor (a spare, else a new one). Its link is published by the caller's
     * release store of `published`, after the slots it then writes.
     */
    private void advanceTailIfFull() {
        if (tailIndex == CHUNK) {
            Chunk c = popSpare();
            if (c == null) {
                c = new Chunk(freeLong != null);
            }
            tail.next = c;
            tail = c;
            tailIndex = 0;
        }
    }

    /**
     * {@code DeferQueue.reclaim}: frees, in FIFO order, up to {@code max} entries whose grace period has passed,
     * stopping at the first that has not; it may start the grace period the oldest entry needs.
     *
     * @param max the most entries to free, at least 1 (not checked)
     * @return how many this call freed
     */
    public int reclaimSome(int max) {
        return reclaimSome(max, true);
    }

    /** The popper (producer side): the top spare chunk, unlinked, or null. */
    private Chunk popSpare() {
        while (true) {
            Chunk top = spare.get();   // volatile; partner: the compareAndSet in pushSpare (top's link before it)
            if (top == null) {
                return null;
            }
            if (spare.compareAndSet(top, top.next)) {   // volatile; top.next is stable: only this side pops
                spareCount.decrementAndGet();
                top.next = null;
                return top;
            }
        }
    }

    /** The pusher (consumer side, under the consumer lock): keeps {@code done} if fewer than spareChunks are kept. */
    private void pushSpare(Chunk done) {
        if (spareCount.get() >= spareChunks) {   // a racing pop only makes room: the bound holds
            done.next = null;
            return;
        }
        while (true) {
            Chunk top = spare.get();   // volatile; partner: the compareAndSet in popSpare
            done.next = top;
            if (spare.compareAndSet(top, done)) {   // volatile; publishes done's link; partner: popSpare's get
                spareCount.incrementAndGet();
                return;
            }
        }
    }

    /**
     * Frees up to {@code max}; may start a grace period the head needs only if {@code mayStart} (else it only
     * completes grace periods already started). Never waits for a grace period.
     *
     * @param max      the most entries to free, at least 1 (not checked)
     * @param mayStart whether it may start the grace period the oldest entry waits for
     * @return how many this call freed
     */
    public int reclaimSome(int max, boolean mayStart) {
        long blocked = blockedOn;   // volatile; see the field
        if (blocked != 0 && !advance(blocked, mayStart)) {
            return 0;   // the oldest untaken entry's grace period (or an older one's) is still running
        }
        boolean advanced = blocked != 0;
        while (true) {
            Object[] batch = null;
            long[] longBatch = null;
            int n = 0;
            long stoppedAt = 0;
            long passed = 0;   // the newest cookie seen complete in this pass
            consumerLock.lock();
            try {
                long available = counts.laPublished() - taken;  // acquire; partner: append's release
                while (n < max && available > 0) {
                    if (headIndex == CHUNK) {
                        Chunk done = head;
                        head = done.next;
                        headIndex = 0;
                        pushSpare(done);   // up to spareChunks are kept for the producer; others go to the GC
                    }
                    long cookie = head.cookies[headIndex];
                    if (cookie > passed) {   // (cookies never decrease: one look at the domain per new cookie)
                        // completed only: advance() looks at the readers (tryAdvance) around this loop; poll()
                        // would look at QSBR's once more for the first entry still open
                        if (!domain.hasPassed(cookie)) {
                            stoppedAt = cookie;
                            break;   // strict FIFO: younger entries have cookies at least as new
                        }
                        passed = cookie;
                    }
                    if (head.items != null) {
                        if (batch == null) {
                            batch = takeBatch(spareItems, max, available, Object[]::new);
                        } else if (n == batch.length) {
                            batch = Arrays.copyOf(batch, grownBatch(n, max, available));
                        }
                        batch[n++] = head.items[headIndex];
                        head.items[headIndex] = null;
                    } else {
                        if (longBatch == null) {
                            longBatch = takeBatch(spareValues, max, available, long[]::new);
                        } else if (n == longBatch.length) {
                            longBatch = Arrays.copyOf(longBatch, grownBatch(n, max, available));
                        }
                        longBatch[n++] = head.values[headIndex];
                    }
                    headIndex++;
                    taken++;
                    available--;
                }
                blockedOn = stoppedAt;  // volatile store; read without the lock at the top of reclaimSome
            } finally {
                consumerLock.unlock();
            }
            if (batch != null) {
                for (int i = 0; i < n; i++) {
                    freeOne(batch[i]);
                    batch[i] = null;
                }
                returnBatch(spareItems, batch);
            } else if (n > 0) {
                freeLongs(longBatch, n);   // one call per batch: the arena takes each class lock once
                returnBatch(spareValues, longBatch);
            }
            if (n > 0) {
                counts.faaFreed(n);  // volatile; read by pending()
                return n;
            }
            if (stoppedAt == 0 || advanced || !advance(stoppedAt, mayStart)) {
                return 0;
            }
            advanced = true;   // the grace period completed just now: take what it made eligible
        }
    }

    /**
     * Asks the domain's thread to start, now rather than on its lazy tick, the grace period the oldest untaken entry
     * waits for, if it has not started. For a caller that may not start it itself (memb's membarrier) and needs the
     * memory back soon (RcuArena running out). At most one wake-up per grace period; never blocks.
     */
    public void requestOldest() {
        long blocked = blockedOn;   // volatile; see the field
        if (blocked != 0 && !domain.hasStarted(blocked)) {
            domain.request(blocked);
        }
    }

    /**
     * A batch array for a reclaim: the spare if there is one (a steady state allocates nothing), else a new one of
     * the expected size up to {@value #FIRST_BATCH} (it grows if more entries turn out eligible).
     */
    private static <A> A takeBatch(AtomicReference<A> spareBatch, int max, long available, IntFunction<A> create) {
        A spareOne = spareBatch.getAndSet(null);  // volatile; partner: the CAS in returnBatch
        return spareOne != null ? spareOne : create.apply((int) Math.min(FIRST_BATCH, Math.min(max, available)));
    }

    /** A full batch of {@code n}'s next length: doubled, but no longer than the entries that may still be taken. */
    private static int grownBatch(int n, int max, long available) {
        return (int) Math.min((long) n * 2, n + Math.min(max - n, available));
    }

    /** Keeps a batch array (its items cleared) for the next reclaim, unless one is kept or it is large. */
    private static <A> void returnBatch(AtomicReference<A> spareBatch, A batch) {
        if (java.lang.reflect.Array.getLength(batch) <= MAX_SPARE_BATCH) {
            spareBatch.compareAndSet(null, batch);   // volatile; partner: the getAndSet in takeBatch
        }
    }

    /**
     * Tries, without waiting, to complete the grace period of {@code oldest} (the head's). If the newest entry's
     * grace period has already started (QSBR tokens start theirs at enqueue), it first tries that one: one reader
     * scan then makes everything eligible, where completing only the head's would free one entry per scan. For
     * QSBR that scan also completes every older token the readers have reported past, even when the newest's is
     * still open (DPDK's acked token), so the head's attempt usually finds its grace period complete. It never
     * starts a grace period beyond the head's: a grace period started only when the head needs one covers every
     * entry enqueued before it, so grace periods (for memb, each a membarrier) are not spent on one entry each.
     */
    private boolean advance(long oldest, boolean mayStart) {
        long newest = laNewestCookie();  // acquire; partner: the release store in append
        return (newest > oldest && domain.hasStarted(newest) && domain.tryAdvance(newest, false))
                || domain.tryAdvance(oldest, mayStart);
    }

    private void freeLongs(long[] values, int count) {
        try {
            freeLong.free(values, count);
        } catch (Throwable t) {
            reportFreeFailure(t);   // the batch counts as freed either way
        }
    }

    @SuppressWarnings("unchecked")
    private void freeOne(Object item) {
        try {
            free.accept((T) item);
        } catch (Throwable t) {
            reportFreeFailure(t);   // the resource counts as freed either way
        }
    }

    /** A free function threw: the domain's error handler hears of it (a throwing handler is ignored). */
    private void reportFreeFailure(Throwable t) {
        try {
            domain.reportError(t);
        } catch (Throwable ignored) {
            // nothing more can be done; the queue goes on
        }
    }

    /** Acquire load; partner: srNewestCookie. */
    private long laNewestCookie() {
        return (long) NEWEST_COOKIE.getAcquire(this);
    }

    /** Release store by the producer; partner: laNewestCookie (advance(), newestCookie()). */
    private void srNewestCookie(long cookie) {
        NEWEST_COOKIE.setRelease(this, cookie);
    }

    /**
     * The cookie of the newest entry enqueued.
     *
     * @return the cookie, 0 before the first entry
     */
    public long newestCookie() {
        return laNewestCookie();  // acquire; partner: the release store in append
    }

    /**
     * {@code DeferQueue.pending}: entries enqueued and not yet freed (including those whose grace period has passed).
     *
     * @return the number of such entries, at most {@link Integer#MAX_VALUE}
     */
    public int pending() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, counts.pending()));
    }

    /**
     * {@code DeferQueue.tryClose}: frees what has passed its grace period; closes the queue if nothing is left
     * pending, else logs (once per queue) what it leaves pending.
     *
     * @return {@code true} if nothing was left pending and the queue is now closed
     */
    public boolean tryClose() {
        reclaimAllEligible();
        int left = pending();
        if (left == 0) {
            closed = true;
            return true;
        }
        reportNotClosed(left);
        return false;
    }

    /** Logs, once per queue, that tryClose() left {@code left} resources pending. */
    private void reportNotClosed(int left) {
        long oldest;
        consumerLock.lock();
        try {
            if (tryCloseReported) {
                return;
            }
            tryCloseReported = true;
            oldest = headCookieLocked();
        } finally {
            consumerLock.unlock();
        }
        LOG.log(System.Logger.Level.WARNING, "jrcu: DeferQueue '" + name + "': tryClose() left " + left
                + " resources pending, the queue stays open (" + (oldest == 0
                ? "all of them taken by a reclaim that is freeing them"
                : "oldest pending cookie " + oldest + ", its grace period has not passed") + ")");
    }

    /**
     * {@code DeferQueue.close}: waits for the grace periods of everything pending (a quiescent state of the caller
     * for QSBR), frees it all, and closes the queue. Idempotent.
     *
     * @throws IllegalStateException inside a read section of the queue's domain, or (bulletProof) while holding a
     *                               token section of it the caller opened, when something pending has not passed its
     *                               grace period (it would wait for itself); the queue is closed to new enqueues then
     */
    @Override
    public void close() {
        closed = true;   // new enqueues are refused from here on; every caller waits until all is freed
        while (pending() > 0) {
            if (reclaimSome(Integer.MAX_VALUE) == 0 && pending() > 0) {
                long cookie = headCookie();
                // isCompleted, the test reclaimSome's loop makes: an entry it shows passed is taken by the next
                // reclaimSome, so the spin below is only for entries another reclaimer took (it is freeing them)
                if (cookie > 0 && !domain.hasPassed(cookie)) {
                    domain.rcu().await(cookie);        // a quiescent state of the caller for QSBR
                } else {
                    Thread.onSpinWait();      // a concurrent reclaimer is freeing the rest
                }
            }
        }
    }

    /** The cookie of the oldest entry not yet taken, or 0 if none. */
    private long headCookie() {
        consumerLock.lock();
        try {
            return headCookieLocked();
        } finally {
            consumerLock.unlock();
        }
    }

    /** {@link #headCookie()} for a caller holding the consumer lock. */
    private long headCookieLocked() {
        if (taken >= counts.laPublished()) {   // acquire; partner: append's release
            return 0;
        }
        return headIndex == CHUNK ? head.next.cookies[0] : head.cookies[headIndex];
    }

    private void checkOpen(String operation) {
        if (closed) {
            throw new IllegalStateException(operation + " on DeferQueue '" + name + "', which is closed");
        }
    }

    @Override
    public String toString() {
        return "DeferQueue[" + name + ", pending " + pending() + (closed ? ", closed" : "") + "]";
    }

}
