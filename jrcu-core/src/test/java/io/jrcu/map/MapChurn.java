package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.TestFlavor;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small torture oracle for {@link RcuLongMap}: a reader thread looks up the newest few keys, whose stored values
 * encode the key (high 32 bits) and a generation, while the calling thread inserts a new key, overwrites it and
 * removes the oldest (so new keys keep landing on entries freed a moment ago), and every so often inserts and removes
 * a burst of other keys (the table grows, then shrinks). A value of another key is an error. The run ends after a
 * number of lookups, not after a time.
 */
final class MapChurn {

    static final int KEYS = 8;
    static final int BURST = 200;

    private MapChurn() {
    }

    /**
     * Runs the churn; the calling thread must be a reader of {@code rcu} ({@link TestFlavor#becomeReader}).
     *
     * @return how many lookups saw a value of another key
     */
    static long run(TestFlavor flavor, Rcu rcu, RcuLongMap map, int lookups) throws InterruptedException {
        long missing = map.missingValue();
        AtomicLong newest = new AtomicLong(KEYS);
        AtomicLong bad = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (long key = 0; key < KEYS; key++) {
            map.put(key, key << 32);
        }
        Thread reader = new Thread(() -> {
            try {
                flavor.becomeReader(rcu);
                try {
                    for (int i = 0; i < lookups; i++) {
                        long key = newest.get() - 1 - i % KEYS;
                        long value = map.get(key);
                        if (value != missing && value >>> 32 != key) {
                            bad.incrementAndGet();
                        }
                        if ((i & 63) == 0) {
                            flavor.betweenSections(rcu);
                        }
                    }
                } finally {
                    flavor.leaveReader(rcu);
                }
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "map-churn-reader");
        reader.start();
        try {
            for (long key = KEYS; reader.isAlive(); key++) {
                map.put(key, key << 32 | 1);
                map.replace(key, key << 32 | 2);
                map.remove(key - KEYS);
                newest.set(key + 1);   // keys [key + 1 - KEYS, key + 1) are present
                if (key % 4096 == 0) {
                    for (long other = -1; other >= -BURST; other--) {
                        map.put(other, other << 32);
                    }
                    for (long other = -1; other >= -BURST; other--) {
                        map.remove(other);
                    }
                }
                if (key % 64 == 0) {
                    flavor.betweenSections(rcu);
                }
            }
        } finally {
            reader.join(30_000);
        }
        if (reader.isAlive()) {
            throw new AssertionError("the churn's reader did not end");
        }
        if (failure.get() != null) {
            throw new AssertionError("the churn's reader failed", failure.get());
        }
        return bad.get();
    }
}
