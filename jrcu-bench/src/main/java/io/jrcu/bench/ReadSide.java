package io.jrcu.bench;

import io.jrcu.BulletProofRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuCallback;
import io.jrcu.RcuReader;
import io.jrcu.RcuReference;
import io.jrcu.ReadSection;
import io.jrcu.testkit.Flavor;
import org.apache.cassandra.utils.concurrent.OpOrder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;
import java.util.function.LongSupplier;

/**
 * The read side against the peers: one read-side critical section that loads the current version of a small
 * object and reads a field of it, through each {@link Impl} in the same run. The score is nanoseconds per read.
 *
 * <p><b>Implementations</b> ({@code -p impl=...}): the limit ({@code volatileRead}: a plain volatile load of the
 * same data, no protection at all); jrcu memb / qsbr / bulletProof through a kept {@link RcuReader} handle
 * ({@code *Handle}) and through the thread-local {@code rcu.read()} ({@code *Implicit}); {@code bpToken} (a
 * bulletProof token section: {@code readLockToken()} and {@code readUnlock(token)}); {@code rwLock}
 * ({@link ReentrantReadWriteLock} read lock); {@code stampedRead} ({@link StampedLock#readLock()});
 * {@code stampedOptimistic} ({@link StampedLock#tryOptimisticRead()} and {@code validate}, falling back to the read
 * lock); {@code refCount} (an {@link AtomicInteger} count incremented and decremented around the read, the last
 * release freeing); {@code arenaShared} (a {@code MemorySegment.get} from a 64-byte segment of an
 * {@link Arena#ofShared()}); {@code opOrder} (Apache Cassandra's {@link OpOrder}: {@code start()}/{@code close()}
 * of a group around the read). A QSBR reader reports a quiescent state after every 64 reads (in the measured
 * method, so its cost is included) and is online only while a JMH iteration runs (see {@link ReaderThread}).
 *
 * <p><b>Benchmarks.</b>
 * <ul>
 *   <li>{@link #read()}: no writer; as many reader threads as {@code -t} says (the runner uses 1 and 2).</li>
 *   <li>group {@code updated}: one {@link #reader} and one {@link #updater} thread. The updater publishes a new
 *       version at most once per {@value #UPDATE_INTERVAL_NANOS} ns (the next update starts 10 µs after the
 *       previous one started, or at once if an update took longer — an {@code arenaShared} close takes tens of
 *       µs), and frees the old one the way each peer must: jrcu swaps the reference and hands the old version to
 *       {@link Rcu#call(RcuCallback)}, which poisons it after a grace period; the locks swap under the write lock
 *       and poison after unlocking; {@code refCount} drops the owner's count (the last reader poisons);
 *       {@code arenaShared} swaps and closes the old version's arena (a reader whose segment was closed under it
 *       gets {@link IllegalStateException} and reloads); {@code opOrder} swaps, then
 *       {@code newBarrier(); issue(); await()} before poisoning; {@code volatileRead} only swaps (garbage is the
 *       GC's). Read the {@code updated:reader} line; {@code updated:updater} is the update period.</li>
 *   <li>{@link #readPolymorphic}: as {@code read()}, but the section goes through a call site
 *       ({@link #sectionThroughHandle}, {@link #sectionThroughDomain}) that saw all three jrcu implementations
 *       during set-up ({@link MegamorphicCallSites}): what an application with several domain types pays. Only
 *       meaningful for the six jrcu handle and {@code rcu.read()} impls; for {@code bpToken} and the peers it
 *       measures the same as {@code read()}.</li>
 *   <li>{@link #readVirtual}: as {@code read()}, but on a virtual thread. JMH's threads are platform threads, so
 *       each JMH thread owns one long-lived virtual thread ({@link VirtualReaderThread}) that makes its own reader
 *       (registers, opens sections, goes online and offline: all on the virtual thread) and runs
 *       {@value #VIRTUAL_BATCH} reads per invocation; the invocation hands the batch over and waits for its sum
 *       (two {@link SynchronousQueue} hand-offs, a park and an unpark each way: microseconds against the
 *       milliseconds of the batch, so under 1% of the score for the jrcu impls). The score is nanoseconds per read
 *       ({@code @OperationsPerInvocation}). What a bulletProof section costs where the thread is virtual; the
 *       curated run measures {@code bpImplicit} this way.</li>
 * </ul>
 * Garbage stays bounded everywhere: a retired version is freed within a grace period (jrcu's callback budget and
 * the trial's check that every retired version was freed) or at once (the others).
 *
 * <p>Run (from the repository root; {@code java} must be a JDK 25 or later, for example
 * {@code /usr/lib/jvm/temurin-25-jdk-amd64/bin/java}):
 * <pre>
 * mvn -q -pl jrcu-bench -am package -DskipTests
 * java -jar jrcu-bench/target/benchmarks.jar 'ReadSide.read$' -t 1 -prof gc
 * java -jar jrcu-bench/target/benchmarks.jar 'ReadSide.read$' -t 2
 * java -jar jrcu-bench/target/benchmarks.jar 'ReadSide.read$' -p impl=bpToken,bpHandle -t 1   # then -t 2
 * java -jar jrcu-bench/target/benchmarks.jar 'ReadSide.readVirtual' -p impl=bpImplicit,bpHandle -t 1   # then -t 2
 * java -jar jrcu-bench/target/benchmarks.jar 'ReadSide.updated'
 * java -jar jrcu-bench/target/benchmarks.jar 'ReadSide.readPolymorphic' -prof gc -jvmArgsAppend -XX:-DoEscapeAnalysis \
 *     -p impl=membHandle,membImplicit,qsbrHandle,qsbrImplicit,bpHandle,bpImplicit
 * </pre>
 * The annotations make that one fork per impl, 3 warm-up and 5 measured iterations of 1 s (about 9 s per impl);
 * {@code -p impl=membHandle,rwLock} narrows the run. {@code gc.alloc.rate.norm} is bytes per read (goal: 0 for
 * every jrcu impl; {@code updated} also counts the updater's new versions).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class ReadSide extends ForkedBenchmark {

    /** The shortest time between the starts of two updates of the {@code updated} group: 10 µs. */
    static final long UPDATE_INTERVAL_NANOS = 10_000;
    /** What a freed version's field holds; a reader returning it would have read freed memory. */
    static final long POISON = 0xDEAD_BEEFL;
    /** Reads per invocation of {@link #readVirtual}: enough that the hand-off to the virtual thread is noise. */
    static final int VIRTUAL_BATCH = 100_000;

    /** The read paths, named as {@code -p impl=} takes them. */
    public enum Impl {
        volatileRead {
            @Override
            Peer create() {
                return new VolatilePeer();
            }
        },
        membHandle {
            @Override
            Peer create() {
                return new JrcuPeer(Flavor.MEMB, ReadPath.HANDLE);
            }
        },
        membImplicit {
            @Override
            Peer create() {
                return new JrcuPeer(Flavor.MEMB, ReadPath.DOMAIN);
            }
        },
        qsbrHandle {
            @Override
            Peer create() {
                return new JrcuPeer(Flavor.QSBR, ReadPath.HANDLE);
            }
        },
        qsbrImplicit {
            @Override
            Peer create() {
                return new JrcuPeer(Flavor.QSBR, ReadPath.DOMAIN);
            }
        },
        bpHandle {
            @Override
            Peer create() {
                return new JrcuPeer(Flavor.BULLET_PROOF, ReadPath.HANDLE);
            }
        },
        bpImplicit {
            @Override
            Peer create() {
                return new JrcuPeer(Flavor.BULLET_PROOF, ReadPath.DOMAIN);
            }
        },
        bpToken {
            @Override
            Peer create() {
                return new JrcuPeer(Flavor.BULLET_PROOF, ReadPath.TOKEN);
            }
        },
        rwLock {
            @Override
            Peer create() {
                return new ReadWriteLockPeer();
            }
        },
        stampedRead {
            @Override
            Peer create() {
                return new StampedLockPeer(false);
            }
        },
        stampedOptimistic {
            @Override
            Peer create() {
                return new StampedLockPeer(true);
            }
        },
        refCount {
            @Override
            Peer create() {
                return new RefCountPeer();
            }
        },
        arenaShared {
            @Override
            Peer create() {
                return new SharedArenaPeer();
            }
        },
        opOrder {
            @Override
            Peer create() {
                return new OpOrderPeer();
            }
        };

        /** The shared data and its writer for one trial. */
        abstract Peer create();
    }

    @Param({"volatileRead", "membHandle", "membImplicit", "qsbrHandle", "qsbrImplicit", "bpHandle", "bpImplicit",
            "bpToken", "rwLock", "stampedRead", "stampedOptimistic", "refCount", "arenaShared", "opOrder"})
    Impl impl;

    Peer peer;

    @Setup(Level.Trial)
    public void createPeer() {
        peer = impl.create();
    }

    /**
     * Run by the first thread out of the last iteration. Every thread has finished its invocations by then, and the
     * others go offline and unregister ({@link ReaderThread}) without waiting for anything, so a close that waits
     * for a final grace period ends.
     */
    @TearDown(Level.Trial)
    public void closePeer() {
        peer.close();
    }

    // ------------------------------------------------------------------ benchmark methods

    /** One read, no writer. See the class documentation for the command. */
    @Benchmark
    public long read(ReaderThread thread) {
        return thread.reader.read();
    }

    /**
     * {@value #VIRTUAL_BATCH} reads on the calling JMH thread's virtual thread; the score is per read. See the
     * class documentation for the command.
     */
    @Benchmark
    @OperationsPerInvocation(VIRTUAL_BATCH)
    public long readVirtual(VirtualReaderThread thread) {
        return thread.readBatch();
    }

    /** The reader of the {@code updated} group: one read while {@link #updater} publishes new versions. */
    @Benchmark
    @Group("updated")
    @GroupThreads(1)
    public long reader(ReaderThread thread) {
        return thread.reader.read();
    }

    /** The updater of the {@code updated} group: one update, then a wait until 10 µs after it started. */
    @Benchmark
    @Group("updated")
    @GroupThreads(1)
    public void updater() {
        long start = System.nanoTime();
        peer.update();
        while (System.nanoTime() - start < UPDATE_INTERVAL_NANOS) {
            Thread.onSpinWait();
        }
    }

    /** One read through the megamorphic call sites; {@code callSites} only has to be set up. */
    @Benchmark
    public long readPolymorphic(ReaderThread thread, MegamorphicCallSites callSites) {
        return thread.reader.readPolymorphic();
    }

    // ------------------------------------------------------------------ per-thread states

    /**
     * A reading JMH thread's reader. A QSBR reader is online from the start to the end of each iteration
     * ({@code @Setup}/{@code @TearDown(Level.Iteration)}, run by the thread itself) and offline otherwise. While it
     * waits at JMH's end-of-iteration latch it is online without reporting, which only delays the callback worker
     * of the {@code updated} group: nothing in this class blocks on a grace period (the updater's
     * {@link Rcu#call(RcuCallback)} never waits for readers below the callback budget), so nothing can wait for it
     * forever, and it is offline before the trial's tear-down closes the domain.
     */
    @State(Scope.Thread)
    public static class ReaderThread {
        Reader reader;

        @Setup(Level.Trial)
        public void register(ReadSide bench) {
            reader = bench.peer.newReader();
        }

        @Setup(Level.Iteration)
        public void resume() {
            reader.resume();
        }

        @TearDown(Level.Iteration)
        public void pause() {
            reader.pause();
        }

        @TearDown(Level.Trial)
        public void unregister() {
            reader.close();
        }
    }

    /**
     * A JMH thread's virtual thread, which makes its own {@link Reader} and runs everything on it: the reader's
     * creation, {@code resume}/{@code pause} (QSBR online and offline, as {@link ReaderThread}) and the batches of
     * {@link #readVirtual}. The JMH thread hands each task over through {@code tasks} and waits for its outcome on
     * {@code outcomes}; a failure of the task is rethrown on the JMH thread. The virtual thread is joined in the
     * trial's tear-down.
     */
    @State(Scope.Thread)
    public static class VirtualReaderThread {
        private final SynchronousQueue<LongSupplier> tasks = new SynchronousQueue<>();
        private final SynchronousQueue<Outcome> outcomes = new SynchronousQueue<>();
        private Thread virtual;
        /** Made and used on the virtual thread only. */
        private Reader reader;

        private record Outcome(long value, Throwable failure) {
        }

        @Setup(Level.Trial)
        public void start(ReadSide bench) {
            virtual = Thread.ofVirtual().name("jmh-virtual-reader").start(this::serve);
            run(() -> {
                reader = bench.peer.newReader();
                return 0;
            });
        }

        private void serve() {
            try {
                for (LongSupplier task; (task = tasks.take()) != STOP; ) {
                    Outcome outcome;
                    try {
                        outcome = new Outcome(task.getAsLong(), null);
                    } catch (Throwable e) {   // an Error too: the JMH thread waits for an outcome
                        outcome = new Outcome(0, e);
                    }
                    outcomes.put(outcome);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private long run(LongSupplier task) {
            try {
                tasks.put(task);
                Outcome outcome = outcomes.take();
                if (outcome.failure() != null) {
                    throw new IllegalStateException("on the virtual reader thread", outcome.failure());
                }
                return outcome.value();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the virtual reader thread ran a task", e);
            }
        }

        private final LongSupplier batch = () -> {
            long sum = 0;
            for (int i = 0; i < VIRTUAL_BATCH; i++) {
                sum += reader.read();
            }
            return sum;
        };

        long readBatch() {
            return run(batch);
        }

        @Setup(Level.Iteration)
        public void resume() {
            run(() -> {
                reader.resume();
                return 0;
            });
        }

        @TearDown(Level.Iteration)
        public void pause() {
            run(() -> {
                reader.pause();
                return 0;
            });
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            try {
                run(() -> {
                    reader.close();
                    return 0;
                });
            } finally {
                tasks.put(STOP);
                virtual.join();
            }
        }

        /** The task that ends {@link #serve}; compared by identity. */
        private static final LongSupplier STOP = () -> 0;
    }

    /**
     * Makes {@link #sectionThroughHandle} and {@link #sectionThroughDomain} megamorphic before anything is
     * measured: the setting thread opens sections of a memb, a qsbr and a bulletProof domain through them, in turn,
     * {@value #ROUNDS} times each (enough for their tier-3 profiles to record all three receiver classes, and for C2
     * to compile them with that profile), then closes those domains. Nothing is done for the peers.
     */
    @State(Scope.Thread)
    public static class MegamorphicCallSites {
        static final int ROUNDS = 50_000;
        /** The warm-up's reads, stored so that they cannot be dropped. */
        long checksum;

        @Setup(Level.Trial)
        public void pollute(ReadSide bench) {
            if (!(bench.peer instanceof JrcuPeer)) {
                return;
            }
            RcuReference<JrcuVersion> ref = new RcuReference<>(new JrcuVersion(1, new AtomicLong()));
            Flavor[] flavors = Flavor.values();
            Rcu[] domains = new Rcu[flavors.length];
            RcuReader[] handles = new RcuReader[flavors.length];
            for (int i = 0; i < flavors.length; i++) {
                domains[i] = flavors[i].build();
                domains[i].registerThread();   // QSBR: registered and online until unregistered below
                handles[i] = domains[i].reader();
            }
            long sum = 0;
            for (int round = 0; round < ROUNDS; round++) {
                for (int i = 0; i < domains.length; i++) {
                    sum += sectionThroughHandle(handles[i], ref);
                    sum += sectionThroughDomain(domains[i], ref);
                }
            }
            for (Rcu domain : domains) {
                domain.unregisterThread();
                domain.close();
            }
            checksum = sum;
        }
    }

    /** The handle call site of {@link #readPolymorphic}. */
    static long sectionThroughHandle(RcuReader handle, RcuReference<JrcuVersion> ref) {
        try (ReadSection s = handle.read()) {
            return ref.get().value;
        }
    }

    /** The implicit ({@code rcu.read()}) call site of {@link #readPolymorphic}. */
    static long sectionThroughDomain(Rcu rcu, RcuReference<JrcuVersion> ref) {
        try (ReadSection s = rcu.read()) {
            return ref.get().value;
        }
    }

    // ------------------------------------------------------------------ the adapters

    /** One impl's shared data and writer. */
    abstract static class Peer {
        /** Updates since the trial began; written by the single updater thread only. */
        long updates;

        /** The calling thread's reader (registering it where the impl needs that). */
        abstract Reader newReader();

        /** Publishes a new version and frees the old one the way this impl must. Single updater thread. */
        abstract void update();

        /** Closes what the trial opened and checks that every replaced version was freed. */
        abstract void close();

        final void checkFreed(long freed) {
            if (freed != updates) {
                throw new IllegalStateException(getClass().getSimpleName() + ": " + updates
                        + " versions replaced but " + freed + " freed");
            }
        }
    }

    /** One thread's way of reading a {@link Peer}; used by that thread only. */
    abstract static class Reader {
        /** One read section: load the current version and read its field. */
        abstract long read();

        /** {@link #read()} through the megamorphic call sites (the same as {@code read()} for the peers). */
        long readPolymorphic() {
            return read();
        }

        /** The thread starts an iteration (QSBR: online). */
        void resume() {
        }

        /** The thread ended an iteration (QSBR: offline). */
        void pause() {
        }

        /** The thread is done (unregisters). */
        void close() {
        }
    }

    /** An immutable-looking version whose field the writer overwrites with {@link #POISON} when it frees it. */
    static final class Version {
        long value;

        Version(long value) {
            this.value = value;
        }
    }

    // ---- the limit

    /** A volatile field, nothing else: what no protection costs. */
    static final class VolatilePeer extends Peer {
        volatile Version current = new Version(0);  // volatile store and load: safe publication only

        @Override
        Reader newReader() {
            return new Reader() {
                @Override
                long read() {
                    return current.value;
                }
            };
        }

        @Override
        void update() {
            current = new Version(++updates);
        }

        @Override
        void close() {
        }
    }

    // ---- jrcu

    /** A jrcu version: retired with {@link Rcu#call(RcuCallback)}, freed (poisoned) by the callback. */
    static final class JrcuVersion extends RcuCallback {
        long value;
        private final AtomicLong freed;

        JrcuVersion(long value, AtomicLong freed) {
            this.value = value;
            this.freed = freed;
        }

        @Override
        protected void invoke() {
            value = POISON;
            freed.incrementAndGet();
        }
    }

    /** How a {@link JrcuPeer}'s readers open their sections. */
    enum ReadPath {
        /** Through the thread's kept {@link RcuReader} handle. */
        HANDLE,
        /** Through {@code rcu.read()}: the thread-local lookup each time. */
        DOMAIN,
        /** bulletProof only: {@link BulletProofRcu#readLockToken()} and {@link BulletProofRcu#readUnlock(long)}. */
        TOKEN
    }

    /** A jrcu domain of one flavor, read along one {@link ReadPath}. */
    static final class JrcuPeer extends Peer {
        final Flavor flavor;
        final ReadPath path;
        final Rcu rcu;
        final AtomicLong freed = new AtomicLong();
        final RcuReference<JrcuVersion> ref = new RcuReference<>(new JrcuVersion(0, freed));

        JrcuPeer(Flavor flavor, ReadPath path) {
            if (path == ReadPath.TOKEN && flavor != Flavor.BULLET_PROOF) {
                throw new IllegalArgumentException("token sections are bulletProof's, not " + flavor + "'s");
            }
            this.flavor = flavor;
            this.path = path;
            this.rcu = flavor.build();
        }

        @Override
        Reader newReader() {
            if (path == ReadPath.TOKEN) {
                return new TokenReader(this, (BulletProofRcu) rcu);
            }
            RcuReader handle = BenchReaders.register(rcu);   // QSBR: registered, offline until resume()
            if (flavor == Flavor.QSBR) {
                return path == ReadPath.HANDLE
                        ? new QsbrHandleReader(this, (QsbrRcu.Reader) handle)
                        : new QsbrDomainReader(this, (QsbrRcu) rcu);
            }
            return path == ReadPath.HANDLE ? new HandleReader(this, handle) : new DomainReader(this);
        }

        @Override
        void update() {
            JrcuVersion old = ref.getAndSet(new JrcuVersion(++updates, freed));
            rcu.call(old);   // poisoned after a grace period, on the callback worker
        }

        @Override
        void close() {
            rcu.close();     // runs every pending callback
            checkFreed(freed.get());
        }
    }

    /** memb and bulletProof through a kept handle. */
    static final class HandleReader extends Reader {
        private final JrcuPeer peer;
        private final RcuReader handle;
        private final RcuReference<JrcuVersion> ref;

        HandleReader(JrcuPeer peer, RcuReader handle) {
            this.peer = peer;
            this.handle = handle;
            this.ref = peer.ref;
        }

        @Override
        long read() {
            try (ReadSection s = handle.read()) {
                return ref.get().value;
            }
        }

        @Override
        long readPolymorphic() {
            return sectionThroughHandle(handle, ref);
        }

        @Override
        void close() {
            BenchReaders.unregister(peer.rcu);
        }
    }

    /** memb and bulletProof through {@code rcu.read()} (the thread-local lookup each time). */
    static final class DomainReader extends Reader {
        private final JrcuPeer peer;
        private final Rcu rcu;
        private final RcuReference<JrcuVersion> ref;

        DomainReader(JrcuPeer peer) {
            this.peer = peer;
            this.rcu = peer.rcu;
            this.ref = peer.ref;
        }

        @Override
        long read() {
            try (ReadSection s = rcu.read()) {
                return ref.get().value;
            }
        }

        @Override
        long readPolymorphic() {
            return sectionThroughDomain(rcu, ref);
        }

        @Override
        void close() {
            BenchReaders.unregister(peer.rcu);
        }
    }

    /**
     * bulletProof through {@link BulletProofRcu#readLockToken()} and {@link BulletProofRcu#readUnlock(long)}: the
     * cross-thread section, here opened and closed by the same thread.
     */
    static final class TokenReader extends Reader {
        private final BulletProofRcu rcu;
        private final RcuReference<JrcuVersion> ref;

        TokenReader(JrcuPeer peer, BulletProofRcu rcu) {
            this.rcu = rcu;
            this.ref = peer.ref;
        }

        @Override
        long read() {
            long token = rcu.readLockToken();
            try {
                return ref.get().value;
            } finally {
                rcu.readUnlock(token);
            }
        }
    }

    /** QSBR through a kept handle: a quiescent state every 64 reads; online only during iterations. */
    static final class QsbrHandleReader extends Reader {
        private final JrcuPeer peer;
        private final QsbrRcu.Reader handle;
        private final RcuReference<JrcuVersion> ref;
        private int reads;

        QsbrHandleReader(JrcuPeer peer, QsbrRcu.Reader handle) {
            this.peer = peer;
            this.handle = handle;
            this.ref = peer.ref;
        }

        @Override
        long read() {
            long value;
            try (ReadSection s = handle.read()) {
                value = ref.get().value;
            }
            if ((++reads & 63) == 0) {
                handle.quiescent();
            }
            return value;
        }

        @Override
        long readPolymorphic() {
            long value = sectionThroughHandle(handle, ref);
            if ((++reads & 63) == 0) {
                handle.quiescent();
            }
            return value;
        }

        @Override
        void resume() {
            handle.online();
        }

        @Override
        void pause() {
            handle.offline();
        }

        @Override
        void close() {
            BenchReaders.unregister(peer.rcu);
        }
    }

    /** QSBR through {@code rcu.read()} and {@code rcu.quiescent()} (thread-local lookups). */
    static final class QsbrDomainReader extends Reader {
        private final JrcuPeer peer;
        private final QsbrRcu rcu;
        private final RcuReference<JrcuVersion> ref;
        private int reads;

        QsbrDomainReader(JrcuPeer peer, QsbrRcu rcu) {
            this.peer = peer;
            this.rcu = rcu;
            this.ref = peer.ref;
        }

        @Override
        long read() {
            long value;
            try (ReadSection s = rcu.read()) {
                value = ref.get().value;
            }
            if ((++reads & 63) == 0) {
                rcu.quiescent();
            }
            return value;
        }

        @Override
        long readPolymorphic() {
            long value = sectionThroughDomain(rcu, ref);
            if ((++reads & 63) == 0) {
                rcu.quiescent();
            }
            return value;
        }

        @Override
        void resume() {
            rcu.online();
        }

        @Override
        void pause() {
            rcu.offline();
        }

        @Override
        void close() {
            BenchReaders.unregister(peer.rcu);
        }
    }

    // ---- locks

    /** {@link ReentrantReadWriteLock}: the version field is guarded by the lock (a plain field). */
    static final class ReadWriteLockPeer extends Peer {
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        Version current = new Version(0);   // guarded by lock
        long freed;

        @Override
        Reader newReader() {
            Lock readLock = lock.readLock();
            return new Reader() {
                @Override
                long read() {
                    readLock.lock();
                    try {
                        return current.value;
                    } finally {
                        readLock.unlock();
                    }
                }
            };
        }

        @Override
        void update() {
            Lock writeLock = lock.writeLock();
            Version old;
            writeLock.lock();
            try {
                old = current;
                current = new Version(++updates);
            } finally {
                writeLock.unlock();
            }
            old.value = POISON;   // no reader can hold it: they only touch versions under the read lock
            freed++;
        }

        @Override
        void close() {
            checkFreed(freed);
        }
    }

    /** {@link StampedLock}: read lock, or an optimistic read validated afterwards (falling back to the lock). */
    static final class StampedLockPeer extends Peer {
        final StampedLock lock = new StampedLock();
        final boolean optimistic;
        Version current = new Version(0);   // written under the write lock; read under a read or optimistic stamp
        long freed;

        StampedLockPeer(boolean optimistic) {
            this.optimistic = optimistic;
        }

        @Override
        Reader newReader() {
            if (optimistic) {
                return new Reader() {
                    @Override
                    long read() {
                        long stamp = lock.tryOptimisticRead();
                        long value = current.value;  // racy; may be a poisoned old version, then validate fails
                        if (lock.validate(stamp)) {  // acquire fence; partner: the write lock's release
                            return value;
                        }
                        stamp = lock.readLock();
                        try {
                            return current.value;
                        } finally {
                            lock.unlockRead(stamp);
                        }
                    }
                };
            }
            return new Reader() {
                @Override
                long read() {
                    long stamp = lock.readLock();
                    try {
                        return current.value;
                    } finally {
                        lock.unlockRead(stamp);
                    }
                }
            };
        }

        @Override
        void update() {
            Version old;
            long stamp = lock.writeLock();
            try {
                old = current;
                current = new Version(++updates);
            } finally {
                lock.unlockWrite(stamp);
            }
            old.value = POISON;   // a reader holding it optimistically fails validate() and rereads under the lock
            freed++;
        }

        @Override
        void close() {
            checkFreed(freed);
        }
    }

    // ---- reference counting

    /** A version with an {@link AtomicInteger} count: 1 for the owner (the current pointer) plus one per reader. */
    static final class CountedVersion {
        /** Set once the count reached zero and the version was freed: a reader's increment then stays negative. */
        static final int FREED = Integer.MIN_VALUE / 2;
        final AtomicInteger refs = new AtomicInteger(1);
        long value;

        CountedVersion(long value) {
            this.value = value;
        }
    }

    /**
     * Reference counting as Netty and Lucene do it: a reader increments the count of the version it loaded, reads,
     * and decrements; the writer swaps the pointer and drops the owner's count; whoever brings it to zero frees it.
     */
    static final class RefCountPeer extends Peer {
        final AtomicReference<CountedVersion> current = new AtomicReference<>(new CountedVersion(0));
        final AtomicLong freed = new AtomicLong();

        @Override
        Reader newReader() {
            return new Reader() {
                @Override
                long read() {
                    for (;;) {
                        CountedVersion v = current.get();          // volatile load; partner: update's getAndSet
                        if (v.refs.getAndIncrement() >= 0) {       // volatile RMW: not freed, and now it cannot be
                            long value = v.value;
                            release(v);
                            return value;
                        }
                        v.refs.getAndDecrement();  // freed under us (the writer swapped it): undo, load the new one
                    }
                }
            };
        }

        /** Drops one count; the one that brings it to zero (and wins the race to mark it) frees it. */
        void release(CountedVersion v) {
            if (v.refs.decrementAndGet() == 0 && v.refs.compareAndSet(0, CountedVersion.FREED)) {
                v.value = POISON;
                freed.incrementAndGet();
            }
        }

        @Override
        void update() {
            release(current.getAndSet(new CountedVersion(++updates)));
        }

        @Override
        void close() {
            checkFreed(freed.get());
        }
    }

    // ---- shared arena

    /**
     * Each version is a 64-byte segment of its own {@link Arena#ofShared()}; freeing it is closing that arena (a
     * handshake with every thread). A reader whose segment is closed under it gets {@link IllegalStateException}
     * from the FFM runtime and reloads the current segment.
     */
    static final class SharedArenaPeer extends Peer {
        volatile MemorySegment current;   // volatile store and load: safe publication of the new segment
        private Arena arena;              // the current segment's; updater thread only
        long freed;

        SharedArenaPeer() {
            arena = Arena.ofShared();
            current = newSegment(arena, 0);
        }

        private static MemorySegment newSegment(Arena arena, long value) {
            MemorySegment segment = arena.allocate(64, 8);
            segment.set(ValueLayout.JAVA_LONG, 0, value);
            return segment;
        }

        @Override
        Reader newReader() {
            return new Reader() {
                @Override
                long read() {
                    for (;;) {
                        MemorySegment segment = current;
                        try {
                            return segment.get(ValueLayout.JAVA_LONG, 0);
                        } catch (IllegalStateException closed) {
                            // its arena was closed under us: the updater has published a newer segment
                        }
                    }
                }
            };
        }

        @Override
        void update() {
            Arena old = arena;
            arena = Arena.ofShared();
            current = newSegment(arena, ++updates);
            old.close();
            freed++;
        }

        @Override
        void close() {
            arena.close();
            checkFreed(freed);
        }
    }

    // ---- Cassandra OpOrder

    /**
     * Cassandra's {@link OpOrder}: readers run inside a group ({@code start()} ... {@code close()}); the writer swaps,
     * then waits with a barrier ({@code newBarrier(); issue(); await()}) for every group that could see the old
     * version before freeing it.
     */
    static final class OpOrderPeer extends Peer {
        final OpOrder order = new OpOrder();
        volatile Version current = new Version(0);  // volatile store and load: safe publication
        long freed;

        @Override
        Reader newReader() {
            return new Reader() {
                @Override
                long read() {
                    try (OpOrder.Group group = order.start()) {
                        return current.value;
                    }
                }
            };
        }

        @Override
        void update() {
            Version old = current;
            current = new Version(++updates);
            OpOrder.Barrier barrier = order.newBarrier();
            barrier.issue();
            barrier.await();      // every group started before issue() has closed
            old.value = POISON;
            freed++;
        }

        @Override
        void close() {
            checkFreed(freed);
        }
    }
}
