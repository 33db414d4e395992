package io.jrcu.examples;

import io.jrcu.MembRcu;
import io.jrcu.Rcu;
import io.jrcu.TestThreads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RcuLongArray}: readers index the array while a writer grows it and sets values; an old storage is freed only
 * after the readers that may read it have left their sections. The arrays of the concurrent test are in debug mode: a
 * storage past its grace period is filled with poison and stays mapped, so a reader that read it too late would read
 * poison. Every value the writer sets encodes its index, so a reader also sees a value read from a wrong place.
 */
class RcuLongArrayExampleTest {
    private static final int ROUND_BITS = 16;
    private static final int STEP = 64;
    private static final int GROWS = 200;

    private final MembRcu rcu = Rcu.memb();

    @AfterEach
    void close() {
        rcu.close();
    }

    @Test
    void getSetGrowAndMisuse() {
        RcuLongArray array = new RcuLongArray(rcu, 4, true);
        array.set(3, 33);
        array.grow(10);
        assertThat(array.length()).isEqualTo(10);
        assertThat(array.get(3)).as("copied by the grow").isEqualTo(33);
        assertThat(array.get(9)).as("a new element").isZero();
        array.set(9, 99);
        List<Long> values = new ArrayList<>();
        array.forEach((index, value) -> values.add(value));
        assertThat(values).containsExactly(0L, 0L, 0L, 33L, 0L, 0L, 0L, 0L, 0L, 99L);

        assertThatThrownBy(() -> array.get(10)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> array.set(-1, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> array.grow(5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("RcuLongArray.grow(5) below the length 10");
        try (var s = rcu.read()) {
            assertThatThrownBy(array::close).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("inside a read section");
        }
        array.close();
        assertThat(array.pendingFree()).isZero();
        assertThatThrownBy(() -> array.get(0)).isInstanceOf(IllegalStateException.class)
                .hasMessage("RcuLongArray.get on a closed array");
        assertThatThrownBy(() -> array.grow(20)).isInstanceOf(IllegalStateException.class);
        array.close();   // a second close does nothing
    }

    @Test
    void anOldStorageIsFreedOnlyAfterTheReadersThatMayReadItHaveLeft() throws Exception {
        try (TestThreads threads = new TestThreads(); TestThreads.Agent reader = threads.agent(false, "reader");
             RcuLongArray array = new RcuLongArray(rcu, 8, false)) {
            array.set(7, 77);
            reader.run(rcu::readLock);
            array.grow(16);
            assertThat(array.get(7)).isEqualTo(77);
            assertThat(rcu.barrier(Duration.ofMillis(20))).as("no grace period while the reader is in its section")
                    .isFalse();
            assertThat(array.pendingFree()).as("the old storage, kept for the reader").isEqualTo(1);
            reader.run(rcu::readUnlock);
            rcu.barrier();
            assertThat(array.pendingFree()).as("freed once the reader left").isZero();
        }
    }

    @Test
    void readersNeverReadFreedStorageWhileAWriterGrowsAndSets() throws InterruptedException {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong walks = new AtomicLong();
        CountDownLatch readersStarted = new CountDownLatch(2);
        try (RcuLongArray array = new RcuLongArray(rcu, STEP, true); TestThreads threads = new TestThreads()) {
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                long seed = r;
                readers.add(threads.platform("reader", () -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    readersStarted.countDown();
                    while (writing.get()) {
                        array.forEach(RcuLongArrayExampleTest::check);   // a whole storage in one section
                        for (int i = 0; i < STEP; i++) {
                            long index = random.nextLong(array.length());
                            check(index, array.get(index));
                        }
                        walks.incrementAndGet();
                    }
                }));
            }
            TestThreads.await(readersStarted);
            SplittableRandom random = new SplittableRandom(42);
            for (int round = 1; round <= GROWS; round++) {
                long oldLength = array.length();
                array.grow(oldLength + STEP);
                for (long i = oldLength; i < oldLength + STEP; i++) {
                    array.set(i, encode(i, round));
                }
                for (int i = 0; i < STEP; i++) {
                    long index = random.nextLong(oldLength);
                    array.set(index, encode(index, round));
                }
            }
            TestThreads.awaitCondition("readers walked or failed",
                    () -> walks.get() > 10 || readers.stream().anyMatch(t -> !t.isAlive()));
            writing.set(false);
            threads.join();   // rethrows what a reader saw
            array.forEach((index, value) -> assertThat(value >>> ROUND_BITS).as("index %d", index).isEqualTo(index));
        }
    }

    /** The value the writer sets at {@code index} in {@code round}: the index above the round. */
    private static long encode(long index, int round) {
        return index << ROUND_BITS | round;
    }

    /** A value read at {@code index} is 0 (not set since its grow) or one the writer set there; poison is neither. */
    private static void check(long index, long value) {
        if (value != 0 && value >>> ROUND_BITS != index) {
            throw new AssertionError(String.format("read 0x%x at index %d (poison 0xA5..: freed storage)", value,
                    index));
        }
    }
}
