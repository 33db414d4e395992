package io.jrcu.map;

import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.TestFlavor;
import io.jrcu.TestThreads;
import io.jrcu.TestThreads.Agent;
import io.jrcu.map.RcuLongMap.Reclamation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static io.jrcu.map.RcuLongMapDescriptor.KEY_FLIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/**
 * The contract of {@link RcuLongMap} for every flavor: each method, growth and shrinking, the bounded form, both
 * reclamation modes, and every misuse of the "Bad input and lifecycle" list. The test thread is a reader of
 * the domain (QSBR: registered) and reports a quiescent state where a grace period must pass.
 */
@ParameterizedClass
@EnumSource(TestFlavor.class)
class RcuLongMapTest {

    static final long MISSING = Long.MIN_VALUE;
    /** The three keys kept beside the table. */
    static final long[] RESERVED_KEYS = {KEY_FLIP, KEY_FLIP ^ 1, KEY_FLIP ^ 2};

    @Parameter
    TestFlavor flavor;

    Rcu rcu;
    final List<RcuLongMap> maps = new ArrayList<>();

    @BeforeEach
    void setUp() {
        rcu = flavor.build(b -> b.name("map-test"));
        flavor.becomeReader(rcu);
    }

    @AfterEach
    void tearDown() {
        maps.forEach(RcuLongMap::close);
        flavor.leaveReader(rcu);
        rcu.close();
    }

    RcuLongMap map(RcuLongMap.Builder builder) {
        RcuLongMap map = builder.build();
        maps.add(map);
        return map;
    }

    RcuLongMap map() {
        return map(RcuLongMap.builder(rcu));
    }

    @Test
    void putGetRemoveAndTheirResults() {
        RcuLongMap map = map();
        assertThat(map.isEmpty()).isTrue();
        assertThat(map.get(1)).isEqualTo(MISSING);
        assertThat(map.put(1, 10)).isEqualTo(MISSING);
        assertThat(map.put(1, 11)).isEqualTo(10);
        assertThat(map.get(1)).isEqualTo(11);
        assertThat(map.get(rcu.reader(), 1)).isEqualTo(11);
        assertThat(map.containsKey(1)).isTrue();
        assertThat(map.containsKey(2)).isFalse();
        assertThat(map.size()).isEqualTo(1);
        assertThat(map.remove(2)).isEqualTo(MISSING);
        assertThat(map.remove(1)).isEqualTo(11);
        assertThat(map.remove(1)).isEqualTo(MISSING);
        assertThat(map.get(1)).isEqualTo(MISSING);
        assertThat(map.size()).isZero();
        assertThat(map.missingValue()).isEqualTo(MISSING);
        assertThat(map.toString()).contains("DEFER_QUEUE", "size 0");
    }

    @Test
    void conditionalWritesAndCompute() {
        RcuLongMap map = map();
        assertThat(map.putIfAbsent(5, 50)).isEqualTo(MISSING);
        assertThat(map.putIfAbsent(5, 51)).isEqualTo(50);
        assertThat(map.replace(6, 60)).isEqualTo(MISSING);
        assertThat(map.containsKey(6)).isFalse();
        assertThat(map.replace(5, 52)).isEqualTo(50);
        assertThat(map.replace(5, 50, 53)).isFalse();
        assertThat(map.replace(5, 52, 53)).isTrue();
        assertThat(map.replace(6, 52, 53)).isFalse();
        assertThat(map.replace(5, MISSING, 54)).isFalse();
        assertThat(map.remove(5, 52)).isFalse();
        assertThat(map.remove(5, MISSING)).isFalse();
        assertThat(map.remove(5, 53)).isTrue();
        assertThat(map.tryPut(7, 70)).isTrue();
        assertThat(map.tryPut(7, 71)).isTrue();
        assertThat(map.get(7)).isEqualTo(71);
        assertThat(map.compute(8, (k, v) -> v == MISSING ? k * 100 : v + 1)).isEqualTo(800);
        assertThat(map.compute(8, (k, v) -> v == MISSING ? k * 100 : v + 1)).isEqualTo(801);
        assertThat(map.compute(8, (k, v) -> MISSING)).isEqualTo(MISSING);
        assertThat(map.compute(9, (k, v) -> MISSING)).isEqualTo(MISSING);
        assertThat(map.containsKey(8)).isFalse();
        assertThat(map.containsKey(9)).isFalse();
        assertThat(map.size()).isEqualTo(1);
    }

