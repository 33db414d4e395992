package io.jrcu.examples;

import io.jrcu.MembRcu;
import io.jrcu.Rcu;
import io.jrcu.ReadSection;
import io.jrcu.TestThreads;
import io.jrcu.arena.RcuArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RcuLongList}: readers walk the list while writers insert and unlink; an unlinked node is reused only after
 * a grace period, so no reader ever sees a freed node. The arena is a debug arena: a node freed and past its grace
 * period is filled with {@link RcuArena#POISON} and kept in quarantine, so a reader that reached one would read
 * poison; its memory stays mapped until the arena closes, so the checking walk reads it safely and stops there.
 */
class RcuLongListExampleTest {
    private static final long POISON_WORD = 0xA5A5A5A5A5A5A5A5L;
    private static final int VALUES = 64;

    private final MembRcu rcu = Rcu.memb();
    private final RcuArena arena = RcuArena.builder(rcu).name("list").debug(true).quarantine(1 << 16).build();

    @AfterEach
    void close() {
        arena.close();
        rcu.close();
    }

    @Test
    void insertRemoveAndContains() {
        try (RcuLongList list = new RcuLongList(rcu, arena)) {
            list.insertFirst(1);
            list.insertFirst(2);
            list.insertFirst(3);
            assertThat(list.contains(2)).isTrue();
            assertThat(list.remove(2)).isTrue();
            assertThat(list.remove(2)).isFalse();
            assertThat(list.contains(2)).isFalse();
            List<Long> order = new ArrayList<>();
            list.forEach(order::add);
            assertThat(order).containsExactly(3L, 1L);
        }
        assertThat(arena.stats().bytesInUse()).isZero();
    }

    @Test
    void readersNeverSeeAFreedNodeWhileWritersInsertAndUnlink() throws InterruptedException {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong walks = new AtomicLong();
        CountDownLatch readersStarted = new CountDownLatch(2);
        try (RcuLongList list = new RcuLongList(rcu, arena); TestThreads threads = new TestThreads()) {
            for (int v = 1; v <= VALUES; v++) {
                list.insertFirst(v);
            }
            for (int r = 0; r < 2; r++) {
                threads.platform("reader", () -> {
                    readersStarted.countDown();
                    while (writing.get()) {
                        checkedWalk(list);
                        walks.incrementAndGet();
                    }
                });
            }
            TestThreads.await(readersStarted);
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                long seed = w;
                writers.add(threads.platform("writer", () -> {
                    SplittableRandom random = new SplittableRandom(seed);
                    for (int i = 0; i < 10_000; i++) {
                        long v = 1 + random.nextInt(VALUES);
                        if (!list.remove(v)) {
                            list.insertFirst(v);
                        }
                    }
                }));
            }
            for (Thread writer : writers) {
                writer.join(TestThreads.WAIT.toMillis());
                assertThat(writer.isAlive()).as("writer done").isFalse();
            }
            TestThreads.awaitCondition("readers walked", () -> walks.get() > 10);
            writing.set(false);
            threads.join();   // rethrows what a reader saw
        }
        assertThat(arena.stats().bytesInUse()).isZero();
    }

    /** One walk in one section: every node reached holds a live value and a next address that is not poison. */
    private void checkedWalk(RcuLongList list) {
        try (ReadSection s = rcu.read()) {
            for (long a = list.firstAddress(); a != 0; ) {
                long value = RcuLongList.node(a).get(ValueLayout.JAVA_LONG, RcuLongList.VALUE);
                long next = RcuLongList.node(a).get(ValueLayout.JAVA_LONG, RcuLongList.NEXT);
                assertThat(value).as("value of the node at 0x%x (poison: freed)", a).isBetween(1L, (long) VALUES);
                assertThat(next).as("next of the node at 0x%x (poison: freed)", a).isNotEqualTo(POISON_WORD);
                a = RcuLongList.nextAddress(a);
            }
        }
    }
}
