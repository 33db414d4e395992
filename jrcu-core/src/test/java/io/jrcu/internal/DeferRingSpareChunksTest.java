package io.jrcu.internal;

import io.jrcu.Rcu;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A queue whose pending count swings by several chunks between grace periods (a map's removals) allocates nothing
 * once it keeps enough spare chunks, where a queue that keeps one allocates chunks on every swing.
 */
class DeferRingSpareChunksTest {

    static final int SWING_CHUNKS = 4;
    /** The test's queue settings, keeping {@code spareChunks} emptied chunks. */
    static DeferRing.Settings settings(int spareChunks) {
        return new DeferRing.Settings("spare-chunks-test", Integer.MAX_VALUE, Integer.MAX_VALUE, Long.MAX_VALUE, true,
                false, spareChunks);
    }

    /**
     * {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()}, reached reflectively: the test sources
     * are compiled into module {@code io.jrcu}, which does not read the management modules.
     */
    static final MethodHandle ALLOCATED_BYTES = allocatedBytes();

    private static MethodHandle allocatedBytes() {
        try {
            Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                    .invoke(null);
            return MethodHandles.publicLookup().findVirtual(Class.forName("com.sun.management.ThreadMXBean"),
                    "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class)).bindTo(threads);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    static long allocated() {
        try {
            return (long) ALLOCATED_BYTES.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aQueueKeepingItsHighWaterMarkOfChunksAllocatesNothingOnLaterSwings() {
        try (Rcu rcu = Rcu.memb()) {
            long withSpares = allocatedOverSwings(rcu, SWING_CHUNKS + 1);
            long withOne = allocatedOverSwings(rcu, 1);
            assertThat(withSpares).as("bytes allocated by 8 swings with spares").isLessThan(1024);
            assertThat(withOne).as("bytes allocated by 8 swings with one spare chunk")
                    .isGreaterThan(8L * (SWING_CHUNKS - 2) * DeferRing.CHUNK_ENTRIES * Long.BYTES);
        }
    }

    @Test
    void spareChunksBelowOneAreRefused() {
        assertThatThrownBy(() -> settings(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("spareChunks 0");
    }

    /** Bytes this thread allocates enqueueing and reclaiming SWING_CHUNKS chunks, 8 times after 2 to warm up. */
    private static long allocatedOverSwings(Rcu rcu, int spareChunks) {
        long[] freed = {0};
        DeferRing<Void> ring = DeferRing.ofLongs(rcu, (values, count) -> freed[0] += count, settings(spareChunks));
        long allocated = 0;
        int entries = SWING_CHUNKS * DeferRing.CHUNK_ENTRIES;
        for (int swing = 0; swing < 10; swing++) {
            long start = allocated();
            for (int i = 0; i < entries; i++) {
                ring.enqueueLong(i);
            }
            long enqueued = allocated();
            rcu.synchronize();
            long synchronizedAt = allocated();
            while (ring.reclaimSome(Integer.MAX_VALUE) > 0) {
                // until every entry is freed
            }
            long end = allocated();
            if (swing >= 2) {
                allocated += (enqueued - start) + (end - synchronizedAt);
            }
        }
        assertThat(freed[0]).isEqualTo(10L * entries);
        ring.close();
        return allocated;
    }
}
