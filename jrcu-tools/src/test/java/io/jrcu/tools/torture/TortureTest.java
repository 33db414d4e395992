package io.jrcu.tools.torture;

import io.jrcu.testkit.Flavor;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the torture engine in-process against every flavor and reclamation mode: the real domains must pass, and the
 * same domains with grace periods that skip waiting for readers must be caught — the proof that the oracle can fail.
 */
class TortureTest {

    private static final Duration CORRECT_RUN = Duration.ofMillis(1500);
    private static final Duration ASYNC_RUN = Duration.ofSeconds(1);
    private static final Duration ARENA_RUN = Duration.ofSeconds(1);
    private static final Duration MISUSE_RUN = Duration.ofSeconds(1);
    private static final Duration MAP_RUN = Duration.ofSeconds(1);
    /**
     * The limit for a broken twin, which runs until its first error: sync runs are caught within a few hundred
     * milliseconds on 2 cores, asynchronous ones within about a second (the JVM warms up, and a callback must run
     * while a reader that held its object across the removal is still inside), arena ones within 0.6 s (poison
     * seen in 30 of 30 runs of 1-2 s, first after 3-538 ms), arena-fast ones (no poison: a reused block's new
     * pattern, seen in 18 of 18 runs of 1.5 s, first after 68-1307 ms) within 1.5 s; this leaves a wide margin.
     */
    private static final Duration BROKEN_LIMIT = Duration.ofSeconds(10);

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void correctFlavorPassesTheOracle(Flavor flavor) throws InterruptedException {
        List<Progress> progress = new ArrayList<>();
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withDuration(CORRECT_RUN), progress::add);

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.firstError()).isEmpty();
        assertThat(result.ages().age2OrMore()).isZero();
        assertThat(result.ages().freed()).isZero();
        assertThat(result.passed()).isTrue();
        assertThat(result.reads()).isPositive();
        assertThat(result.updates()).isPositive();
        assertThat(result.writerGracePeriods()).isEqualTo(result.updates());
        assertThat(result.gracePeriodsByPath()).as("every grace-period path was exercised")
                .containsOnlyKeys(GracePeriodPath.values())
                .allSatisfy((path, count) -> assertThat(count).as(path.toString()).isPositive());
        assertThat(progress).as("one progress sample per second").isNotEmpty()
                .allSatisfy(p -> assertThat(p.errors()).isZero());
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void oracleCatchesGracePeriodsThatSkipTheReaders(Flavor flavor) throws InterruptedException {
        TortureConfig broken = TortureConfig.defaults(flavor).withDuration(BROKEN_LIMIT).withSkipReaderWait(true);
        TortureResult result = Torture.runUntilFirstError(broken, p -> { });

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.errors()).as("errors the oracle reports for a broken " + flavor).isPositive();
        assertThat(result.ages().age2OrMore() + result.ages().freed()).isEqualTo(result.errors());
        assertThat(result.firstError()).containsInstanceOf(OracleError.Age.class);
        OracleError.Age error = (OracleError.Age) result.firstError().orElseThrow();
        assertThat(error.last() == TortureObject.FREED || error.last() >= 2 || error.last() < error.first()).isTrue();
        assertThat(result.passed()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = Flavor.class, names = {"MEMB", "BULLET_PROOF"})
    void severalWritersShareTheObjectPool(Flavor flavor) throws InterruptedException {
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withDuration(Duration.ofMillis(700))
                .withReaders(2, 100).withWriters(3), p -> { });

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.passed()).isTrue();
        assertThat(result.updates()).isPositive();
    }

    static Stream<Arguments> callbackModesAndFlavors() {
        return modesAndFlavors(ReclaimMode::callbacks);
    }

    static Stream<Arguments> arenaModesAndFlavors() {
        return modesAndFlavors(ReclaimMode::arena);
    }

    /** Every mode that {@code modes} accepts, with every flavor. */
    private static Stream<Arguments> modesAndFlavors(Predicate<ReclaimMode> modes) {
        return Stream.of(ReclaimMode.values()).filter(modes)
                .flatMap(mode -> Stream.of(Flavor.values()).map(flavor -> Arguments.of(mode, flavor)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("callbackModesAndFlavors")
    void asyncModeRunsEveryCallbackOnceAndNeverUnderAReader(ReclaimMode mode, Flavor flavor)
            throws InterruptedException {
        List<Progress> progress = new ArrayList<>();
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withMode(mode).withDuration(ASYNC_RUN),
                progress::add);

        CallbackTally callbacks = result.callbacks();
        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.firstError()).isEmpty();
        assertThat(callbacks.firstError()).isEmpty();
        assertThat(result.early()).isZero();
        assertThat(callbacks.lost()).isZero();
        assertThat(callbacks.twice()).isZero();
        assertThat(callbacks.premature()).isZero();
        assertThat(result.errors()).isZero();
        assertThat(result.passed()).isTrue();
        assertThat(result.reads()).isPositive();
        assertThat(result.updates()).isPositive();
        assertThat(callbacks.issued()).as("one callback per replaced object").isEqualTo(result.updates());
        assertThat(callbacks.ran()).as("every callback ran (once)").isEqualTo(callbacks.issued());
        assertThat(callbacks.barriers()).as("at least the final checkpoint").isPositive();
        assertThat(result.gracePeriodsByPath()).as("the writer never waits itself").isEmpty();
        assertThat(result.stats().callbacksInvoked()).isPositive();
        assertThat(result.statsAgree()).as("stats " + result.stats() + " vs " + callbacks).isTrue();
        assertThat(progress).allSatisfy(p -> assertThat(p.errors()).isZero());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("callbackModesAndFlavors")
    void ageOracleCatchesCallbacksThatRunUnderAReader(ReclaimMode mode, Flavor flavor) throws InterruptedException {
        TortureConfig broken = TortureConfig.defaults(flavor).withMode(mode).withDuration(BROKEN_LIMIT)
                .withSkipReaderWait(true);
        TortureResult result = Torture.runUntilFirstError(broken, p -> { });

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.early()).as("early reclamation the oracle reports for a broken " + flavor + " " + mode)
                .isPositive();
        assertThat(result.firstError()).isPresent();
        assertThat(result.callbacks().lost()).as("the fault makes callbacks early, not lost").isZero();
        assertThat(result.callbacks().twice()).isZero();
        assertThat(result.passed()).isFalse();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("arenaModesAndFlavors")
    void arenaReadersSeeOnlyIntactSegmentsAndTheArenaKeepsItsStats(ReclaimMode mode, Flavor flavor)
            throws InterruptedException {
        List<Progress> progress = new ArrayList<>();
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withMode(mode).withDuration(ARENA_RUN),
                progress::add);

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.firstError()).isEmpty();
        assertThat(result.ages().freed()).as("segments poisoned or overwritten under a reader").isZero();
        assertThat(result.ages().age2OrMore()).isZero();
        assertThat(result.reads()).isPositive();
        assertThat(result.updates()).isPositive();
        assertThat(result.gracePeriodsByPath()).as("the writer's brake is not a sync path").isEmpty();
        ArenaOutcome arena = result.arena().orElseThrow();
        assertThat(arena.problems()).isEmpty();
        assertThat(arena.segments()).isEqualTo(result.updates());
        assertThat(arena.cacheFlushes()).as("one writer: it hands its cache back every FLUSH_EVERY updates in"
                        + " arena-fast, never in arena (a debug arena has no thread caches)")
                .isEqualTo(mode == ReclaimMode.ARENA_FAST ? arena.segments() / ArenaWriter.FLUSH_EVERY : 0);
        assertThat(arena.peakReserved()).isPositive().isLessThanOrEqualTo(arena.reservedBound());
        assertThat(arena.quiescent().bytesReserved()).isLessThanOrEqualTo(arena.reservedBound());
        assertThat(arena.quiescent().bytesInUse()).as("every segment was freed").isZero();
        assertThat(arena.closed().bytesInUse()).isZero();
        assertThat(arena.closed().bytesPendingFree()).isZero();
        assertThat(arena.readableAfterClose()).as("close() released the memory").isZero();
        assertThat(result.errors()).isZero();
        assertThat(result.passed()).isTrue();
        assertThat(progress).allSatisfy(p -> assertThat(p.errors()).isZero());
    }

    /**
     * The broken twins: grace periods that do not wait for readers. In arena the reader sees poison (or, after the
     * quarantine, a new pattern); in arena-fast, without poison, the next generation's pattern in a block reused
     * through a thread cache.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("arenaModesAndFlavors")
    void arenaOracleCatchesMemoryPoisonedOrReusedUnderAReader(ReclaimMode mode, Flavor flavor)
            throws InterruptedException {
        TortureConfig broken = TortureConfig.defaults(flavor).withMode(mode).withDuration(BROKEN_LIMIT)
                .withSkipReaderWait(true);
        TortureResult result = Torture.runUntilFirstError(broken, p -> { });

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.early()).as("segments the oracle reports freed under a reader, broken " + flavor + " " + mode)
                .isPositive().isEqualTo(result.ages().freed());
        assertThat(result.errors()).isPositive();
        assertThat(result.firstError()).containsInstanceOf(OracleError.Segment.class);
        OracleError.Segment error = (OracleError.Segment) result.firstError().orElseThrow();
        if (!error.released()) {  // else a dedicated allocation's memory was released: no byte to show
            assertThat(error.seen()).as(error.describe()).isNotEqualTo(error.expected());
            assertThat(error.offset()).isBetween(0L, error.byteSize() - 1);
        }
        assertThat(result.arenaProblems()).as("the arena's stats stay right even when the domain is broken")
                .isEmpty();
        assertThat(result.passed()).isFalse();
    }

    /**
     * Three writers replace and free segments of the same slots: each replaced segment is freed exactly once. In
     * arena-fast a block allocated from one writer's magazine is freed into another's cache, and only writer 0 hands
     * its cache back; the ended writers' caches are recovered by the thread that frees the last segments.
     */
    @ParameterizedTest
    @EnumSource(value = ReclaimMode.class, names = {"ARENA", "ARENA_FAST"})
    void severalArenaWritersShareTheSlots(ReclaimMode mode) throws InterruptedException {
        TortureResult result = Torture.run(TortureConfig.defaults(Flavor.MEMB).withMode(mode)
                .withDuration(Duration.ofMillis(700)).withReaders(2, 100).withWriters(3), p -> { });

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.arenaProblems()).isEmpty();
        assertThat(result.arena().orElseThrow().quiescent().bytesInUse()).isZero();
        assertThat(result.passed()).isTrue();
        assertThat(result.updates()).isPositive();
    }

    /**
     * Misuse raced against correct use: every kind of misuse that applies to the flavor is made and refused with its
     * documented exception, no reader (the misusing ones included) sees an aged object, every grace period of the
     * writer ends within the stall limit, the domain closes, and the legal callbacks made inside sections all ran
     * once.
     */
    @ParameterizedTest
    @EnumSource(Flavor.class)
    void misuseIsRefusedWhileReadersStayProtectedAndGracePeriodsEnd(Flavor flavor) throws InterruptedException {
        List<Progress> progress = new ArrayList<>();
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withMode(ReclaimMode.MISUSE)
                .withDuration(MISUSE_RUN), progress::add);

        MisuseOutcome misuse = result.misuse().orElseThrow();
        assertThat(result.threadFailures()).isEmpty();
        assertThat(misuse.problems()).isEmpty();
        assertThat(misuse.firstAcceptance()).isEmpty();
        assertThat(misuse.acceptedTotal()).isZero();
        assertThat(misuse.refused()).as("every kind of misuse of " + flavor + " was made and refused")
                .containsOnlyKeys(Stream.of(Misuse.values()).filter(m -> m.appliesTo(flavor)).toList())
                .allSatisfy((kind, n) -> assertThat(n).as(kind.toString()).isPositive());
        assertThat(misuse.domainClosed()).isTrue();
        assertThat(misuse.callbacksRan()).as("callbacks made inside sections ran once each")
                .isEqualTo(misuse.callbacksIssued()).isPositive();
        assertThat(result.firstError()).isEmpty();
        assertThat(result.early()).isZero();
        assertThat(result.updates()).isPositive();
        assertThat(result.gracePeriodsByPath()).as("every wait is startPoll() + a bounded await")
                .containsEntry(GracePeriodPath.START_POLL_AWAIT_TIMED, result.updates());
        assertThat(result.writerGracePeriods()).isEqualTo(result.updates());
        assertThat(result.errors()).isZero();
        assertThat(result.passed()).isTrue();
        assertThat(progress).allSatisfy(p -> assertThat(p.errors()).isZero());
    }

    /** The broken twins of the misuse mode: grace periods that skip the readers are caught there too. */
    @ParameterizedTest
    @EnumSource(Flavor.class)
    void misuseModeCatchesGracePeriodsThatSkipTheReaders(Flavor flavor) throws InterruptedException {
        TortureConfig broken = TortureConfig.defaults(flavor).withMode(ReclaimMode.MISUSE).withDuration(BROKEN_LIMIT)
                .withSkipReaderWait(true);
        TortureResult result = Torture.runUntilFirstError(broken, p -> { });

        assertThat(result.errors()).as("errors of a broken " + flavor + " in misuse mode").isPositive();
        assertThat(result.passed()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(value = ReclaimMode.class, names = {"CALL", "RETIRE", "DEFER"})
    void severalAsyncWritersKeepSeparateLedgers(ReclaimMode mode) throws InterruptedException {
        assertSeveralWritersPass(mode, Flavor.MEMB, 100, Duration.ofMillis(700));
    }

    /**
     * Three writers deferring into shared batches (slots are shared by threads), each checking its own ids at its
     * barriers, with fast grace periods (platform readers only) so that full batches are detached and run by their
     * fillers all the time: barrier() must also wait for a batch that another thread has detached and is still
     * running. An earlier version of the library did not (the writer's barrier returned, its ids were "lost"; in
     * 6 s runs qsbr lost 49 to 202 ids, memb 2).
     */
    @ParameterizedTest
    @EnumSource(value = Flavor.class)
    void barriersCoverDeferBatchesThatOtherWritersRun(Flavor flavor) throws InterruptedException {
        assertSeveralWritersPass(ReclaimMode.DEFER, flavor, 0, Duration.ofSeconds(1));
    }

    private static void assertSeveralWritersPass(ReclaimMode mode, Flavor flavor, int virtualReaders,
                                                 Duration duration) throws InterruptedException {
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withMode(mode).withDuration(duration)
                .withReaders(2, virtualReaders).withWriters(3).withBarrierEvery(1000), p -> { });

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.callbacks().firstError()).isEmpty();
        assertThat(result.passed()).isTrue();
        assertThat(result.callbacks().barriers()).isGreaterThanOrEqualTo(3);
        assertThat(result.callbacks().ran()).isEqualTo(result.callbacks().issued()).isEqualTo(result.updates());
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void mapReadersSeeOnlyValuesStoredForTheirKeysAndTheMapReleasesItsMemory(Flavor flavor)
            throws InterruptedException {
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withMode(ReclaimMode.MAP)
                .withDuration(MAP_RUN), p -> { });

        assertThat(result.threadFailures()).as("includes an off-heap bound exceeded, or memory held after close")
                .isEmpty();
        assertThat(result.firstError()).isEmpty();
        assertThat(result.errors()).isZero();
        assertThat(result.passed()).isTrue();
        assertThat(result.reads()).isPositive();
        assertThat(result.updates()).isGreaterThanOrEqualTo(MapWriter.BURST_EVERY);
    }

    /**
     * The broken twin: grace periods that do not wait for readers, so the map reuses a removed entry, or releases a
     * replaced table, under a reader.
     */
    @ParameterizedTest
    @EnumSource(Flavor.class)
    void mapOracleCatchesEntriesOrTablesReusedUnderAReader(Flavor flavor) throws InterruptedException {
        TortureConfig broken = TortureConfig.defaults(flavor).withMode(ReclaimMode.MAP).withDuration(BROKEN_LIMIT)
                .withSkipReaderWait(true);
        TortureResult result = Torture.runUntilFirstError(broken, p -> { });

        assertThat(result.errors()).as("map errors the oracle reports for a broken " + flavor).isPositive();
        assertThat(result.firstError()).containsInstanceOf(OracleError.MapValue.class);
        assertThat(result.passed()).isFalse();
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void bytesMapReadersSeeOnlyWholeValuesOfTheirKeysAndTheMapReleasesItsMemory(Flavor flavor)
            throws InterruptedException {
        TortureResult result = Torture.run(TortureConfig.defaults(flavor).withMode(ReclaimMode.BYTES_MAP)
                .withDuration(MAP_RUN), p -> { });

        assertThat(result.threadFailures()).as("includes an arena bound exceeded, or memory held after close")
                .isEmpty();
        assertThat(result.firstError()).isEmpty();
        assertThat(result.errors()).isZero();
        assertThat(result.passed()).isTrue();
        assertThat(result.reads()).isPositive();
        assertThat(result.updates()).isGreaterThanOrEqualTo(ByteMapWriter.BURST_EVERY);
    }

    /**
     * The broken twin: grace periods that do not wait for readers, so the debug arena poisons and reuses a record,
     * or an index entry is reused, under a reader.
     */
    @ParameterizedTest
    @EnumSource(Flavor.class)
    void bytesMapOracleCatchesRecordsFreedUnderAReader(Flavor flavor) throws InterruptedException {
        TortureConfig broken = TortureConfig.defaults(flavor).withMode(ReclaimMode.BYTES_MAP)
                .withDuration(BROKEN_LIMIT).withSkipReaderWait(true);
        TortureResult result = Torture.runUntilFirstError(broken, p -> { });

        assertThat(result.errors()).as("bytes-map errors the oracle reports for a broken " + flavor).isPositive();
        assertThat(result.firstError()).containsInstanceOf(OracleError.BytesMapValue.class);
        assertThat(result.passed()).isFalse();
    }
}
