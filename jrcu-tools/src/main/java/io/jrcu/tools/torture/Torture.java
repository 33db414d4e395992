package io.jrcu.tools.torture;

import io.jrcu.MembRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuBuilder;
import io.jrcu.RcuReference;
import io.jrcu.RcuStats;
import io.jrcu.arena.ArenaStats;
import io.jrcu.arena.RcuArena;
import io.jrcu.map.RcuBytesMap;
import io.jrcu.map.RcuLongMap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

/**
 * The torture engine: one run of one flavor in one {@link ReclaimMode}, in the spirit of Linux's rcutorture and
 * liburcu's rcutorture.h. Writers keep replacing a shared object and age what they removed by one per grace period
 * (sync), or hand it to the library's callbacks, which age and free it after a grace period (call, retire, defer);
 * readers record the ages they see; a reader that sees age 2 or more, or a freed object, proves that a grace period
 * (or a callback) ended while it was still inside its read section. In the callback modes every callback also has
 * an id, and barrier checkpoints prove that none was lost or run twice. In the arena modes writers publish off-heap
 * segments from an {@link RcuArena} (with debug checks, or through its per-thread caches) and free the ones they
 * replace, and readers check every byte: poison or another segment's bytes prove that the arena reused memory under
 * a reader. In the map mode writers churn an {@link RcuLongMap} whose values name their key and a generation, and
 * readers look keys up: another key's value, a value never stored, or a released table proves an entry or a table
 * reused under a reader. Use {@link #run}.
 */
public final class Torture {
    /*
     * Shared state of a run:
     *   current      RcuReference<TortureObject>, the published object
     *   free pool    objects nobody can reach (age FREED), a concurrent queue
     *   stopping     volatile flag; readers and writers poll it between observations / updates
     *   segments     arena modes (SegmentSlots): an RcuArena (debug in arena, with thread caches in arena-fast)
     *                and a few slots, each an RcuReference<MemorySegment>; current and the pool stay unused
     *
     *   writers (TortureWriter)        sync: replace current, wait for a grace period, age removed objects by 1,
     *                                  poison and free those of age AGE_LIMIT; misuse: the same, each wait bounded
     *                                  by STALL_LIMIT (a stalled domain fails the writer, and close() is bounded too)
     *   writers (CallbackWriter)       call/retire/defer: replace current, set age 1, hand the old object to the
     *                                  library; its callback (TortureObject.reclaim, after a grace period) sets age
     *                                  2, poisons and frees it, and records its id in the writer's CallbackLedger;
     *                                  every barrierEvery ids and at the end the writer calls barrier() and checks
     *                                  that every id issued before ran exactly once
     *   writers (ArenaWriter)          arena, arena-fast: allocate a segment, fill it with a pattern, publish it
     *                                  in a random slot, free the old one; wait for a grace period every so many
     *                                  bytes freed; arena-fast: writer 0 hands its thread cache back now and then
     *   writers (MapWriter)            map: overwrite, remove and reinsert keys of an RcuLongMap (values name the
     *                                  key and a generation), grow and shrink its table with bursts of keys; wait
     *                                  for the released tables (barrier) above a soft limit of off-heap bytes
     *   misuse (MisuseReader)          misuse mode: platform readers that also misuse the domain inside and outside
     *                                  their sections; each misuse is judged refused or accepted (Misuse.judge)
     *   readers (TortureReader)        platform threads, virtual threads (memb, bulletProof), or QSBR online threads;
     *                                  each observation (ReadCheck) reads an object's age at the start and the end
     *                                  of a protected interval (AgeCheck), or every byte of a segment (SegmentCheck),
     *                                  and lands in the reader's own histogram: 0, 1, >= 2, freed
     *   the calling thread (monitor)   awaits the first failure with a one-second timeout (no sleeping), samples
     *                                  the per-thread counters for the progress line, then stops and joins all
     *
     * Why age >= 2 means a too-short grace period: an object reaches age 1 when it is removed and age 2 only after
     * its remover completed a grace period that started after the removal. A reader holding it loaded it before the
     * removal, so the reader's interval began before that grace period, and must have ended before it did (see
     * AgeCheck). Freed objects (age FREED, or an age that went down: reset for reuse) are two grace periods
     * further on. With a correct domain the histogram's last two buckets stay empty; with the fault
     * SKIP_READER_WAIT (grace periods that do not wait for readers) they fill within milliseconds — the proof that
     * the oracle can fail.
     *
     * The same argument holds for a callback: the library may run it only after a grace period that began after
     * the removal, so a reader that loaded the object before the removal must have left before the callback's
     * age 2 or poison is written. Seeing either means the callback ran under a reader: too early.
     *
     * Counters are per thread (OwnerCounters), merged by the monitor: nothing is contended but `current`, which is
     * the point. Pool size: one published object, plus per writer one in hand and AGE_LIMIT - 1 removed, plus slack;
     * a small pool recycles objects quickly, so a broken grace period soon shows as a freed object too. In the
     * asynchronous modes the callbacks hold the removed objects, as many as the writers issued since their last
     * checkpoint; the pool starts at the same size and the writers allocate when it is empty, so it grows to what
     * is in flight and no further.
     *
     * The arena modes reason the same way about memory: the arena may poison (debug) or reuse a freed block only
     * after a grace period that began after the free, which came after the replacement; a reader that loaded the
     * segment before the replacement must have left by then, so it reads only the writer's bytes (SegmentCheck).
     * In arena-fast a thread's cache queues its frees later than they happen (under a later cookie: only later
     * reuse), and nothing is poisoned: early reuse shows as the bytes of the generation that got the block next.
     *
     * Results are taken after every thread was joined and the domain closed (close runs whatever is still
     * pending), so the domain's statistics are final: in the callback modes callbacks queued = invoked = ids
     * issued, unless the library lost or duplicated a callback (a mismatch is reported as a note). In the arena
     * modes the published segments are freed and the arena closed before the domain, with its stats taken at both
     * points (ArenaOutcome). The last segments are freed by a new thread: in arena-fast the writers have ended, and
     * their caches (collected frees, magazines, byte counters) are recovered when the next new thread uses the
     * arena, which this makes happen before the quiescent stats (else only close() would cover them).
     */