    @Test
    void reservedKeysBehaveLikeAnyOther() {
        RcuLongMap map = map();
        for (long key : RESERVED_KEYS) {
            assertThat(map.get(key)).isEqualTo(MISSING);
            assertThat(map.put(key, 1)).isEqualTo(MISSING);
            assertThat(map.putIfAbsent(key, 2)).isEqualTo(1);
            assertThat(map.replace(key, 3)).isEqualTo(1);
            assertThat(map.replace(key, 3, 4)).isTrue();
            assertThat(map.compute(key, (k, v) -> v + 1)).isEqualTo(5);
            assertThat(map.get(key)).isEqualTo(5);
        }
        assertThat(map.size()).isEqualTo(3);
        Map<Long, Long> seen = new HashMap<>();
        map.forEach(seen::put);
        assertThat(seen).containsOnlyKeys(RESERVED_KEYS[0], RESERVED_KEYS[1], RESERVED_KEYS[2]);
        assertThat(map.remove(RESERVED_KEYS[0], 4)).isFalse();
        assertThat(map.remove(RESERVED_KEYS[0], 5)).isTrue();
        assertThat(map.remove(RESERVED_KEYS[1])).isEqualTo(5);
        assertThat(map.compute(RESERVED_KEYS[2], (k, v) -> MISSING)).isEqualTo(MISSING);
        assertThat(map.isEmpty()).isTrue();
    }

