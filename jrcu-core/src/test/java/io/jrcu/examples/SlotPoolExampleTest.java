package io.jrcu.examples;

import io.jrcu.LogCapture;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.TestThreads;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link SlotPool}, DPDK's library-integration walk-through, with a QSBR domain: the application registers a reader
 * thread that reports quiescent states; the pool reuses a released slot only once the reader has reported one; the
 * shutdown checks every token and refuses to go on if one has not passed.
 */
class SlotPoolExampleTest {
    private final QsbrRcu rcu = Rcu.qsbr();

    @AfterEach
    void close() {
        rcu.close();
    }

    @Test
    void aReleasedSlotIsReusedOnlyAfterTheReadersQuiescentStateAndShutdownFreesAll() throws Exception {
        SlotPool pool = new SlotPool(rcu, 2);
        try (TestThreads threads = new TestThreads(); TestThreads.Agent reader = threads.agent(false, "reader")) {
            reader.run(rcu::registerThread);   // online: it may be reading any slot until it reports
            assertThat(pool.take()).isNotNull();
            Integer slot = pool.take();
            assertThat(pool.take()).as("exhausted").isNull();

            pool.release(slot);
            assertThat(pool.take()).as("the reader may still see the released slot").isNull();
            reader.run(rcu::quiescent);
            assertThat(pool.take()).as("reclaimed once the reader reported").isEqualTo(slot);

            pool.release(slot);
            reader.run(rcu::unregisterThread);   // the application's part of the shutdown
            assertThat(pool.shutdown()).isTrue();
            assertThat(pool.available()).isEqualTo(1);   // the other slot is still taken
        }
    }

    @Test
    void shutdownWithATokenThatHasNotPassedReportsAndStops() throws Exception {
        SlotPool pool = new SlotPool(rcu, 4);
        try (TestThreads threads = new TestThreads(); TestThreads.Agent reader = threads.agent(false, "reader");
             LogCapture log = LogCapture.start()) {
            reader.run(rcu::registerThread);
            pool.release(pool.take());
            pool.release(pool.take());

            assertThat(pool.shutdown()).as("a registered reader has not reported").isFalse();
            assertThat(log.text()).contains("SlotPool: 2 released slots have not passed their grace period");
            assertThat(pool.available()).isEqualTo(2);
            assertThatThrownBy(pool::take).isInstanceOf(IllegalStateException.class).hasMessageContaining("shut down");
            assertThatThrownBy(() -> pool.release(0)).isInstanceOf(IllegalStateException.class);
            reader.run(rcu::unregisterThread);
        }
    }
}
