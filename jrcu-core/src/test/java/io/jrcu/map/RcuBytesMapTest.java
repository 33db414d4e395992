package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.TestFlavor;
import io.jrcu.arena.RcuArena;
import io.jrcu.map.RcuLongMap.Reclamation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The contract of {@link RcuBytesMap} for every flavor: each method with each kind of key and value, the view and the
 * copy, growth and shrinking, the bounded form, both reclamation modes, and the bad input and lifecycle list
 * (null, over-long keys and values, a view used after its section, use after close). The test thread is a reader of
 * the domain (QSBR: registered).
 */
@ParameterizedClass
@EnumSource(TestFlavor.class)
class RcuBytesMapTest {

    @Parameter
    TestFlavor flavor;

    Rcu rcu;
    final List<RcuBytesMap> maps = new ArrayList<>();

    @BeforeEach
    void setUp() {
        rcu = flavor.build(b -> b.name("bytes-map-test"));
        flavor.becomeReader(rcu);
    }

    @AfterEach
    void tearDown() {
        if (rcu.inReadSection()) {
            rcu.readUnlock();
        }
        maps.forEach(RcuBytesMap::close);
        flavor.leaveReader(rcu);
        rcu.close();
    }

    RcuBytesMap map(RcuBytesMapBuilder builder) {
        RcuBytesMap map = builder.build();
        maps.add(map);
        return map;
    }

