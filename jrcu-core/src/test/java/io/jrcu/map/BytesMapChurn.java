package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.TestFlavor;

import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small torture oracle for {@link RcuBytesMap}, MapChurn's for bytes: a reader thread copies out the values of the
 * newest few keys, each of which embeds its key and a generation and is checked byte for byte, while the calling
 * thread inserts a new key, replaces its value and removes the oldest (so records are freed and reused all the
 * time), and every so often inserts and removes a burst of other keys (the index grows, then shrinks). A value that
 * is not exactly one written for its key, or a read that fails, is an error. The run ends after a number of lookups.
 */
final class BytesMapChurn {

    static final int KEYS = 8;
    static final int BURST = 200;
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 100;

    private BytesMapChurn() {
    }

    /** The 16-byte key of {@code n}. */
    static byte[] key(long n) {
        return ByteBuffer.allocate(KEY_BYTES).putLong(n).putLong(~n).array();
    }

    /** A 100-byte value of key {@code n}, generation {@code generation}: both, then a pattern of both. */
    static byte[] value(long n, long generation) {
        ByteBuffer b = ByteBuffer.allocate(VALUE_BYTES).putLong(n).putLong(generation);
        while (b.hasRemaining()) {
            b.put((byte) (n * 31 + generation * 7 + b.position()));
        }
        return b.array();
    }

    /** Whether {@code v} (of {@code length} bytes) is exactly a value written for key {@code n}. */
    static boolean isValueOf(byte[] v, int length, long n) {
        if (length != VALUE_BYTES) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(v);
        if (b.getLong() != n) {
            return false;
        }
        long generation = b.getLong();
        while (b.hasRemaining()) {
            if (b.get() != (byte) (n * 31 + generation * 7 + b.position() - 1)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs the churn; the calling thread must be a reader of {@code rcu} ({@link TestFlavor#becomeReader}).
     *
     * @return how many lookups saw a value that is not one written for their key, or failed
     */
    static long run(TestFlavor flavor, Rcu rcu, RcuBytesMap map, int lookups) throws InterruptedException {
        AtomicLong newest = new AtomicLong(KEYS);
        AtomicLong bad = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        byte[][] keys = new byte[1 << 16][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = key(i);
        }
        for (long key = 0; key < KEYS; key++) {
            map.put(keys[(int) key], value(key, 0));
        }
        Thread reader = new Thread(() -> {
            try {
                flavor.becomeReader(rcu);
                try {
                    byte[] dst = new byte[VALUE_BYTES];
                    for (int i = 0; i < lookups; i++) {
                        long key = newest.get() - 1 - i % KEYS;
                        try {
                            int n = map.get(keys[(int) key & (keys.length - 1)], dst);
                            if (n != -1 && !isValueOf(dst, n, key & (keys.length - 1))) {
                                bad.incrementAndGet();
                            }
                        } catch (RuntimeException e) {   // a record read after its memory was reused
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
        }, "bytes-map-churn-reader");
        reader.start();
        try {
            for (long key = KEYS; reader.isAlive(); key++) {
                int k = (int) key & (keys.length - 1);
                map.put(keys[k], value(k, 1));
                map.replace(keys[k], value(k, key));
                map.remove(keys[(int) (key - KEYS) & (keys.length - 1)]);
                newest.set(key + 1);   // keys [key + 1 - KEYS, key + 1) are present
                if (key % 4096 == 0) {
                    for (long other = 1; other <= BURST; other++) {
                        map.put(key(-other), value(-other, 0));
                    }
                    for (long other = 1; other <= BURST; other++) {
                        map.remove(key(-other));
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
