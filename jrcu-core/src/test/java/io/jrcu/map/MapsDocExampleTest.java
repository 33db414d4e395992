package io.jrcu.map;

import io.jrcu.Rcu;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The example of {@code docs/maps.md}: {@code PriceIndex} and the code that uses it are quoted there (DocSnippetsTest
 * checks the quote against this file), and {@link #theExampleRuns} runs it.
 */
class MapsDocExampleTest {

    /** Instrument id -> last price in cents: looked up by many threads, updated by one feed thread. */
    static final class PriceIndex implements AutoCloseable {
        private final RcuLongMap prices;

        PriceIndex(Rcu rcu, int instruments) {
            prices = RcuLongMap.builder(rcu).initialCapacity(instruments).missingValue(-1).build();
        }

        /** Any thread, any time: wait-free, no lock, no allocation; -1 if the instrument is unknown. */
        long price(long instrument) {
            return prices.get(instrument);
        }

        /** The feed thread: a new price, or a new instrument. */
        void update(long instrument, long cents) {
            prices.put(instrument, cents);
        }

        /** The feed thread: an instrument delisted; its entry is reused after a grace period. */
        void delist(long instrument) {
            prices.remove(instrument);
        }

        @Override
        public void close() {
            prices.close();   // the off-heap table is released after outstanding readers are done
        }
    }

    static long runExample() throws InterruptedException {
        try (Rcu rcu = Rcu.memb(); PriceIndex index = new PriceIndex(rcu, 10_000)) {
            for (long id = 0; id < 10_000; id++) {
                index.update(id, 100 * id + 1);
            }
            AtomicBoolean running = new AtomicBoolean(true);
            Thread feed = new Thread(() -> {
                for (long tick = 0; running.get(); tick++) {
                    long id = tick % 10_000;
                    index.update(id, 100 * id + 1 + tick % 7);   // prices move a little
                    if (tick % 1_000 == 0) {
                        index.delist(id + 10_000);               // churn instruments beyond the base set
                        index.update(id + 20_000, 1);
                    }
                }
            }, "price-feed");
            feed.start();
            long sum = 0;
            try {
                for (int i = 0; i < 1_000_000; i++) {
                    sum += index.price(i % 10_000) / 100;      // always present: 100 * id + 1..7
                }
            } finally {
                running.set(false);
                feed.join();
            }
            return sum;
        }
    }

    @Test
    void theExampleRuns() throws InterruptedException {
        long expected = 0;
        for (int i = 0; i < 1_000_000; i++) {
            expected += i % 10_000;
        }
        assertThat(runExample()).isEqualTo(expected);
    }
}