    RcuBytesMap map() {
        return map(RcuBytesMap.builder(rcu));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The value of {@code key} copied out, or null. */
    static byte[] copy(RcuBytesMap map, byte[] key) {
        byte[] dst = new byte[map.maxValueBytes()];
        int n = map.get(key, dst);
        return n < 0 ? null : java.util.Arrays.copyOf(dst, n);
    }

    @Test
    void putGetRemoveAndTheirResults() {
        RcuBytesMap map = map();
        assertThat(map.isEmpty()).isTrue();
        assertThat(copy(map, bytes("a"))).isNull();
        assertThat(map.put(bytes("a"), bytes("one"))).isTrue();
        assertThat(map.put(bytes("a"), bytes("uno"))).isFalse();
        assertThat(copy(map, bytes("a"))).isEqualTo(bytes("uno"));
        assertThat(map.containsKey(bytes("a"))).isTrue();
        assertThat(map.containsKey(bytes("b"))).isFalse();
        assertThat(map.size()).isEqualTo(1);
        assertThat(map.remove(bytes("b"))).isFalse();
        assertThat(map.remove(bytes("a"))).isTrue();
        assertThat(map.remove(bytes("a"))).isFalse();
        assertThat(copy(map, bytes("a"))).isNull();
        assertThat(map.size()).isZero();
        assertThat(map.toString()).contains("DEFER_QUEUE", "size 0");
    }

    @Test
    void conditionalWrites() {
        RcuBytesMap map = map();
        assertThat(map.putIfAbsent(bytes("k"), bytes("v1"))).isTrue();
        assertThat(map.putIfAbsent(bytes("k"), bytes("v2"))).isFalse();
        assertThat(copy(map, bytes("k"))).isEqualTo(bytes("v1"));
        assertThat(map.replace(bytes("x"), bytes("v"))).isFalse();
        assertThat(map.containsKey(bytes("x"))).isFalse();
        assertThat(map.replace(bytes("k"), bytes("v3"))).isTrue();
        assertThat(copy(map, bytes("k"))).isEqualTo(bytes("v3"));
        assertThat(map.remove(bytes("k"), bytes("v1"))).isFalse();
        assertThat(map.remove(bytes("k"), bytes("v3x"))).isFalse();
        assertThat(map.remove(bytes("x"), bytes("v3"))).isFalse();
        assertThat(map.remove(bytes("k"), bytes("v3"))).isTrue();
        assertThat(map.isEmpty()).isTrue();
    }

    /** A key hashes and compares the same from an array, a heap or direct buffer of either order, and a segment. */
    @Test
    void everyKindOfKeyAndValueReachesTheSameEntry() {
        RcuBytesMap map = map();
        for (int length = 0; length <= 40; length++) {
            byte[] key = new byte[length];
            for (int i = 0; i < length; i++) {
                key[i] = (byte) (i * 37 + length);
            }
            byte[] value = bytes("value-" + length);
            switch (length % 3) {
                case 0 -> map.put(key, value);
                case 1 -> map.put(ByteBuffer.wrap(key), ByteBuffer.wrap(value));
                default -> map.put(MemorySegment.ofArray(key), MemorySegment.ofArray(value));
            }
            ByteBuffer offset = ByteBuffer.allocate(length + 7).position(3);
            offset.put(key).flip().position(3);
            ByteBuffer direct = ByteBuffer.allocateDirect(length).order(ByteOrder.BIG_ENDIAN).put(key).flip();
            ByteBuffer little = ByteBuffer.allocateDirect(length).order(ByteOrder.LITTLE_ENDIAN).put(key).flip();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment segment = arena.allocateFrom(ValueLayout.JAVA_BYTE, key);
                MemorySegment dst = arena.allocate(64);
                byte[] out = new byte[64];
                assertThat(map.get(key, out)).as("byte[] key of %d bytes", length).isEqualTo(value.length);
                assertThat(map.get(offset, out)).as("heap buffer at position 3").isEqualTo(value.length);
                assertThat(offset.position()).as("position unchanged").isEqualTo(3);
                assertThat(map.get(direct, out)).as("direct big-endian buffer").isEqualTo(value.length);
                assertThat(map.get(little, dst)).as("direct little-endian buffer").isEqualTo(value.length);
                assertThat(map.get(segment, out)).as("segment").isEqualTo(value.length);
                assertThat(map.get(segment, dst)).isEqualTo(value.length);
                assertThat(map.get(key, dst)).isEqualTo(value.length);
                assertThat(dst.asSlice(0, value.length).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(value);
                assertThat(java.util.Arrays.copyOf(out, value.length)).isEqualTo(value);
                assertThat(map.containsKey(offset)).isTrue();
                assertThat(map.containsKey(segment)).isTrue();
            }
        }
        assertThat(map.size()).isEqualTo(41);
        assertThat(map.remove(ByteBuffer.wrap(new byte[0]))).isTrue();
        assertThat(map.remove(MemorySegment.ofArray(new byte[1]))).isFalse();
        assertThat(map.size()).isEqualTo(40);
    }

    @Test
    void copyOutReturnsTheFullLengthAndCopiesWhatFits() {
        RcuBytesMap map = map();
        map.put(bytes("k"), bytes("0123456789"));
        byte[] small = new byte[4];
        assertThat(map.get(bytes("k"), small)).isEqualTo(10);
        assertThat(small).isEqualTo(bytes("0123"));
        assertThat(map.get(bytes("k"), MemorySegment.ofArray(new byte[0]))).isEqualTo(10);
        map.put(bytes("empty"), new byte[0]);
        assertThat(map.get(bytes("empty"), small)).isZero();
    }

    @Test
    void theViewIsReadOnlyAndOnlyInsideASection() {
        RcuBytesMap map = map();
        map.put(bytes("k"), bytes("view"));
        assertThatThrownBy(() -> map.get(bytes("k"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside a read section").hasMessageContaining("bytes-map-test");
        rcu.readLock();
        try {
            MemorySegment v = map.get(bytes("k"));
            assertThat(v.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(bytes("view"));
            assertThat(v.isReadOnly()).isTrue();
            assertThatThrownBy(() -> v.set(ValueLayout.JAVA_BYTE, 0, (byte) 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(map.get(bytes("absent"))).isNull();
            assertThat(map.get(ByteBuffer.wrap(bytes("k"))).byteSize()).isEqualTo(4);
            assertThat(map.get(MemorySegment.ofArray(bytes("k"))).byteSize()).isEqualTo(4);
            // a write inside the section (DEFER_QUEUE never waits): the view keeps the old record
            map.put(bytes("k"), bytes("next"));
            assertThat(v.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(bytes("view"));
        } finally {
            rcu.readUnlock();
        }
    }

    /**
     * Using a view after its section breaks the RCU contract; a debug arena makes it visible: once a grace period
     * has passed and the arena has reclaimed the old record, the view shows poison.
     */
    @Test
    void aViewUsedAfterItsSectionShowsPoisonInADebugArena() {
        RcuBytesMap map = map(RcuBytesMap.builder(rcu).debugArena(true));
        map.put(bytes("k"), bytes("old value"));
        MemorySegment stale;
        rcu.readLock();
        try {
            stale = map.get(bytes("k"));
        } finally {
            rcu.readUnlock();
        }
        map.put(bytes("k"), bytes("new value"));
        boolean poisoned = false;
        for (int i = 0; i < 100 && !poisoned; i++) {
            rcu.synchronize();
            map.put(bytes("other" + i), bytes("x"));   // an allocation reclaims what has passed its grace period
            poisoned = stale.get(ValueLayout.JAVA_BYTE, 0) == RcuArena.POISON;
        }
        assertThat(stale.toArray(ValueLayout.JAVA_BYTE)).containsOnly(RcuArena.POISON);
        assertThat(copy(map, bytes("k"))).isEqualTo(bytes("new value"));
    }

    @Test
    void badInputIsRefusedWithTheLimitsInTheMessage() {
        RcuBytesMap map = map(RcuBytesMap.builder(rcu).maxKeyBytes(8).maxValueBytes(16));
        byte[] key9 = new byte[9];
        byte[] value17 = new byte[17];
        assertThatThrownBy(() -> map.put(key9, new byte[1])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("9 bytes").hasMessageContaining("maxKeyBytes 8");
        assertThatThrownBy(() -> map.put(new byte[1], value17)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("17 bytes").hasMessageContaining("maxValueBytes 16");
        assertThatThrownBy(() -> map.put(ByteBuffer.wrap(new byte[1]), ByteBuffer.allocateDirect(17)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> map.get(key9, new byte[1])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> map.containsKey(MemorySegment.ofArray(key9)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> map.put((byte[]) null, new byte[1])).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map.put(new byte[1], (byte[]) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map.get((byte[]) null, new byte[1])).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map.get(new byte[1], (byte[]) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map.remove((MemorySegment) null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map.forEach(null)).isInstanceOf(NullPointerException.class);
        assertThat(map.isEmpty()).as("nothing half-inserted").isTrue();
        assertThat(map.stats().arena().bytesInUse()).isZero();
        RcuBytesMapBuilder b = RcuBytesMap.builder(rcu);
        assertThatThrownBy(() -> b.maxKeyBytes(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxKeyBytes 0");
        assertThatThrownBy(() -> b.maxValueBytes(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.maxValueBytes(RcuBytesMap.MAX_VALUE_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.initialCapacity(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.maxEntries(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.reclamation(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RcuBytesMap.builder(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void growsAndShrinksKeepingEveryKeyAndFreesRecords() {
        RcuBytesMap map = map();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            map.put(BytesMapChurn.key(i), BytesMapChurn.value(i, 0));
        }
        RcuBytesMap.Stats grown = map.stats();
        assertThat(grown.capacity()).isGreaterThanOrEqualTo(n * 4 / 3);
        assertThat(grown.arena().bytesInUse()).isGreaterThanOrEqualTo((long) n * 124);
        assertThat(grown.indexBytes()).isGreaterThanOrEqualTo(16L * grown.capacity());   // old tables may wait
        byte[] dst = new byte[BytesMapChurn.VALUE_BYTES];
        for (int i = 0; i < n; i++) {
            assertThat(map.get(BytesMapChurn.key(i), dst)).isEqualTo(BytesMapChurn.VALUE_BYTES);
            assertThat(BytesMapChurn.isValueOf(dst, BytesMapChurn.VALUE_BYTES, i)).isTrue();
        }
        for (int i = 0; i < n - 10; i++) {
            assertThat(map.remove(BytesMapChurn.key(i))).isTrue();
        }
        RcuBytesMap.Stats shrunk = map.stats();
        assertThat(shrunk.capacity()).isLessThan(grown.capacity() / 8);
        assertThat(shrunk.entries()).isEqualTo(10);
        assertThat(shrunk.resizes()).isPositive();
        assertThat(shrunk.arena().bytesInUse()).isLessThan(10L * 256);
        for (int i = n - 10; i < n; i++) {
            assertThat(map.get(BytesMapChurn.key(i), dst)).isEqualTo(BytesMapChurn.VALUE_BYTES);
        }
    }

    @Test
    void clearEmptiesTheMapAndFreesEveryRecord() {
        RcuBytesMap map = map();
        for (int i = 0; i < 1000; i++) {
            map.put(BytesMapChurn.key(i), BytesMapChurn.value(i, 0));
        }
        map.clear();
        assertThat(map.isEmpty()).isTrue();
        assertThat(map.containsKey(BytesMapChurn.key(1))).isFalse();
        assertThat(map.stats().arena().bytesInUse()).isZero();
        assertThat(map.stats().capacity()).isEqualTo(16);
        map.put(bytes("k"), bytes("v"));
        assertThat(copy(map, bytes("k"))).isEqualTo(bytes("v"));
    }

    @Test
    void forEachSeesEveryEntryOnceAndAllowsWritesInDeferQueueMode() {
        RcuBytesMap map = map();
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            map.put(bytes("k" + i), bytes("v" + i));
            expected.put("k" + i, "v" + i);
        }
        Map<String, String> seen = new HashMap<>();
        map.forEach((k, v) -> {
            String key = new String(k.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            assertThat(seen.put(key, new String(v.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)))
                    .as("seen once").isNull();
            assertThat(k.isReadOnly() && v.isReadOnly()).isTrue();
            map.remove(k);   // a write from the action (DEFER_QUEUE)
        });
        assertThat(seen).isEqualTo(expected);
        assertThat(map.isEmpty()).isTrue();
        map.put(bytes("a"), bytes("b"));
        RuntimeException boom = new RuntimeException("boom");
        assertThatThrownBy(() -> map.forEach((k, v) -> {
            throw boom;
        })).isSameAs(boom);
        assertThat(rcu.inReadSection()).as("the section is closed").isFalse();
        assertThat(copy(map, bytes("a"))).isEqualTo(bytes("b"));
    }

    /**
     * A {@code forEach} action that ends the traversal's section (a misuse) and lets a rebuild release the traversed
     * index table: the traversal's next load fails with an {@link IllegalStateException}, never reads the released
     * table.
     */
    @Test
    void aTraversalWhoseSectionItsActionEndedFailsCleanly() {
        RcuBytesMap map = map();
        for (int i = 0; i < 100; i++) {
            map.put(bytes("k" + i), bytes("v" + i));
        }
        boolean[] once = {false};
        assertThatThrownBy(() -> map.forEach((k, v) -> {
            if (!once[0]) {
                once[0] = true;
                RcuLongMapTest.releaseTheTraversedTable(rcu, () -> {
                    for (int i = 100; i < 5_000; i++) {
                        map.put(bytes("k" + i), bytes("v" + i));
                    }
                });
            }
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(rcu.inReadSection()).isFalse();
    }

    @Test
    void syncModeRemovesAfterAGracePeriodAndRefusesWritesInsideASection() {
        RcuBytesMap map = map(RcuBytesMap.builder(rcu).reclamation(Reclamation.SYNC).maxEntries(2));
        for (int round = 0; round < 5; round++) {
            assertThat(map.put(bytes("a"), bytes("1"))).isTrue();
            assertThat(map.put(bytes("b"), bytes("2"))).isTrue();
            assertThat(map.remove(bytes("a"))).isTrue();
            assertThat(map.remove(bytes("b"))).isTrue();
            assertThat(map.stats().pendingReclamation()).as("nothing pending after a SYNC remove").isZero();
        }
        map.put(bytes("a"), bytes("1"));
        assertThatThrownBy(() -> map.forEach((k, v) -> map.remove(k))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SYNC");
        assertThat(map.containsKey(bytes("a"))).isTrue();
    }

    @Test
    void boundedMapThrowsNamingTheLimitThenReusesAfterTheGracePeriod() {
        RcuBytesMap map = map(RcuBytesMap.builder(rcu).maxEntries(4));
        for (int i = 0; i < 4; i++) {
            map.put(bytes("k" + i), bytes("v"));
        }
        assertThatThrownBy(() -> map.put(bytes("k4"), bytes("v"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("maxEntries 4").hasMessageContaining("entries 4")
                .hasMessageContaining("pending reclamation 0");
        assertThat(map.put(bytes("k0"), bytes("replaced"))).as("a replacement needs no entry").isFalse();
        map.remove(bytes("k0"));
        boolean stored = false;
        for (int i = 0; i < 1000 && !stored; i++) {
            rcu.synchronize();
            try {
                stored = map.put(bytes("k4"), bytes("v"));
            } catch (IllegalStateException full) {
                assertThat(full).hasMessageContaining("pending reclamation 1");
            }
        }
        assertThat(stored).isTrue();
        assertThat(map.size()).isEqualTo(4);
    }

    @Test
    void useAfterCloseThrowsAndCloseTwiceIsANoOp() {
        RcuBytesMap map = map();
        map.put(bytes("k"), bytes("v"));
        MemorySegment view;
        rcu.readLock();
        try {
            view = map.get(bytes("k"));
            assertThatThrownBy(map::close).as("close inside a section").isInstanceOf(IllegalStateException.class);
        } finally {
            rcu.readUnlock();
        }
        assertThat(copy(map, bytes("k"))).as("still open").isEqualTo(bytes("v"));
        map.close();
        map.close();
        assertThatThrownBy(() -> map.get(bytes("k"), new byte[1])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed map");
        assertThatThrownBy(() -> map.containsKey(bytes("k"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.put(bytes("k"), bytes("v"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("RcuBytesMap.put on a closed map");
        assertThatThrownBy(() -> map.remove(bytes("k"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.forEach((k, v) -> { })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(map::clear).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).as("a view after close")
                .isInstanceOf(IllegalStateException.class);
        assertThat(map.size()).isZero();
        assertThat(map.stats().indexBytes()).isZero();
    }

    @Test
    void aClosedDomainRefusesNewMapsAndWrites() {
        Rcu other = flavor.build(b -> b.name("closing"));
        RcuBytesMap map = RcuBytesMap.create(other);
        map.put(bytes("k"), bytes("v"));
        other.close();
        assertThatThrownBy(() -> map.put(bytes("k"), bytes("w"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closing");
        assertThatThrownBy(() -> RcuBytesMap.create(other)).isInstanceOf(IllegalStateException.class);
        map.close();
        assertThat(map.stats().indexBytes()).isZero();
    }

    @Test
    void qsbrLookupOnAnUnregisteredThreadThrows() throws Exception {
        RcuBytesMap map = map();
        map.put(bytes("k"), bytes("v"));
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                seen.set(new AssertionError("returned " + map.get(bytes("k"), new byte[8])));
            } catch (Throwable e) {
                seen.set(e);
            }
        });
        t.start();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        if (flavor == TestFlavor.QSBR) {
            assertThat(seen.get()).isInstanceOf(IllegalStateException.class);
        } else {
            assertThat(seen.get()).isInstanceOf(AssertionError.class).hasMessage("returned 1");
        }
    }

    @Test
    void readersNeverSeeATornOrForeignValueWhileWritersChurnAndResize() throws Exception {
        RcuBytesMap map = map(RcuBytesMap.builder(rcu).hashSeed(1));
        assertThat(BytesMapChurn.run(flavor, rcu, map, 200_000)).isZero();
    }

    /** The broken twin (a record overwritten before its grace period) is caught by the same oracle. */
    @Test
    void theOracleCatchesTheTwinThatOverwritesRecordsEarly() throws Exception {
        long bad = 0;
        int attempts = 0;
        for (int attempt = 0; attempt < 50 && bad == 0; attempt++) {
            RcuBytesMap map = map(RcuBytesMap.builder(rcu).hashSeed(attempt).brokenEarlyFree());
            bad = BytesMapChurn.run(flavor, rcu, map, 200_000);
            attempts = attempt + 1;
        }
        assertThat(bad).as("torn or foreign values seen in %d runs", attempts).isPositive();
    }
}
