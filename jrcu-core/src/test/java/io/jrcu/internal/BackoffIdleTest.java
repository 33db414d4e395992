package io.jrcu.internal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link BackoffIdle}: its phases, the doubling park, saturation and the refused values. */
class BackoffIdleTest {

    @Test
    void stepsSpinThenYieldThenParkWithADoublingPeriodUpToTheMaximum() {
        BackoffIdle idle = new BackoffIdle(2, 3, 10, 35);
        assertThat(idle.spinsAt(0)).isTrue();
        assertThat(idle.spinsAt(1)).isTrue();
        assertThat(idle.spinsAt(2)).as("first yield").isFalse();
        assertThat(idle.parksAt(4)).as("last yield").isFalse();
        assertThat(idle.parksAt(5)).as("first park").isTrue();
        assertThat(idle.parkNanos(4)).as("a yield does not park").isZero();
        assertThat(idle.parkNanos(5)).isEqualTo(10);
        assertThat(idle.parkNanos(6)).isEqualTo(20);
        assertThat(idle.parkNanos(7)).as("capped").isEqualTo(35);
        assertThat(idle.parkNanos(Integer.MAX_VALUE)).as("no overflow").isEqualTo(35);
    }

    @Test
    void unboundedPhasesNeverEnd() {
        BackoffIdle spin = new BackoffIdle(BackoffIdle.UNBOUNDED, 0, 1, 1);
        BackoffIdle spinThenYield = new BackoffIdle(4, BackoffIdle.UNBOUNDED, 1, 1);
        assertThat(spin.spinsAt(Integer.MAX_VALUE)).isTrue();
        assertThat(spinThenYield.spinsAt(4)).isFalse();
        assertThat(spinThenYield.parksAt(Integer.MAX_VALUE)).isFalse();
    }

    @Test
    void idleReturnsTheNextStepSaturating() {
        BackoffIdle spin = new BackoffIdle(BackoffIdle.UNBOUNDED, 0, 1, 1);
        assertThat(spin.idle(this, 0)).isEqualTo(1);
        assertThat(spin.idle(this, Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
        BackoffIdle parks = new BackoffIdle(0, 0, 1_000, 1_000);
        assertThat(parks.idle(this, 0, 0)).as("a park bounded to 0 ns returns at once").isEqualTo(1);
    }

    @Test
    void valuesOutOfRangeAreRefusedWithTheValues() {
        assertThatThrownBy(() -> new BackoffIdle(-1, 0, 1, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("spins -1");
        assertThatThrownBy(() -> new BackoffIdle(0, 0, 10, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("park 10..5 ns");
    }
}
