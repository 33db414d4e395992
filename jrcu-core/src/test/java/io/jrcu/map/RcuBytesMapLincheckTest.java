package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.TestFlavor;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.ByteBuffer;
import java.util.HashMap;

/**
 * Lincheck in stress mode on {@link RcuBytesMap} against a sequential {@code HashMap<ByteBuffer, ByteBuffer>}: copy-out
 * lookups and every kind of write on three keys (values of different lengths, so a torn or foreign record shows),
 * plus an operation that inserts and removes a burst of other keys, so that the index grows and shrinks and records
 * are freed and reused while the other thread reads and writes (memb and bulletProof; Lincheck's threads are not QSBR
 * readers). The model checker is not used: it cannot see accesses to a {@code MemorySegment}. Quick tier: 4
 * iterations x 100 invocations per flavor; {@code -Djrcu.lincheck.scale=N} multiplies the iterations. The broken
 * twin's proof is {@link BytesMapChurn}'s oracle, which reads many keys at full speed.
 */
public class RcuBytesMapLincheckTest {

    static final int SCALE = Integer.getInteger("jrcu.lincheck.scale", 1);
    static final int BURST = 40;

    /** The key bytes of {@code k}. */
    static byte[] key(int k) {
        return new byte[] {'k', (byte) k};
    }

    /** The value bytes of {@code v}: {@code v} repeated {@code v} times (lengths differ between values). */
    static byte[] value(int v) {
        byte[] b = new byte[v * 3];
        java.util.Arrays.fill(b, (byte) v);
        return b;
    }

    /** The value a lookup returns: the value's number if its bytes are exactly {@code value(n)}, else -2; -1 absent. */
    static int decode(byte[] out, int length) {
        if (length < 0) {
            return -1;
        }
        int v = length / 3;
        return java.util.Arrays.equals(out, 0, length, value(v), 0, length) ? v : -2;
    }

    /** The map under test on the test's domain. */
    public static class Target {
        /** Set by each test before it runs Lincheck; tests run one at a time. */
        static volatile Rcu rcu;

        private final RcuBytesMap map = RcuBytesMap.builder(rcu).hashSeed(7).build();

        @Operation
        public int get(@Param(gen = IntGen.class, conf = "1:3") int key) {
            byte[] out = new byte[16];
            return decode(out, map.get(key(key), out));
        }

        @Operation
        public boolean put(@Param(gen = IntGen.class, conf = "1:3") int key,
                           @Param(gen = IntGen.class, conf = "1:3") int value) {
            return map.put(key(key), value(value));
        }

        @Operation
        public boolean putIfAbsent(@Param(gen = IntGen.class, conf = "1:3") int key,
                                   @Param(gen = IntGen.class, conf = "1:3") int value) {
            return map.putIfAbsent(ByteBuffer.wrap(key(key)), ByteBuffer.wrap(value(value)));
        }

        @Operation
        public boolean replace(@Param(gen = IntGen.class, conf = "1:3") int key,
                               @Param(gen = IntGen.class, conf = "1:3") int value) {
            return map.replace(key(key), value(value));
        }

        @Operation
        public boolean remove(@Param(gen = IntGen.class, conf = "1:3") int key) {
            return map.remove(key(key));
        }

        @Operation
        public boolean removeValue(@Param(gen = IntGen.class, conf = "1:3") int key,
                                   @Param(gen = IntGen.class, conf = "1:3") int value) {
            return map.remove(key(key), value(value));
        }

        /** Grows the index past 16 entries and shrinks it back; returns nothing the model must know. */
        @Operation
        public void burst() {
            for (int k = 100; k < 100 + BURST; k++) {
                map.put(key(k), value(5));
            }
            for (int k = 100; k < 100 + BURST; k++) {
                map.remove(key(k));
            }
        }

        @Validate
        public void close() {
            map.close();
        }
    }

    /** The sequential specification. */
    public static class Model {
        private final HashMap<ByteBuffer, ByteBuffer> map = new HashMap<>();

        public int get(int key) {
            ByteBuffer v = map.get(ByteBuffer.wrap(key(key)));
            return v == null ? -1 : v.remaining() / 3;
        }

        public boolean put(int key, int value) {
            return map.put(ByteBuffer.wrap(key(key)), ByteBuffer.wrap(value(value))) == null;
        }

        public boolean putIfAbsent(int key, int value) {
            return map.putIfAbsent(ByteBuffer.wrap(key(key)), ByteBuffer.wrap(value(value))) == null;
        }

        public boolean replace(int key, int value) {
            return map.replace(ByteBuffer.wrap(key(key)), ByteBuffer.wrap(value(value))) != null;
        }

        public boolean remove(int key) {
            return map.remove(ByteBuffer.wrap(key(key))) != null;
        }

        public boolean removeValue(int key, int value) {
            return map.remove(ByteBuffer.wrap(key(key)), ByteBuffer.wrap(value(value)));
        }

        public void burst() {
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestFlavor.class, names = {"MEMB", "BULLET_PROOF"})
    void stress(TestFlavor flavor) {
        try (Rcu rcu = flavor.build(b -> b.name("lincheck-bytes-map"))) {
            Target.rcu = rcu;
            new StressOptions()
                    .iterations(4 * SCALE)
                    .invocationsPerIteration(100)
                    .threads(2)
                    .actorsPerThread(4)
                    .actorsBefore(2)
                    .actorsAfter(1)
                    .sequentialSpecification(Model.class)
                    .check(Target.class);
        }
    }
}
