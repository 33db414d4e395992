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

import java.util.HashMap;

/**
 * Lincheck in stress mode on {@link RcuLongMap} against a sequential {@link HashMap}: lookups and every kind of write
 * on three keys, plus an operation that inserts and removes a burst of other keys, so that tables grow and shrink
 * while the other thread reads and writes, and removed entries are reclaimed by the domain's real grace periods
 * (memb and bulletProof; Lincheck's threads are not QSBR readers). The model checker is not used: it cannot see
 * accesses to a {@code MemorySegment}. Quick tier: 10 iterations x 200 invocations per flavor;
 * {@code -Djrcu.lincheck.scale=N} multiplies the iterations.
 *
 * <p>This setup does not catch the broken twin ({@code brokenEarlyReuse}: a removed entry reused before its grace
 * period), so the twin's proof is the oracle of {@link MapChurn} and {@code bin/jrcu torture --mode map}. The twin
 * goes wrong only when a lookup has loaded a key word and, before it loads the value word a few nanoseconds later,
 * the other thread removes that key and inserts another into the same entry; with Lincheck's few operations per
 * invocation, three keys in a 16-entry table (another key lands on the freed entry only if its probe passes it) and
 * values from the same small range (a foreign value is often a linearizable result), 30 x 2000 invocations on memb
 * saw no failure (76 s here). The oracles look up many keys at full speed with values that name their key.
 */
public class RcuLongMapLincheckTest {

    static final int SCALE = Integer.getInteger("jrcu.lincheck.scale", 1);
    static final int ITERATIONS = 10;
    static final int INVOCATIONS = 200;
    static final long MISSING = Long.MIN_VALUE;
    /** Keys of the burst: never generated as an operation's key. */
    static final int BURST = 40;

    /** The map under test on the test's domain. */
    public static class Target {
        /** Set by each test before it runs Lincheck; tests run one at a time. */
        static volatile Rcu rcu;

        private final RcuLongMap map = RcuLongMap.builder(rcu).hashSeed(7).build();

        @Operation
        public long get(@Param(gen = IntGen.class, conf = "1:3") int key) {
            return map.get(key);
        }

        @Operation
        public long put(@Param(gen = IntGen.class, conf = "1:3") int key, @Param(gen = IntGen.class, conf = "1:3")
                int value) {
            return map.put(key, value);
        }

        @Operation
        public long putIfAbsent(@Param(gen = IntGen.class, conf = "1:3") int key,
                                @Param(gen = IntGen.class, conf = "1:3") int value) {
            return map.putIfAbsent(key, value);
        }

        @Operation
        public long remove(@Param(gen = IntGen.class, conf = "1:3") int key) {
            return map.remove(key);
        }

        @Operation
        public boolean removeValue(@Param(gen = IntGen.class, conf = "1:3") int key,
                                   @Param(gen = IntGen.class, conf = "1:3") int value) {
            return map.remove(key, value);
        }

        @Operation
        public boolean replaceValue(@Param(gen = IntGen.class, conf = "1:3") int key,
                                    @Param(gen = IntGen.class, conf = "1:3") int expected) {
            return map.replace(key, expected, expected + 1);
        }

        @Operation
        public long increment(@Param(gen = IntGen.class, conf = "1:3") int key) {
            return map.compute(key, (k, v) -> v == MISSING ? 1 : v + 1);
        }

        /** Grows the table past 16 entries and shrinks it back; returns nothing the model must know. */
        @Operation
        public void burst() {
            for (long key = 100; key < 100 + BURST; key++) {
                map.put(key, key);
            }
            for (long key = 100; key < 100 + BURST; key++) {
                map.remove(key);
            }
        }

        @Validate
        public void close() {
            map.close();
        }
    }

    /** The sequential specification. */
    public static class Model {
        private final HashMap<Long, Long> map = new HashMap<>();

        public long get(int key) {
            return map.getOrDefault((long) key, MISSING);
        }

        public long put(int key, int value) {
            Long old = map.put((long) key, (long) value);
            return old == null ? MISSING : old;
        }

        public long putIfAbsent(int key, int value) {
            Long old = map.putIfAbsent((long) key, (long) value);
            return old == null ? MISSING : old;
        }

        public long remove(int key) {
            Long old = map.remove((long) key);
            return old == null ? MISSING : old;
        }

        public boolean removeValue(int key, int value) {
            return map.remove((long) key, (long) value);
        }

        public boolean replaceValue(int key, int expected) {
            return map.replace((long) key, (long) expected, expected + 1L);
        }

        public long increment(int key) {
            return map.merge((long) key, 1L, Long::sum);
        }

        public void burst() {
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = TestFlavor.class, names = {"MEMB", "BULLET_PROOF"})
    void stress(TestFlavor flavor) {
        try (Rcu rcu = flavor.build(b -> b.name("lincheck-map"))) {
            Target.rcu = rcu;
            new StressOptions()
                    .iterations(ITERATIONS * SCALE)
                    .invocationsPerIteration(INVOCATIONS)
                    .threads(2)
                    .actorsPerThread(4)
                    .actorsBefore(2)
                    .actorsAfter(1)
                    .sequentialSpecification(Model.class)
                    .check(Target.class);
        }
    }
}
