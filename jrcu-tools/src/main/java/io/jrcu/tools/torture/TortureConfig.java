package io.jrcu.tools.torture;

import io.jrcu.testkit.Flavor;

import java.time.Duration;
import java.util.Objects;

/**
 * One torture run: a flavor, how writers reclaim, how long, how many readers and writers, and whether the domain is
 * deliberately broken.
 *
 * @param flavor          the flavor under test
 * @param mode            how writers reclaim what they replaced: wait for grace periods themselves ({@code sync}),
 *                        hand it to the library ({@code call}, {@code retire}, {@code defer}), or free an off-heap
 *                        segment into an RcuArena ({@code arena}, {@code arena-fast}); {@code misuse}: as
 *                        {@code sync}, beside threads that misuse the domain
 * @param duration        how long readers and writers run
 * @param platformReaders reader platform threads
 * @param virtualReaders  reader virtual threads (memb and bulletProof only)
 * @param writers         writer threads; each replaces the shared object and waits for grace periods (sync), queues
 *                        callbacks (call, retire, defer) or frees the replaced segment into the arena (arena,
 *                        arena-fast)
 * @param barrierEvery    callback modes: each writer calls {@code barrier()} after this many callbacks and checks
 *                        that all of them ran exactly once (this also bounds the garbage in flight)
 * @param skipReaderWait  inject {@code Faults.Fault.SKIP_READER_WAIT}: grace periods do not wait for
 *                        readers, so the oracle must report errors (the proof that it can fail)
 */
public record TortureConfig(Flavor flavor, ReclaimMode mode, Duration duration, int platformReaders,
                            int virtualReaders, int writers, int barrierEvery, boolean skipReaderWait) {

    /** Default length of one flavor's run: the whole default run (three flavors) stays around ten seconds. */
    public static final Duration DEFAULT_DURATION = Duration.ofSeconds(3);
    public static final int DEFAULT_PLATFORM_READERS = 2;
    public static final int DEFAULT_WRITERS = 1;
    /** Virtual readers a flavor whose readers may block gets unless told otherwise. */
    public static final int DEFAULT_VIRTUAL_READERS = 1000;
    public static final int MAX_PLATFORM_READERS = 1024;
    public static final int MAX_VIRTUAL_READERS = 1_000_000;
    public static final int MAX_WRITERS = 64;
    /** Callbacks per writer between two barrier checkpoints, unless told otherwise. */
    public static final int DEFAULT_BARRIER_EVERY = 10_000;
    /** The domains' default callback budget: more callbacks in flight per writer would only test backpressure. */
    public static final int MAX_BARRIER_EVERY = 1_000_000;

    /**
     * @throws IllegalArgumentException for counts out of range, a non-positive duration, no readers at all, or
     *                                  virtual readers for a flavor that does not allow them
     */
    public TortureConfig {
        Objects.requireNonNull(flavor, "flavor");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("the run must last longer than 0 s (got " + duration + ")");
        }
        checkRange("platform readers", platformReaders, 0, MAX_PLATFORM_READERS);
        checkRange("virtual readers", virtualReaders, 0, MAX_VIRTUAL_READERS);
        checkRange("writers", writers, 1, MAX_WRITERS);
        if (barrierEvery < 1 || barrierEvery > MAX_BARRIER_EVERY) {
            throw new IllegalArgumentException("callbacks between barriers must be between 1 and "
                    + MAX_BARRIER_EVERY + " (got " + barrierEvery + ")");
        }
        if (virtualReaders > 0 && !flavor.readersMayBlock()) {
            throw new IllegalArgumentException(flavor + " does not support virtual readers (asked for "
                    + virtualReaders + "): a QSBR reader is a registered thread that stays online and reports"
                    + " quiescent states, and must not park while online; use platform readers (--readers)");
        }
        if (platformReaders + virtualReaders == 0) {
            throw new IllegalArgumentException("a torture run needs at least one reader");
        }
    }

    /**
     * The defaults for {@code flavor}: sync mode, 3 s, 2 platform readers, the flavor's default virtual readers,
     * 1 writer, a barrier every {@value #DEFAULT_BARRIER_EVERY} callbacks.
     */
    public static TortureConfig defaults(Flavor flavor) {
        return new TortureConfig(flavor, ReclaimMode.SYNC, DEFAULT_DURATION, DEFAULT_PLATFORM_READERS,
                defaultVirtualReaders(flavor), DEFAULT_WRITERS, DEFAULT_BARRIER_EVERY, false);
    }

    /**
     * {@link #DEFAULT_VIRTUAL_READERS} where a reader may block ({@link Flavor#readersMayBlock()}: a parked virtual
     * thread), else 0.
     */
    public static int defaultVirtualReaders(Flavor flavor) {
        return flavor.readersMayBlock() ? DEFAULT_VIRTUAL_READERS : 0;
    }

    public TortureConfig withMode(ReclaimMode m) {
        return new TortureConfig(flavor, m, duration, platformReaders, virtualReaders, writers, barrierEvery,
                skipReaderWait);
    }

    public TortureConfig withDuration(Duration d) {
        return new TortureConfig(flavor, mode, d, platformReaders, virtualReaders, writers, barrierEvery,
                skipReaderWait);
    }

    public TortureConfig withReaders(int platform, int virtual) {
        return new TortureConfig(flavor, mode, duration, platform, virtual, writers, barrierEvery, skipReaderWait);
    }

    public TortureConfig withWriters(int n) {
        return new TortureConfig(flavor, mode, duration, platformReaders, virtualReaders, n, barrierEvery,
                skipReaderWait);
    }

    public TortureConfig withBarrierEvery(int n) {
        return new TortureConfig(flavor, mode, duration, platformReaders, virtualReaders, writers, n,
                skipReaderWait);
    }

    public TortureConfig withSkipReaderWait(boolean on) {
        return new TortureConfig(flavor, mode, duration, platformReaders, virtualReaders, writers, barrierEvery, on);
    }

    private static void checkRange(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("the number of " + what + " must be between " + min + " and " + max
                    + " (got " + value + ")");
        }
    }
}
