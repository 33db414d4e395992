package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;

import org.junit.jupiter.api.Test;

class MeasurementTest {

    @Test
    void jmhUnitsBecomeNanosecondsPerOperationOrOperationsPerSecond() {
        assertThat(Measurement.toNanosPerOp(1.5, "us/op")).isCloseTo(1500, within(1e-9));
        assertThat(Measurement.toNanosPerOp(2, "ms/op")).isCloseTo(2e6, within(1e-6));
        assertThat(Measurement.toOpsPerSecond(3, "ops/ms")).isCloseTo(3000, within(1e-9));
        assertThat(Measurement.toOpsPerSecond(3, "ops/s")).isCloseTo(3, within(1e-12));
        assertThatThrownBy(() -> Measurement.toNanosPerOp(1, "ops/s")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Measurement.toNanosPerOp(1, "fortnight/op"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theIdSortsTheParametersAndNamesTheThreads() {
        assertThat(Measurement.id("GracePeriod.synchronize", Map.of("readers", "busy", "flavor", "qsbr"), 1))
                .isEqualTo("GracePeriod.synchronize flavor=qsbr readers=busy t=1");
    }

    @Test
    void aSampledFigureIsComparedByItsMedian() {
        assertThat(Measurement.sampled("x", Map.of(), 1, 10, 4, 90).value()).isEqualTo(4);
        assertThat(Measurement.time("x", Map.of(), 1, 10).value()).isEqualTo(10);
    }
}
