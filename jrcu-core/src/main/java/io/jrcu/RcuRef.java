package io.jrcu;

import io.jrcu.internal.DeferRing;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * RCU plus a reference count (QEMU {@code docs/rcu.txt}, "RCU PATTERNS"; Linux {@code kref_get_unless_zero} with
 * {@code kfree_rcu}): a reader finds the object inside a read section and takes a reference only if it must keep the
 * object beyond the section; the last release hands the value to the domain's callbacks, which reclaim it after a
 * grace period.
 *
 * <pre>{@code
 * RcuReference<RcuRef<Buffer>> current = new RcuReference<>(RcuRef.of(rcu, buffer, Buffer::free));
 * // reader: inside the section the value needs no reference; beyond it, it does
 * RcuRef.Handle<Buffer> held;
 * try (ReadSection s = rcu.read()) {
 *     held = current.get().tryAcquire();     // null: the last reference is gone, the value is being reclaimed
 * }
 * if (held != null) {
 *     try (held) {
 *         send(held.get());
 *     }
 * }
 * // writer: unpublish, then drop the reference the RcuRef was created with
 * current.getAndSet(RcuRef.of(rcu, next, Buffer::free)).release();
 * }</pre>
 *
 * <p><b>The count.</b> An {@code RcuRef} is created with one reference, its creator's (usually: the structure that
 * publishes it), dropped by {@link #release()}. Each successful {@link #tryAcquire()} adds one, held by the
 * {@link Handle} it returns and dropped by {@link Handle#release()}. When the count reaches zero the value is
 * {@linkplain Rcu#retire(Object, Consumer) retired} on the domain: the reclaimer runs once, on a callback worker,
 * after a grace period. So the value is never reclaimed while a reference is held, nor while a read section that
 * could have found the {@code RcuRef} before the last release is open. The count never rises from zero:
 * {@code tryAcquire()} fails from then on.
 *
 * <p><b>Leak detection.</b> With {@link Builder#leakDetection(boolean) leakDetection} (default: the system property
 * {@value #LEAK_DETECTION_PROPERTY}), every handle captures the stack of its acquire, and a handle that becomes
 * unreachable without being released is reported at ERROR on the {@code io.jrcu} logger, with that stack, by a
 * {@link Cleaner}. The reference stays counted: the value is then never reclaimed, because whoever leaked the handle
 * may still use the value. Capturing a stack costs microseconds per acquire, so detection is off by default; the
 * property turns it on for a whole test run or a staging system without a code change, the builder option for one
 * object.
 *
 * <p><b>Threads.</b> Every method may be called from any thread. {@link #tryAcquire()} and the releases are
 * lock-free (a CAS loop on the count). Memory consistency effects: actions of a thread before it releases a
 * reference happen-before the reclaimer runs.
 *
 * @param <T> the type of the counted value
 */
public final class RcuRef<T> {
    /*
     * Overview.
     *
     * `count` is the number of references: the creator's until release(), plus one per unreleased handle.
     *
     *   tryAcquire:  c = lvCount(); loop { if c == 0 return null; if casCount(c, c + 1) return new Handle }
     *   release:     (once per reference, checked by a CAS on the reference's own flag)
     *                c = lvCount(); loop { if casCount(c, c - 1) break }; if c == 1: rcu.retire(value, reclaimer)
     *
     * Invariant: count never rises from zero (tryAcquire refuses zero), so exactly one release takes it from 1 to 0
     * and the value is retired exactly once. A reader inside a section that found this object before that release
     * still reads the value safely: the retire waits for its section.
     *
     * Ordering: every change of `count` is a volatile CAS, so the releases form one total order ending in the
     * 1 -> 0 CAS; the releasing thread then queues the value, and the domain's queue hands it to the worker
     * (partners: the callback queue's publication). The once-flags are volatile CAS (partner: each other, two
     * racing releases of one reference).
     *
     * Leak detection: a handle registers a Leak with the Cleaner. The Leak holds the acquire site and a name, never
     * the handle (or the handle would stay reachable). release() marks it released and cleans it (deregisters it);
     * a handle collected unreleased runs the Leak, which reports.
     */

    /** The system property that turns leak detection on for every {@code RcuRef} built without an explicit choice. */
    public static final String LEAK_DETECTION_PROPERTY = "jrcu.leakDetection";

    private static final boolean LEAK_DETECTION_DEFAULT = Boolean.getBoolean(LEAK_DETECTION_PROPERTY);
    private static final System.Logger LOG = System.getLogger("io.jrcu");
    private static final Cleaner CLEANER = DeferRing.CLEANER;

    private static final VarHandle COUNT = VarHandles.field(MethodHandles.lookup(), "count", int.class);
    private static final VarHandle CREATOR_RELEASED =
            VarHandles.field(MethodHandles.lookup(), "creatorReleased", int.class);

    private final Rcu rcu;
    private final T value;
    private final Consumer<? super T> reclaimer;
    private final String name;
    private final boolean leakDetection;
    /** References held: the creator's and one per unreleased handle; zero once retired. Through COUNT. */
    @SuppressWarnings("unused") // through COUNT
    private volatile int count = 1;
    /** 1 once the creator's reference is released; through CREATOR_RELEASED. */
    @SuppressWarnings("unused") // through CREATOR_RELEASED
    private volatile int creatorReleased;

    private RcuRef(Builder<T> b) {
        this.rcu = b.rcu;
        this.value = b.value;
        this.reclaimer = b.reclaimer;
        this.name = b.name;
        this.leakDetection = b.leakDetection;
    }

    /**
     * A counted value with default settings: leak detection as {@value #LEAK_DETECTION_PROPERTY} says.
     *
     * @param rcu       the domain whose grace period the reclaimer waits for
     * @param value     the counted value
     * @param reclaimer what frees the value, run once after the last release and a grace period
     * @param <T>       the type of the value
     * @return a new {@code RcuRef} holding its creator's reference (count 1)
     * @throws NullPointerException if an argument is null
     */
    public static <T> RcuRef<T> of(Rcu rcu, T value, Consumer<? super T> reclaimer) {
        return builder(rcu, value, reclaimer).build();
    }

    /**
     * A builder for a counted value.
     *
     * @param rcu       the domain whose grace period the reclaimer waits for
     * @param value     the counted value
     * @param reclaimer what frees the value, run once after the last release and a grace period
     * @param <T>       the type of the value
     * @return a new builder
     * @throws NullPointerException if an argument is null
     */
    public static <T> Builder<T> builder(Rcu rcu, T value, Consumer<? super T> reclaimer) {
        return new Builder<>(rcu, value, reclaimer);
    }

    /**
     * The value, for a reader inside a read section of the domain that found this {@code RcuRef} in the section
     * (valid until the section ends), or for a holder of a reference. Wait-free.
     *
     * @return the counted value
     */
    public T get() {
        return value;
    }

    /**
     * Takes a reference, unless the last one is gone. Called inside a read section, on an {@code RcuRef} found in
     * it (a reader that must keep the value beyond its section), or by a holder of a reference. Lock-free.
     *
     * @return a handle holding the new reference, which the caller releases; or null once the count has reached
     *         zero (the value is retired and must not be used beyond the section)
     */
    public Handle<T> tryAcquire() {
        // volatile loads; partner: the CAS of every acquire and release
        for (int c = lvCount(); c != 0; c = lvCount()) {
            if (casCount(c, c + 1)) {   // volatile CAS; partner: the CAS of every acquire and release
                return new Handle<>(this);
            }
        }
        return null;
    }

    /**
     * Releases the creator's reference (the one this {@code RcuRef} was created with): the publisher calls it once it
     * has unpublished the object. If no handle is held, the value is retired now: reclaimed after a grace period.
     * Lock-free.
     *
     * @throws IllegalStateException if the creator's reference was released already (the message names the count),
     *                               or, for the last reference, what {@link Rcu#retire(Object, Consumer)} throws
     *                               (the domain is closed: the reference is dropped, the value not reclaimed)
     */
    public void release() {
        // volatile CAS; partner: a racing second release(), which then throws
        if (!CREATOR_RELEASED.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("RcuRef '" + name + "': the creator's reference was released already"
                    + " (double release; " + state() + ")");
        }
        drop();
    }

    /** Drops one reference; the last one retires the value. */
    private void drop() {
        int c;
        do {
            c = lvCount();   // volatile load; partner: the CAS of every acquire and release
            if (c <= 0) {   // unreachable: each reference drops once, and no acquire succeeds at zero
                throw new IllegalStateException("RcuRef '" + name + "': released with no reference held ("
                        + state() + ")");
            }
        } while (!casCount(c, c - 1));   // volatile CAS; partner: the CAS of every acquire and release
        if (c == 1) {
            rcu.retire(value, reclaimer);   // the callback queue publishes it to the worker
        }
    }

    private int lvCount() {
        return (int) COUNT.getVolatile(this);
    }

    private boolean casCount(int expected, int next) {
        return COUNT.compareAndSet(this, expected, next);
    }

    private String state() {
        int c = lvCount();   // volatile load, for the message only
        boolean creator = (int) CREATOR_RELEASED.getVolatile(this) == 1;   // volatile load, for the message only
        return c == 0 ? "count 0, retired" : "count " + c + (creator ? ", creator's reference released" : "");
    }

    /**
     * The name, the count, and whether the creator's reference is released or the value retired.
     *
     * @return for example {@code RcuRef[config, count 2, creator's reference released]}
     */
    @Override
    public String toString() {
        return "RcuRef[" + name + ", " + state() + "]";
    }

    /**
     * One reference taken by {@link RcuRef#tryAcquire()}: the value stays unreclaimed until it is released.
     * {@link #close()} releases it, for try-with-resources. A handle may be passed to and released by another
     * thread.
     *
     * @param <T> the type of the counted value
     */
    public static final class Handle<T> implements AutoCloseable {
        private static final VarHandle RELEASED = VarHandles.field(MethodHandles.lookup(), "released", int.class);

        private final RcuRef<T> ref;
        /** Null without leak detection. */
        private final Leak leak;
        private final Cleaner.Cleanable cleanable;
        /** 1 once released; through RELEASED. */
        @SuppressWarnings("unused") // through RELEASED
        private volatile int released;

        private Handle(RcuRef<T> ref) {
            this.ref = ref;
            if (ref.leakDetection) {
                this.leak = new Leak(ref.name, new Throwable("acquired here, on thread '"
                        + Thread.currentThread().getName() + "'"));
                this.cleanable = CLEANER.register(this, leak);
            } else {
                this.leak = null;
                this.cleanable = null;
            }
        }

        /**
         * The value. Wait-free.
         *
         * @return the counted value, not reclaimed while this handle is unreleased
         * @throws IllegalStateException if this handle is released
         */
        public T get() {
            if ((int) RELEASED.getVolatile(this) != 0) {   // volatile load; partner: the CAS in release()
                throw new IllegalStateException("RcuRef '" + ref.name + "': get() on a released handle ("
                        + ref.state() + ")");
            }
            return ref.value;
        }

        /**
         * Releases this reference; the last reference of the {@code RcuRef} retires the value (reclaimed after a
         * grace period). Lock-free.
         *
         * @throws IllegalStateException if this handle is released already (double release; the message names the
         *                               count), or, for the last reference, what {@link Rcu#retire(Object, Consumer)}
         *                               throws (the domain is closed)
         */
        public void release() {
            // volatile CAS; partner: a racing second release, which then throws
            if (!RELEASED.compareAndSet(this, 0, 1)) {
                throw new IllegalStateException("RcuRef '" + ref.name + "': handle released twice (double release; "
                        + ref.state() + ")");
            }
            if (leak != null) {
                leak.released = true;
                cleanable.clean();   // deregisters; the Leak sees `released` and reports nothing
            }
            ref.drop();
        }

        /**
         * {@link #release()}, for try-with-resources.
         *
         * @throws IllegalStateException if this handle is released already
         */
        @Override
        public void close() {
            release();
        }

        @Override
        public String toString() {
            return "RcuRef.Handle[" + ref.name + ((int) RELEASED.getVolatile(this) != 0 ? ", released" : ", held")
                    + "]";
        }
    }

    /** A handle's leak report: the acquire site; never references the handle. */
    private static final class Leak implements Runnable {
        private final String name;
        private final Throwable acquired;
        /** Set by release() before it cleans; read by run() on the same thread, or by the Cleaner after it. */
        volatile boolean released;

        Leak(String name, Throwable acquired) {
            this.name = name;
            this.acquired = acquired;
        }

        @Override
        public void run() {
            if (!released) {   // volatile load; partner: the store in Handle.release()
                LOG.log(System.Logger.Level.ERROR, "jrcu: RcuRef '" + name + "': a handle became unreachable without"
                        + " release(); its reference stays counted and the value is never reclaimed", acquired);
            }
        }
    }

    /**
     * Builder for {@link RcuRef}, from {@link RcuRef#builder}. Not thread-safe.
     *
     * @param <T> the type of the counted value
     */
    public static final class Builder<T> {
        private final Rcu rcu;
        private final T value;
        private final Consumer<? super T> reclaimer;
        private String name = "rcu-ref";
        private boolean leakDetection = LEAK_DETECTION_DEFAULT;

        private Builder(Rcu rcu, T value, Consumer<? super T> reclaimer) {
            this.rcu = Objects.requireNonNull(rcu, "rcu");
            this.value = Objects.requireNonNull(value, "value");
            this.reclaimer = Objects.requireNonNull(reclaimer, "reclaimer");
        }

        /**
         * A name for messages and leak reports. Default {@code rcu-ref}.
         *
         * @param name the name
         * @return this builder
         * @throws NullPointerException if {@code name} is null
         */
        public Builder<T> name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Whether each handle records its acquire site and is reported if it becomes unreachable unreleased.
         * Default: the system property {@value RcuRef#LEAK_DETECTION_PROPERTY} ({@code true} or not).
         *
         * @param on whether leaks are detected
         * @return this builder
         */
        public Builder<T> leakDetection(boolean on) {
            this.leakDetection = on;
            return this;
        }

        /**
         * The counted value.
         *
         * @return a new {@code RcuRef} holding its creator's reference (count 1)
         */
        public RcuRef<T> build() {
            return new RcuRef<>(this);
        }
    }
}
