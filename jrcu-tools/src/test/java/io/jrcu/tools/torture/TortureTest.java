package io.jrcu.tools.torture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs the torture engine in-process against every flavor: the real domains must pass, and the same domains with
 * grace periods that skip waiting for readers must be caught — the proof that the oracle can fail.
 */
class TortureTest {

    private static final Duration CORRECT_RUN = Duration.ofMillis(1500);
    /** The broken twins are caught within a few hundred milliseconds on 2 cores; this leaves a wide margin. */
    private static final Duration BROKEN_RUN = Duration.ofSeconds(2);

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
        assertThat(result.gracePeriods()).isEqualTo(result.updates());
        assertThat(result.gracePeriodsByPath()).as("every grace-period path was exercised")
                .containsOnlyKeys(GracePeriodPath.values())
                .allSatisfy((path, count) -> assertThat(count).as(path.toString()).isPositive());
        assertThat(progress).as("one progress sample per second").isNotEmpty()
                .allSatisfy(p -> assertThat(p.errors()).isZero());
    }

    @ParameterizedTest
    @EnumSource(Flavor.class)
    void oracleCatchesGracePeriodsThatSkipTheReaders(Flavor flavor) throws InterruptedException {
        TortureConfig broken = TortureConfig.defaults(flavor).withDuration(BROKEN_RUN).withSkipReaderWait(true);
        TortureResult result = Torture.run(broken, p -> { });

        assertThat(result.threadFailures()).isEmpty();
        assertThat(result.errors()).as("errors the oracle reports for a broken " + flavor).isPositive();
        assertThat(result.ages().age2OrMore() + result.ages().freed()).isEqualTo(result.errors());
        assertThat(result.firstError()).hasValueSatisfying(e -> assertThat(e.last() == TortureObject.FREED
                || e.last() >= 2 || e.last() < e.first()).isTrue());
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
}