    @Test
    void growsAndShrinksKeepingEveryKey() {
        RcuLongMap map = map();
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            map.put(i * 7919L, i);
        }
        RcuLongMap.Stats grown = map.stats();
        assertThat(grown.entries()).isEqualTo(n);
        assertThat(grown.capacity()).isGreaterThanOrEqualTo(n * 4 / 3);
        assertThat(grown.resizes()).isPositive();
        for (int i = 0; i < n; i++) {
            assertThat(map.get(i * 7919L)).isEqualTo(i);
        }
        for (int i = 0; i < n - 10; i++) {
            assertThat(map.remove(i * 7919L)).isEqualTo(i);
        }
        RcuLongMap.Stats shrunk = map.stats();
        assertThat(shrunk.capacity()).isLessThan(grown.capacity() / 8);
        for (int i = n - 10; i < n; i++) {
            assertThat(map.get(i * 7919L)).isEqualTo(i);
        }
        assertThat(map.size()).isEqualTo(10);
    }

    @Test
    void churnAtStableSizeKeepsTheTableSmall() {
        RcuLongMap map = map(RcuLongMap.builder(rcu).initialCapacity(64));
        for (int round = 0; round < 20_000; round++) {
            map.put(round, round);
            if (round >= 32) {
                assertThat(map.remove(round - 32)).isEqualTo(round - 32);
            }
            if (round % 256 == 0) {
                flavor.betweenSections(rcu);
            }
        }
        assertThat(map.size()).isEqualTo(32);
        assertThat(map.stats().capacity()).isLessThanOrEqualTo(128);
        rcu.barrier();
        assertThat(map.stats().offHeapBytes()).isEqualTo(map.stats().capacity() * 16L);
    }

    /** A removed entry is not reused while a reader that may see it holds its section: the bounded map is full. */
    @Test
    void boundedMapReusesARemovedEntryOnlyAfterItsGracePeriod() throws Exception {
        RcuLongMap map = map(RcuLongMap.builder(rcu).maxEntries(4));
        for (int i = 0; i < 4; i++) {
            map.put(i, i);
        }
        assertThatThrownBy(() -> map.put(4, 4)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("maxEntries 4").hasMessageContaining("pending reclamation 0");
        assertThat(map.tryPut(4, 4)).isFalse();
        assertThat(map.tryPut(3, 33)).isTrue();   // an update needs no entry
        try (BlockingReader reader = new BlockingReader()) {
            assertThat(map.remove(0)).isEqualTo(0);
            assertThat(map.tryPut(4, 4)).isFalse();
            assertThatThrownBy(() -> map.put(4, 4)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("maxEntries 4").hasMessageContaining("entries 3")
                    .hasMessageContaining("pending reclamation 1");
            assertThat(map.stats().pendingReclamation()).isEqualTo(1);
        }
        rcu.synchronize();
        assertThat(map.tryPut(4, 4)).isTrue();
        assertThat(map.stats().pendingReclamation()).isZero();
        assertThat(map.size()).isEqualTo(4);
        assertThat(map.get(4)).isEqualTo(4);
    }

    /**
     * Entries removed from a table that a rebuild replaced stay in the queue of removed entries; when their grace
     * period passes they free nothing in the new table, whose same slots hold live keys.
     */
    @Test
    void removedEntriesOfAReplacedTableNeverFreeSlotsOfItsSuccessor() throws Exception {
        RcuLongMap map = map(RcuLongMap.builder(rcu).hashSeed(3));
        for (int i = 1; i <= 10; i++) {
            map.put(i, i);
        }
        try (BlockingReader reader = new BlockingReader()) {
            for (int i = 1; i <= 10; i++) {
                map.remove(i);
            }
            assertThat(map.stats().pendingReclamation()).isEqualTo(10);
            map.clear();
            for (int i = 1; i <= 10; i++) {
                map.put(i, -i);   // a fresh table of the same size and seed: the same slots as before
            }
        }
        rcu.synchronize();
        for (int i = 1; i <= 10; i++) {
            map.put(1000, i);   // each write reclaims what has passed, here the first table's entries
        }
        for (int i = 1; i <= 10; i++) {
            assertThat(map.get(i)).as("key %d", i).isEqualTo(-i);
        }
        assertThat(map.stats().pendingReclamation()).isZero();
        assertThat(map.size()).isEqualTo(11);
    }

    @Test
    void syncModeFreesTheEntryBeforeRemoveReturnsAndRefusesWritesInsideASection() {
        RcuLongMap map = map(RcuLongMap.builder(rcu).reclamation(Reclamation.SYNC).maxEntries(2));
        map.put(1, 1);
        map.put(2, 2);
        assertThat(map.remove(1)).isEqualTo(1);
        assertThat(map.stats().pendingReclamation()).isZero();
        map.put(3, 3);
        rcu.readLock();
        try {
            assertThatThrownBy(() -> map.put(4, 4)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("SYNC");
            assertThatThrownBy(() -> map.remove(2)).isInstanceOf(IllegalStateException.class);
            assertThat(map.get(2)).isEqualTo(2);
        } finally {
            rcu.readUnlock();
        }
        assertThat(map.size()).isEqualTo(2);
    }

    @Test
    void forEachSeesEveryEntryOnceAndAllowsWritesInDeferQueueMode() {
        RcuLongMap map = map();
        for (int i = 0; i < 100; i++) {
            map.put(i, -i);
        }
        Map<Long, Long> seen = new HashMap<>();
        map.forEach((k, v) -> {
            assertThat(seen.put(k, v)).isNull();
            if (k < 50) {
                map.remove(k);
            }
            map.put(k + 1000, k);   // may grow the table: the traversal stays on the one it started with
        });
        for (long k = 0; k < 100; k++) {
            assertThat(seen).containsEntry(k, -k);
        }
        assertThat(seen.keySet()).allMatch(k -> k < 100 || k >= 1000);
        assertThat(rcu.inReadSection()).isFalse();
        assertThat(map.size()).isEqualTo(100 + seen.size() - 50L);   // one put per entry seen, 50 removed
        assertThat(map.get(1049)).isEqualTo(49);
    }

    @Test
    void forEachWritesThrowInSyncModeAndAThrowingActionLeavesTheMapConsistent() {
        RcuLongMap map = map(RcuLongMap.builder(rcu).reclamation(Reclamation.SYNC));
        map.put(1, 1);
        map.put(2, 2);
        assertThatThrownBy(() -> map.forEach((k, v) -> map.put(k + 10, v))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SYNC");
        assertThatThrownBy(() -> map.forEach((k, v) -> {
            throw new ArithmeticException("boom");
        })).isInstanceOf(ArithmeticException.class);
        assertThat(rcu.inReadSection()).isFalse();
        assertThat(map.size()).isEqualTo(2);
        assertThat(map.get(11)).isEqualTo(MISSING);
        assertThat(map.get(12)).isEqualTo(MISSING);
        map.put(3, 3);
        assertThat(map.get(3)).isEqualTo(3);
    }

    @Test
    void computeRunsOnceAndRefusesNestedWrites() {
        RcuLongMap map = map();
        map.put(1, 1);
        int[] calls = {0};
        assertThatThrownBy(() -> map.compute(1, (k, v) -> {
            calls[0]++;
            return map.put(2, 2);
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("compute");
        assertThat(calls[0]).isEqualTo(1);
        assertThatThrownBy(() -> map.compute(1, (k, v) -> {
            throw new ArithmeticException("boom");
        })).isInstanceOf(ArithmeticException.class);
        assertThat(map.get(1)).isEqualTo(1);
        assertThat(map.containsKey(2)).isFalse();
        map.put(2, 2);   // the lock was released
        assertThat(map.size()).isEqualTo(2);
    }

    @Test
    void storingTheMissingValueIsRefusedAndInsertsNothing() {
        RcuLongMap map = map(RcuLongMap.builder(rcu).missingValue(-1));
        assertThat(map.get(1)).isEqualTo(-1);
        assertThatThrownBy(() -> map.put(1, -1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> map.putIfAbsent(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> map.tryPut(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> map.replace(1, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> map.replace(1, 2, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(map.put(1, Long.MIN_VALUE)).isEqualTo(-1);
        assertThat(map.get(1)).isEqualTo(Long.MIN_VALUE);
        assertThat(map.size()).isEqualTo(1);
    }

    @Test
    void useAfterCloseThrowsAndCloseTwiceIsANoOp() {
        RcuLongMap map = map();
        map.put(1, 1);
        map.close();
        map.close();
        assertThatThrownBy(() -> map.get(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(rcu.inReadSection()).isFalse();
        assertThatThrownBy(() -> map.get(rcu.reader(), 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.containsKey(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.put(1, 2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.remove(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.compute(1, (k, v) -> 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(map::clear).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.forEach((k, v) -> { })).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> map.asMap().get(1L)).isInstanceOf(IllegalStateException.class);
        assertThat(map.size()).isZero();
        rcu.barrier();
        assertThat(map.stats().offHeapBytes()).isZero();
    }

    /**
     * {@code get(reader, key)} takes only a reader of the map's domain, of the calling thread: another domain's
     * section would not keep the table from being freed under the lookup. Nothing is read and no section is left
     * open on refusal.
     */
    @Test
    void getWithAReaderOfAnotherDomainOrThreadIsRefused() throws Exception {
        RcuLongMap map = map();
        map.put(1, 10);
        Rcu other = flavor.build(b -> b.name("other-domain"));
        try {
            flavor.becomeReader(other);
            try {
                RcuReader foreign = other.reader();
                assertThatThrownBy(() -> map.get(foreign, 1)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("other-domain").hasMessageContaining("map-test");
                assertThat(other.inReadSection()).isFalse();
                assertThat(rcu.inReadSection()).isFalse();
            } finally {
                flavor.leaveReader(other);
            }
        } finally {
            other.close();
        }
        assertThatThrownBy(() -> map.get(null, 1)).isInstanceOf(NullPointerException.class);
        RcuReader mine = rcu.reader();
        try (TestThreads threads = new TestThreads(); Agent stranger = threads.agent(false, "not-the-owner")) {
            assertThat(stranger.thrown(() -> map.get(mine, 1))).as("another thread's reader")
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("belongs to its thread");
        }
        assertThat(map.get(mine, 1)).isEqualTo(10);
    }

    /**
     * A {@code forEach} action that ends the traversal's section (a misuse) and lets a rebuild release the traversed
     * table: the traversal's next load fails with an {@link IllegalStateException}, never reads the released table.
     */
    @Test
    void aTraversalWhoseSectionItsActionEndedFailsCleanly() {
        RcuLongMap map = map();
        for (int i = 0; i < 100; i++) {
            map.put(i, i);
        }
        int capacity = map.stats().capacity();
        boolean[] once = {false};
        assertThatThrownBy(() -> map.forEach((k, v) -> {
            if (!once[0]) {
                once[0] = true;
                releaseTheTraversedTable(rcu, () -> {
                    for (int i = 100; i < 10_000; i++) {
                        map.put(i, i);
                    }
                });
            }
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(map.stats().capacity()).isGreaterThan(capacity);
        assertThat(rcu.inReadSection()).isFalse();
    }

    /**
     * Called from a traversal's action: ends the traversal's section (the misuse under test), runs {@code rebuild}
     * (writes that rebuild the table, retiring the traversed one), waits until its release has run, and opens a new
     * section, which does not hold the old table, for the traversal's own unlock.
     */
    static void releaseTheTraversedTable(Rcu rcu, Runnable rebuild) {
        rcu.readUnlock();
        rebuild.run();
        rcu.synchronize();
        rcu.barrier();
        rcu.readLock();
    }

    /**
     * The build grants this suite's JVM native access, so the address space exists and every test here runs the
     * readers' address-space path (RcuLongMapWithoutNativeAccessTest runs the other).
     */
    @Test
    void theSuitesJvmHasTheAddressSpaceSoTheseTestsTakeThatPath() {
        assumeFalse(Boolean.getBoolean("jrcu.map.checkedReads"), "checked reads asked for");
        assertThat(LongTable.ADDRESS_SPACE).isNotNull();
    }

    @Test
    void clearEmptiesTheMapAndReleasesTheOldTable() {
        RcuLongMap map = map();
        for (int i = 0; i < 1000; i++) {
            map.put(i, i);
        }
        map.put(RESERVED_KEYS[0], 1);
        map.clear();
        assertThat(map.size()).isZero();
        assertThat(map.get(5)).isEqualTo(MISSING);
        assertThat(map.get(RESERVED_KEYS[0])).isEqualTo(MISSING);
        rcu.barrier();
        assertThat(map.stats().offHeapBytes()).isEqualTo(map.stats().capacity() * 16L);
        map.put(5, 6);
        assertThat(map.get(5)).isEqualTo(6);
    }

    @Test
    void aClosedDomainRefusesNewMapsAndWrites() {
        RcuLongMap map = map();
        map.put(1, 1);
        flavor.leaveReader(rcu);
        rcu.close();
        assertThatThrownBy(() -> map.put(2, 2)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> map.get(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> RcuLongMap.create(rcu)).isInstanceOf(IllegalStateException.class);
        map.close();
        assertThat(map.stats().offHeapBytes()).isZero();
    }

    @Test
    void builderRefusesBadOptions() {
        RcuLongMap.Builder b = RcuLongMap.builder(rcu);
        assertThatThrownBy(() -> b.initialCapacity(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> b.maxEntries(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.reclamation(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RcuLongMap.builder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map().forEach(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> map().compute(1, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void qsbrLookupOnAnUnregisteredThreadThrows() throws Exception {
        RcuLongMap map = map();
        map.put(1, 1);
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                seen.set(new AssertionError("returned " + map.get(1)));
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
    void readersNeverSeeAnotherKeysValueWhileWritersChurnAndResize() throws Exception {
        RcuLongMap map = map(RcuLongMap.builder(rcu).hashSeed(1));
        assertThat(MapChurn.run(flavor, rcu, map, 200_000)).isZero();
    }

    /** The broken twin (a removed entry reused before its grace period) is caught by the same oracle. */
    @Test
    void theOracleCatchesTheTwinThatReusesEntriesEarly() throws Exception {
        long bad = 0;
        int attempts = 0;
        for (int attempt = 0; attempt < 200 && bad == 0; attempt++) {
            RcuLongMap map = map(RcuLongMap.builder(rcu).hashSeed(attempt).brokenEarlyReuse());
            bad = MapChurn.run(flavor, rcu, map, 200_000);
            attempts = attempt + 1;
        }
        assertThat(bad).as("values of another key seen in %d runs", attempts).isPositive();
    }

    /** A thread inside a read section (QSBR: registered, reporting nothing) until closed. */
    final class BlockingReader implements AutoCloseable {
        private final CountDownLatch started = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Thread thread;

        BlockingReader() throws InterruptedException {
            thread = new Thread(() -> {
                try {
                    flavor.startBlocking(rcu);
                    started.countDown();
                    release.await();
                    flavor.report(rcu);
                    flavor.leaveReader(rcu);
                } catch (Throwable e) {
                    failure.set(e);
                    started.countDown();
                }
            }, "blocking-reader");
            thread.start();
            assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        }

        @Override
        public void close() throws InterruptedException {
            release.countDown();
            thread.join(10_000);
            assertThat(thread.isAlive()).isFalse();
            assertThat(failure.get()).isNull();
        }
    }
}
