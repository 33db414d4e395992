package io.jrcu;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.ThreadFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link WorkerOptions} (defaults, builder, validation) and the callback settings of the builders
 * ({@code callbackBudget}, {@code backpressure}, {@code defaultWorkerOptions}, {@code errorHandler},
 * {@code stallTimeout}). Nothing here depends on the flavor; each builder is checked once.
 */
class CallbackOptionsTest {

    @Test
    void defaultsAreNotRealTimeUnpinnedBatchesOf64Or10MsAndADaemonPlatformThread() {
        WorkerOptions d = WorkerOptions.defaults();
        assertThat(d.realTime()).isFalse();
        assertThat(d.cpuAffinity()).isEqualTo(-1);
        assertThat(d.minBatch()).isEqualTo(64);
        assertThat(d.maxDelay()).isEqualTo(Duration.ofMillis(10));
        assertThat(d.threadName()).isEmpty();
        assertThat(d.threadFactory()).isNull();
        assertThat(WorkerOptions.builder().build()).as("the builder starts from the defaults").isEqualTo(d);
    }

    @Test
    void theBuilderSetsEveryOption() {
        ThreadFactory factory = Thread.ofPlatform().daemon().factory();
        WorkerOptions o = WorkerOptions.builder().realTime(true).cpuAffinity(3).batching(7, Duration.ofMillis(42))
                .threadName("cb").threadFactory(factory).build();
        assertThat(o).isEqualTo(new WorkerOptions(true, 3, 7, Duration.ofMillis(42), "cb", factory));
        WorkerOptions noDelay = WorkerOptions.builder().batching(1, Duration.ZERO).build();
        assertThat(noDelay.minBatch()).isEqualTo(1);
        assertThat(noDelay.maxDelay()).isZero();
    }

    @Test
    void invalidOptionsAreRejected() {
        assertThatThrownBy(() -> WorkerOptions.builder().cpuAffinity(-2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpuAffinity");
        assertThatThrownBy(() -> WorkerOptions.builder().batching(0, Duration.ofMillis(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minBatch");
        assertThatThrownBy(() -> WorkerOptions.builder().batching(1, Duration.ofMillis(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxDelay");
        assertThatThrownBy(() -> WorkerOptions.builder().batching(1, null).build())
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> WorkerOptions.builder().threadName(null).build())
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new WorkerOptions(false, -5, 1, Duration.ZERO, "", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderCallbackSettingsAreValidated() {
        for (RcuBuilder<?> b : new RcuBuilder<?>[]{MembRcu.builder(), QsbrRcu.builder(), BulletProofRcu.builder()}) {
            assertThatThrownBy(() -> b.callbackBudget(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.callbackBudget(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.backpressure(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.defaultWorkerOptions(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.errorHandler(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.stallTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.stallTimeout(null)).isInstanceOf(NullPointerException.class);
            assertThat(b.callbackBudget(1)).isSameAs(b);
            assertThat(b.backpressure(Backpressure.THROW)).isSameAs(b);
            assertThat(b.defaultWorkerOptions(WorkerOptions.defaults())).isSameAs(b);
        }
        assertThat(RcuBuilder.DEFAULT_CALLBACK_BUDGET).isEqualTo(1_000_000);
        assertThat(RcuBuilder.DEFAULT_STALL_TIMEOUT).isEqualTo(Duration.ofSeconds(21));
    }
}