    /** Age at which a removed object is poisoned and freed: two grace periods after its removal. */
    static final int AGE_LIMIT = 3;
    /** How often the monitor reports progress. */
    static final Duration PROGRESS_INTERVAL = Duration.ofSeconds(1);
    /** How long stopped threads get to finish before the run is declared hung. */
    static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);
    /** Misuse mode: threads that misuse the domain, beside the readers and writers. */
    static final int MISUSE_THREADS = 2;
    private static final int SPARE_OBJECTS = 2;
    private static final AtomicBoolean WARMED_UP = new AtomicBoolean();

    private final TortureConfig config;
    private final Rcu rcu;
    final RcuReference<TortureObject> current;
    private final Queue<TortureObject> freePool = new ConcurrentLinkedQueue<>();
    private final TortureThreads threads = new TortureThreads(this::stop);
    private final List<TortureReader> readers = new ArrayList<>();
    private final List<TortureWriter> writers = new ArrayList<>();
    private final List<CallbackWriter> callbackWriters = new ArrayList<>();
    private final List<ArenaWriter> arenaWriters = new ArrayList<>();
    /** Misuse mode: the misuse threads (also in `readers`; none in the other modes) and what they share (null). */
    private final List<MisuseReader> misuseReaders = new ArrayList<>();
    private final MisuseTargets misuseTargets;
    /** Arena modes: the arena and its slots (null in the other modes). */
    private final SegmentSlots segments;
    /** Map mode: the map and the newest generation stored per key (null in the other modes). */
    private final RcuLongMap map;
    private final AtomicLongArray newestGeneration;
    private final List<MapWriter> mapWriters = new ArrayList<>();
    /** Bytes-map mode: the map (null in the other modes); newestGeneration holds its keys' generations. */
    private final RcuBytesMap bytesMap;
    private final List<ByteMapWriter> byteMapWriters = new ArrayList<>();
    /** What every reader's observation checks. */
    private final ReadCheck readCheck;
    /** Ids of objects made on demand (asynchronous modes). */
    private final AtomicInteger nextObjectId = new AtomicInteger();
    private final boolean stopAtFirstError;
    /** Set once, to end the run; volatile: readers and writers poll it (see stopping()). */
    private volatile boolean stopping;
    /** Set before the threads start (Thread.start orders it for them). */
    private long startNanos;

    private Torture(TortureConfig config, boolean stopAtFirstError) {
        this.config = Objects.requireNonNull(config, "config");
        this.stopAtFirstError = stopAtFirstError;
        String domainName = "torture-" + config.flavor().shortName()
                + (config.mode() != ReclaimMode.SYNC ? "-" + config.mode().cliName() : "");
        Consumer<RcuBuilder<?>> settings = b -> b.name(domainName)
                .errorHandler(e -> threads.fail(Thread.currentThread().getName() + " (domain error handler)", e));
        this.rcu = config.skipReaderWait() ? config.flavor().buildBroken(settings) : config.flavor().build(settings);
        // right after the domain: for bulletProof it builds the domains whose tokens must not pass for its own
        this.misuseTargets = config.mode().misuse() ? MisuseTargets.of(rcu, MISUSE_THREADS) : null;
        int objects = 1 + config.writers() * (1 + AGE_LIMIT) + SPARE_OBJECTS;
        for (int id = 1; id < objects; id++) {
            freePool.add(new TortureObject(id));
        }
        nextObjectId.set(objects);
        TortureObject first = new TortureObject(0);
        first.soAge(0);
        this.current = new RcuReference<>(first); // release store; pairs with the readers' acquire get()
        if (config.mode().map()) {
            map = RcuLongMap.create(rcu);
            newestGeneration = new AtomicLongArray(config.writers() * MapWriter.KEYS_PER_WRITER);
        } else {
            map = null;
            newestGeneration = config.mode().bytesMap()
                    ? new AtomicLongArray(config.writers() * ByteMapWriter.KEYS_PER_WRITER) : null;
        }
        bytesMap = config.mode().bytesMap() ? RcuBytesMap.builder(rcu).debugArena(true).build() : null;
        if (config.mode().arena()) {
            segments = new SegmentSlots(rcu, "torture-" + config.flavor().shortName() + "-" + config.mode().cliName(),
                    config.mode() == ReclaimMode.ARENA);
            readCheck = new SegmentCheck(segments);
        } else {
            segments = null;
            readCheck = map != null ? new MapCheck(map, newestGeneration)
                    : bytesMap != null ? new ByteMapCheck(rcu, bytesMap, newestGeneration) : new AgeCheck(current);
        }
    }

    /**
     * Runs {@code config} to the end (or to the first failed thread) and returns the outcome. Calls
     * {@code progress} from the calling thread about once a second. Every thread started is joined before this
     * returns; the domain is closed.
     *
     * @throws IllegalStateException if threads do not stop within {@link #JOIN_TIMEOUT} after the run (a hang); the
     *                               message holds their stacks
     * @throws InterruptedException  if the calling thread is interrupted; the run is stopped and joined first
     */
    public static TortureResult run(TortureConfig config, Consumer<Progress> progress) throws InterruptedException {
        return new Torture(config, false).run(progress);
    }

    /**
     * Like {@link #run(TortureConfig, Consumer)}, but ends the run as soon as a reader or a callback ledger sees its
     * first error: the tests of the broken twins run until caught, with the duration as the limit.
     */
    static TortureResult runUntilFirstError(TortureConfig config, Consumer<Progress> progress)
            throws InterruptedException {
        return new Torture(config, true).run(progress);
    }

    /**
     * Once per JVM, before the first run: a throwaway domain runs a grace period, each kind of callback and a
     * barrier, so that one-time costs land outside the timed run. The first grace period and the first callback
     * batch of a JVM initialize jrcu's JFR event classes, which takes 0.3 s to over 1 s on 2 busy cores — the whole
     * of a short run's first second otherwise (the first barrier checkpoint of an asynchronous run waits for it).
     */
    static void warmUpOnce() {
        if (!WARMED_UP.compareAndSet(false, true)) {
            return;
        }
        try (MembRcu domain = MembRcu.builder().name("torture-warm-up").build()) {
            domain.synchronize();
            domain.call(() -> { });
            domain.retire(new Object(), o -> { });
            domain.defer(() -> { });
            domain.barrier();
        }
    }

    private TortureResult run(Consumer<Progress> progress) throws InterruptedException {
        warmUpOnce();
        long elapsedNanos;
        boolean joined = false;
        Optional<ArenaOutcome> arena = Optional.empty();
        boolean domainClosed = false;
        try {
            try {
                startNanos = System.nanoTime();
                startThreads();
                monitor(progress);
            } finally {
                stop();
                elapsedNanos = System.nanoTime() - startNanos;
                threads.joinAll(JOIN_TIMEOUT);
                joined = true;
            }
        } finally {
            if (joined) {  // a hung thread might hold up close() too: leave the domain to the garbage collector
                try {
                    if (segments != null) {
                        arena = Optional.of(closeArena());
                    }
                    if (map != null) {
                        closeMap();
                    }
                    if (bytesMap != null) {
                        closeBytesMap();
                    }
                } catch (RuntimeException e) {  // the arena refused a free or its close, or the map failed to close
                    threads.fail(Thread.currentThread().getName() + " (freeing the last segments, closing the arena)",
                            e);
                } finally {
                    domainClosed = closeDomain();
                    if (misuseTargets != null) {
                        misuseTargets.close();
                    }
                }
            }
        }
        return result(Duration.ofNanos(elapsedNanos), rcu.stats(), arena, domainClosed);
    }

    /**
     * Closes the domain; in misuse mode with a bounded wait, as a stalled domain would never close: it is then left
     * to the garbage collector (its threads are daemons), the run fails, and this returns false.
     */
    private boolean closeDomain() throws InterruptedException {
        if (!config.mode().misuse()) {
            rcu.close();
            return true;
        }
        String name = "jrcu-torture-" + config.flavor().shortName() + "-misuse-closer";
        Thread closer = Thread.ofPlatform().daemon().name(name).start(() -> {
            try {
                rcu.close();
            } catch (RuntimeException e) {
                threads.fail(name, e);
            }
        });
        if (closer.join(TortureWriter.STALL_LIMIT)) {
            return true;
        }
        threads.fail(name, new IllegalStateException("the domain stalled: close() did not return within "
                + TortureWriter.STALL_LIMIT.toSeconds() + " s (" + rcu + ")"));
        return false;
    }

    /**
     * Arena modes, after every thread was joined: frees the published segments (on a new thread), takes the stats (a
     * quiescent moment), closes the arena (before the domain: it waits for the grace periods of its frees), takes
     * them again, and probes the last published segments, whose memory close() must have released.
     */
    private ArenaOutcome closeArena() throws InterruptedException {
        long segmentsPublished = 0, large = 0, gracePeriods = 0, cacheFlushes = 0, peakReserved = 0;
        for (ArenaWriter w : arenaWriters) {
            segmentsPublished += w.updates();
            large += w.largeUpdates();
            gracePeriods += w.gracePeriods();
            cacheFlushes += w.cacheFlushes();
            peakReserved = Math.max(peakReserved, w.peakReserved());
        }
        List<MemorySegment> lastPublished = freeLastSegments();
        ArenaStats quiescent = segments.stats();
        segments.arena().close();
        ArenaStats closed = segments.stats();
        int readableAfterClose = 0;
        for (MemorySegment s : lastPublished) {
            try {
                s.get(ValueLayout.JAVA_BYTE, 0);
                readableAfterClose++;
            } catch (IllegalStateException released) {
                // expected: close() released the arena's memory
            }
        }
        return new ArenaOutcome(segmentsPublished, large, gracePeriods, cacheFlushes, peakReserved,
                segments.reservedBound(config.writers(), ArenaWriter.FREE_BUDGET), quiescent, closed,
                readableAfterClose);
    }

    /**
     * Map mode, after every thread was joined: closes the map, waits for the callbacks that release its tables, and
     * fails the run if the map still holds off-heap memory.
     */
    private void closeMap() {
        map.close();
        rcu.barrier();
        RcuLongMap.Stats closed = map.stats();
        if (closed.offHeapBytes() != 0) {
            threads.fail(Thread.currentThread().getName() + " (closing the map)", new IllegalStateException(
                    "the closed map still holds " + closed.offHeapBytes() + " off-heap bytes after barrier(): "
                    + closed));
        }
    }

    /**
     * Bytes-map mode, after every thread was joined: closes the map (which waits for its readers and releases its
     * index and arena), waits for the callbacks that release its rebuilds' old index tables, and fails the run if it
     * still holds memory.
     */
    private void closeBytesMap() {
        bytesMap.close();
        rcu.barrier();
        RcuBytesMap.Stats closed = bytesMap.stats();
        if (closed.indexBytes() != 0 || closed.arena().bytesReserved() != 0) {
            threads.fail(Thread.currentThread().getName() + " (closing the bytes map)", new IllegalStateException(
                    "the closed map still holds memory: " + closed));
        }
    }

    /**
     * Frees the published segments on a new platform thread and joins it. A new thread's first use of a non-debug
     * arena's cache (its first free of a small block) recovers the caches of the threads that have ended (the
     * writers'): their collected frees are queued, their magazines returned and their counters folded into the
     * arena's, before the quiescent stats. The new thread's own frees stay collected in its cache (it ends too)
     * until close(). A debug arena has no caches.
     */
    private List<MemorySegment> freeLastSegments() throws InterruptedException {
        FutureTask<List<MemorySegment>> freeing = new FutureTask<>(segments::freeAll);
        Thread.ofPlatform().name("jrcu-torture-" + config.flavor().shortName() + "-" + config.mode().cliName()
                + "-last-frees").start(freeing).join();
        try {
            return freeing.get();   // done: the thread was joined
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException refused) {
                throw refused;      // the arena refused a free: reported as a failure of the run
            }
            throw new IllegalStateException("freeing the last segments failed", e.getCause());
        }
    }

    private void startThreads() {
        String prefix = "jrcu-torture-" + config.flavor().shortName() + "-"
                + (config.mode() != ReclaimMode.SYNC ? config.mode().cliName() + "-" : "");
        for (int i = 0; i < config.platformReaders(); i++) {
            TortureReader r = newReader(prefix + "reader-" + i, false);
            threads.start(Thread.ofPlatform().daemon().name(r.name), r);
        }
        for (int i = 0; i < config.virtualReaders(); i++) {
            TortureReader r = newReader(prefix + "vreader-" + i, true);
            threads.start(Thread.ofVirtual().name(r.name), r);
        }
        for (int i = 0; misuseTargets != null && i < MISUSE_THREADS; i++) {
            MisuseReader r = new MisuseReader(this, readCheck, rcu, config.flavor(), prefix + "misuse-" + i, i,
                    misuseTargets);
            readers.add(r);
            misuseReaders.add(r);
            threads.start(Thread.ofPlatform().daemon().name(r.name), r);
        }
        for (int i = 0; i < config.writers(); i++) {
            String name = prefix + "writer-" + i;
            Runnable body;
            if (config.mode().map()) {
                MapWriter w = new MapWriter(this, rcu, map, newestGeneration, i, config.writers());
                mapWriters.add(w);
                body = w;
            } else if (config.mode().bytesMap()) {
                ByteMapWriter w = new ByteMapWriter(this, rcu, bytesMap, newestGeneration, i, config.writers());
                byteMapWriters.add(w);
                body = w;
            } else if (config.mode().arena()) {
                ArenaWriter w = new ArenaWriter(this, rcu, segments, i);
                arenaWriters.add(w);
                body = w;
            } else if (config.mode().callbacks()) {
                CallbackWriter w = new CallbackWriter(this, rcu, config.mode(),
                        new CallbackLedger(rcu, this::free, this::errorSeen, startNanos, name,
                                config.barrierEvery()));
                callbackWriters.add(w);
                body = w;
            } else {
                TortureWriter w = new TortureWriter(this, rcu, i, config.mode().misuse());
                writers.add(w);
                body = w;
            }
            threads.start(Thread.ofPlatform().daemon().name(name), body);
        }
    }

    private TortureReader newReader(String name, boolean virtual) {
        TortureReader r = switch (config.flavor()) {
            case MEMB, BULLET_PROOF -> new SectionReader(this, readCheck, rcu, name, virtual);
            case QSBR -> new QuiescentStateReader(this, readCheck, (QsbrRcu) rcu, name);
        };
        readers.add(r);
        return r;
    }

    /**
     * Waits until the run's time is up, a thread failed, or (when told to stop at the first error) an error was
     * seen, reporting progress every PROGRESS_INTERVAL.
     */
    private void monitor(Consumer<Progress> progress) throws InterruptedException {
        long interval = PROGRESS_INTERVAL.toNanos();
        long end = startNanos + saturatedNanos(config.duration());
        long nextReport = startNanos + interval;
        long lastReport = startNanos;
        long lastReads = 0;
        while (System.nanoTime() - end < 0) {
            long until = nextReport - end < 0 ? nextReport : end;
            if (threads.awaitEnd(until - System.nanoTime())) {
                return;
            }
            long now = System.nanoTime();
            if (now - nextReport >= 0) {
                Progress p = sample(now, lastReads, now - lastReport);
                progress.accept(p);
                lastReads = p.reads();
                lastReport = now;
                nextReport += interval;
            }
        }
    }

    private Progress sample(long now, long previousReads, long sinceNanos) {
        AgeHistogram ages = histogram();
        long reads = ages.observations();
        long perSecond = sinceNanos <= 0 ? 0 : (long) ((reads - previousReads) * 1e9 / sinceNanos);
        long updates = 0;
        for (TortureWriter w : writers) {
            updates += w.updates();
        }
        for (CallbackWriter w : callbackWriters) {
            updates += w.updates();
        }
        for (ArenaWriter w : arenaWriters) {
            updates += w.updates();
        }
        for (MapWriter w : mapWriters) {
            updates += w.updates();
        }
        for (ByteMapWriter w : byteMapWriters) {
            updates += w.updates();
        }
        RcuStats stats = rcu.stats();
        return new Progress(config.flavor(), config.mode(), Duration.ofNanos(now - startNanos), reads, perSecond,
                updates, stats.gracePeriodsCompleted(), stats.callbacksInvoked(), ages.errors());
    }

    private AgeHistogram histogram() {
        AgeHistogram sum = AgeHistogram.EMPTY;
        for (TortureReader r : readers) {
            sum = sum.plus(r.histogram());
        }
        return sum;
    }

    private TortureResult result(Duration elapsed, RcuStats stats, Optional<ArenaOutcome> arena,
                                 boolean domainClosed) {
        long updates = 0;
        Map<GracePeriodPath, Long> byPath = new EnumMap<>(GracePeriodPath.class);
        for (TortureWriter w : writers) {
            updates += w.updates();
            w.gracePeriodsByPath().forEach((path, n) -> byPath.merge(path, n, Long::sum));
        }
        CallbackTally callbacks = CallbackTally.EMPTY;
        for (CallbackWriter w : callbackWriters) {
            updates += w.updates();
            callbacks = callbacks.plus(w.tally());
        }
        for (ArenaWriter w : arenaWriters) {
            updates += w.updates();
        }
        for (MapWriter w : mapWriters) {
            updates += w.updates();
        }
        for (ByteMapWriter w : byteMapWriters) {
            updates += w.updates();
        }
        Optional<OracleError> firstError = readers.stream().map(TortureReader::firstError)
                .filter(Objects::nonNull).min(Comparator.comparing(OracleError::after));
        Optional<MisuseOutcome> misuse = misuseReaders.isEmpty() ? Optional.empty()
                : Optional.of(misuseOutcome(domainClosed));
        return new TortureResult(config, elapsed, histogram(), updates, byPath, callbacks, stats, arena, misuse,
                firstError, threads.failures());
    }

    /** The misuse threads' counts, merged (exact: they were joined, and the domain closed if domainClosed). */
    private MisuseOutcome misuseOutcome(boolean domainClosed) {
        Map<Misuse, Long> refused = new HashMap<>();
        Map<Misuse, Long> accepted = new HashMap<>();
        long issued = 0;
        long ran = 0;
        String firstAcceptance = null;
        for (MisuseReader r : misuseReaders) {
            for (Misuse kind : Misuse.values()) {
                if (kind.appliesTo(config.flavor())) {
                    refused.merge(kind, r.refused(kind), Long::sum);
                    accepted.merge(kind, r.accepted(kind), Long::sum);
                }
            }
            issued += r.callbacksIssued();
            ran += r.callbacksRan();
            if (firstAcceptance == null) {
                firstAcceptance = r.firstAcceptance();
            }
        }
        return new MisuseOutcome(refused, accepted, Optional.ofNullable(firstAcceptance), issued, ran,
                domainClosed);
    }

    // ------------------------------------------------------------------ for readers and writers

    /** Volatile load; pairs with the volatile store in stop(). Polled between observations and updates. */
    boolean stopping() {
        return stopping;
    }

    private void stop() {
        stopping = true;
    }

    /** A reader or a ledger saw its first error (called once per reader or ledger). */
    void errorSeen() {
        if (stopAtFirstError) {
            threads.endEarly();
        }
    }

    long startNanos() {
        return startNanos;
    }

    /** A free object for a writer to publish. */
    TortureObject takeFree() {
        TortureObject o = freePool.poll();
        if (o == null) {
            throw new IllegalStateException("the torture object pool is empty: a writer holds more removed objects"
                    + " than AGE_LIMIT - 1 (a bug in the torture writer)");
        }
        return o;
    }

    /**
     * A free object for an asynchronous writer: from the pool, or a new one if callbacks still hold every pooled
     * object.
     */
    TortureObject takeFreeOrNew() {
        TortureObject o = freePool.poll();
        return o != null ? o : new TortureObject(nextObjectId.getAndIncrement());
    }

    /** Returns a poisoned object to the pool. */
    void free(TortureObject o) {
        freePool.add(o);
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException overflow) {
            return TimeUnit.DAYS.toNanos(365);
        }
    }
}
