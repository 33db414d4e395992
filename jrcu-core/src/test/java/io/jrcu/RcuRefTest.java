package io.jrcu;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RcuRef}: the value is reclaimed exactly once, never while a reference or a read section holds it; double
 * releases throw; a handle dropped unreleased is reported with its acquire site when leak detection is on.
 */
class RcuRefTest {
    private final MembRcu rcu = MembRcu.builder().name("refs").build();
    private final AtomicInteger reclaimed = new AtomicInteger();
    private final AtomicBoolean freed = new AtomicBoolean();

    @AfterEach
    void close() {
        rcu.close();
    }

    private RcuRef<String> counted(boolean leakDetection) {
        return RcuRef.builder(rcu, "value", (String v) -> {
            freed.set(true);
            reclaimed.incrementAndGet();
        }).name("counted").leakDetection(leakDetection).build();
    }

    @Test
    void aHeldReferenceKeepsTheValueUntilItIsReleased() {
        RcuRef<String> ref = counted(false);
        RcuRef.Handle<String> held = ref.tryAcquire();
        ref.release();
        rcu.barrier();   // every callback queued so far has run: none was queued

        assertThat(reclaimed).hasValue(0);
        assertThat(held.get()).isEqualTo("value");
        assertThat(ref.toString()).contains("count 1", "creator's reference released");
        held.release();
        rcu.barrier();
        assertThat(reclaimed).hasValue(1);
        assertThat(ref.tryAcquire()).isNull();
        assertThat(ref.toString()).contains("count 0, retired");
    }

    @Test
    void aReadSectionThatFoundTheValueKeepsItAfterTheLastRelease() throws Exception {
        RcuRef<String> ref = counted(false);
        RcuReference<RcuRef<String>> published = new RcuReference<>(ref);
        try (TestThreads threads = new TestThreads(); TestThreads.Agent reader = threads.agent(false, "reader")) {
            reader.run(() -> {
                rcu.readLock();
                assertThat(published.get().get()).isEqualTo("value");
            });
            published.set(null);
            ref.release();   // the last reference: retired, waiting for the reader's section

            assertThat(rcu.barrier(Duration.ofMillis(20))).isFalse();   // cannot complete while the section is open
            assertThat(reclaimed).hasValue(0);
            reader.run(() -> {
                assertThat(freed).isFalse();
                rcu.readUnlock();
            });
            rcu.barrier();
            assertThat(reclaimed).hasValue(1);
        }
    }

    @Test
    void concurrentAcquiresAndReleasesReclaimExactlyOnceAndNeverUnderAHolder() {
        RcuRef<String> ref = counted(false);
        RcuReference<RcuRef<String>> published = new RcuReference<>(ref);
        AtomicLong acquired = new AtomicLong();
        CountDownLatch started = new CountDownLatch(4);
        try (TestThreads threads = new TestThreads()) {
            for (int t = 0; t < 4; t++) {
                threads.platform("acquirer", () -> {
                    started.countDown();
                    boolean found = true;
                    while (found) {
                        RcuRef.Handle<String> h;
                        try (ReadSection s = rcu.read()) {
                            RcuRef<String> r = published.get();
                            h = r == null ? null : r.tryAcquire();
                            found = r != null;
                        }
                        if (h != null) {
                            assertThat(freed).as("reclaimed under a holder").isFalse();
                            assertThat(h.get()).isEqualTo("value");
                            acquired.incrementAndGet();
                            h.release();
                        }
                    }
                });
            }
            TestThreads.await(started);
            TestThreads.awaitCondition("acquires", () -> acquired.get() > 1000);
            published.set(null);
            ref.release();
            threads.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        rcu.barrier();
        assertThat(reclaimed).hasValue(1);
    }

    @Test
    void aDoubleReleaseThrowsAndNamesTheCount() {
        RcuRef<String> ref = counted(false);
        RcuRef.Handle<String> held = ref.tryAcquire();
        held.release();
        assertThatThrownBy(held::release).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("counted").hasMessageContaining("double release").hasMessageContaining("count 1");
        assertThatThrownBy(held::get).isInstanceOf(IllegalStateException.class).hasMessageContaining("released");
        ref.release();
        assertThatThrownBy(ref::release).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("double release").hasMessageContaining("count 0, retired");
        rcu.barrier();
        assertThat(reclaimed).hasValue(1);
    }

    @Test
    void aDroppedHandleIsReportedWithItsAcquireSiteAndAReleasedOneIsNot() {
        RcuRef<String> ref = counted(true);
        try (LogCapture log = LogCapture.start()) {
            acquireAndRelease(ref);
            acquireAndDrop(ref);
            TestThreads.awaitCondition("the leak report", () -> {
                System.gc();
                return log.text().contains("acquireAndDrop");
            });
            String report = log.text();
            assertThat(report).contains("RcuRef 'counted'", "without release()", "acquired here, on thread '"
                    + Thread.currentThread().getName() + "'");
            assertThat(report).doesNotContain("acquireAndRelease");   // its report was cleaned at release
        }
        ref.release();
        rcu.barrier();
        assertThat(reclaimed).as("a leaked reference stays counted").hasValue(0);
    }

    private static void acquireAndRelease(RcuRef<String> ref) {
        ref.tryAcquire().release();
    }

    private static void acquireAndDrop(RcuRef<String> ref) {
        assertThat(ref.tryAcquire()).isNotNull();
    }
}
