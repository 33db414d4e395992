package io.jrcu.tools.torture;

import java.time.Duration;
import java.util.Objects;

/**
 * One torture run: a flavor, how long, how many readers and writers, and whether the domain is deliberately broken.
 *
 * @param flavor          the flavor under test
 * @param duration        how long readers and writers run
 * @param platformReaders reader platform threads
 * @param virtualReaders  reader virtual threads (memb and bulletProof only)
 * @param writers         writer threads; each replaces the shared object and waits for grace periods
 * @param skipReaderWait  inject {@code FaultInjectable.Fault.SKIP_READER_WAIT}: grace periods do not wait for
 *                        readers, so the oracle must report errors (the proof that it can fail)
 */
public record TortureConfig(Flavor flavor, Duration duration, int platformReaders, int virtualReaders, int writers,
                            boolean skipReaderWait) {

    /** Default length of one flavor's run: the whole default run (three flavors) stays around ten seconds. */
    public static final Duration DEFAULT_DURATION = Duration.ofSeconds(3);
    public static final int DEFAULT_PLATFORM_READERS = 2;
    public static final int DEFAULT_WRITERS = 1;
    public static final int MAX_PLATFORM_READERS = 1024;
    public static final int MAX_VIRTUAL_READERS = 1_000_000;
    public static final int MAX_WRITERS = 64;

    /**
     * @throws IllegalArgumentException for counts out of range, a non-positive duration, no readers at all, or
     *                                  virtual readers for a flavor that does not allow them
     */
    public TortureConfig {
        Objects.requireNonNull(flavor, "flavor");
        Objects.requireNonNull(duration, "duration");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("the run must last longer than 0 s (got " + duration + ")");
        }
        checkRange("platform readers", platformReaders, 0, MAX_PLATFORM_READERS);
        checkRange("virtual readers", virtualReaders, 0, MAX_VIRTUAL_READERS);
        checkRange("writers", writers, 1, MAX_WRITERS);
        if (virtualReaders > 0 && !flavor.allowsVirtualReaders()) {
            throw new IllegalArgumentException(flavor + " does not support virtual readers (asked for "
                    + virtualReaders + "): a QSBR reader is a registered thread that stays online and reports"
                    + " quiescent states, and must not park while online; use platform readers (--readers)");
        }
        if (platformReaders + virtualReaders == 0) {
            throw new IllegalArgumentException("a torture run needs at least one reader");
        }
    }

    /** The defaults for {@code flavor}: 3 s, 2 platform readers, the flavor's default virtual readers, 1 writer. */
    public static TortureConfig defaults(Flavor flavor) {
        return new TortureConfig(flavor, DEFAULT_DURATION, DEFAULT_PLATFORM_READERS, flavor.defaultVirtualReaders(),
                DEFAULT_WRITERS, false);
    }

    public TortureConfig withDuration(Duration d) {
        return new TortureConfig(flavor, d, platformReaders, virtualReaders, writers, skipReaderWait);
    }

    public TortureConfig withReaders(int platform, int virtual) {
        return new TortureConfig(flavor, duration, platform, virtual, writers, skipReaderWait);
    }

    public TortureConfig withWriters(int n) {
        return new TortureConfig(flavor, duration, platformReaders, virtualReaders, n, skipReaderWait);
    }

    public TortureConfig withSkipReaderWait(boolean on) {
        return new TortureConfig(flavor, duration, platformReaders, virtualReaders, writers, on);
    }

    private static void checkRange(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException("the number of " + what + " must be between " + min + " and " + max
                    + " (got " + value + ")");
        }
    }
}
