package io.jrcu.arena;

import io.jrcu.BlockingReaderSupport;
import io.jrcu.BulletProofRcu;
import io.jrcu.LogCapture;
import io.jrcu.Rcu;
import io.jrcu.RcuReference;
import io.jrcu.TestFlavor;
import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Body;
import io.jrcu.TestThreads;
import io.jrcu.internal.Bridge;
import io.jrcu.internal.DeferRing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static io.jrcu.TestThreads.await;
import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@link RcuArena} conformance suite (issue 4, "RcuArena" and its part of "Proof"; contract.md, "RcuArena API"
 * and "ArenaStats semantics"), written once and run for every flavor through the fixture {@link TestFlavor}.
 *
 * <p>"A reader that blocks grace periods" is, for memb and bulletProof, a thread holding an open read section; for
 * QSBR, a registered (so online) thread that does not report a quiescent state. It lives on an {@link Agent}, so
 * that the test thread can drive it step by step (and make it read a freed segment inside its section); it always
 * leaves in a {@code finally}.
 *
 * <p>How a test makes freed memory reusable without sleeping: the reader leaves, {@code synchronize()} (or polling,
 * where the point is that nobody calls it) completes the grace period, and then allocations of a size class are
 * made until the arena has reclaimed (an allocation that finds its class's free list empty reclaims before it
 * carves). Such loops are bounded by a count or by a deadline ({@link TestThreads#awaitCondition}); no assertion is
 * about time. "Not reused while a reader blocks" is a safety property: it holds at every instant, so checking it
 * over any number of allocations is sound.
 *
 * <p>Segment contents are checked with tags: every 8-byte word of a segment is set to a value unique to the
 * allocation, and read back before the segment is freed, so that memory handed to two owners at once (or reused
 * before its grace period) shows up as a foreign tag.
 */
@ParameterizedClass
@EnumSource(TestFlavor.class)
class RcuArenaConformanceTest extends BlockingReaderSupport {

    /** The default chunk size (1 MiB, documented by {@link RcuArena#create}). */
    static final long CHUNK = 1 << 20;
    static final long MIB = 1 << 20;

    @Parameter
    TestFlavor flavor;

    @Override
    protected TestFlavor flavor() {
        return flavor;
    }

    /** Makes the calling thread able to open read sections (QSBR: registers it, which brings it online). */
    void becomeReader(Rcu rcu) {
        flavor.becomeReader(rcu);
    }

    /** What a busy reader does between two sections (QSBR: reports a quiescent state). */
    void betweenSections(Rcu rcu) {
        flavor.betweenSections(rcu);
    }

    // ------------------------------------------------------------------ domains, arenas, readers

    private final List<RcuArena> arenas = new CopyOnWriteArrayList<>();

    /** An arena with default settings, closed after the test. */
    final RcuArena arena(Rcu rcu) {
        return track(RcuArena.builder(rcu).name("test-" + flavor()).build());
    }

    final RcuArena track(RcuArena arena) {
        arenas.add(arena);
        return arena;
    }

    /**
     * Closes every arena of the test (before its domain is closed: JUnit runs a subclass's {@code @AfterEach} first),
     * on a helper thread with a bounded wait, so that a failed test does not hang the run.
     */
    @AfterEach
    final void closeArenasAndCheckErrors() {
        List<RcuArena> toClose = new ArrayList<>(arenas);
        arenas.clear();
        try (TestThreads closer = new TestThreads(Duration.ofSeconds(10))) {
            for (RcuArena a : toClose) {
                closer.platform("after-test-arena-close", a::close);
            }
        }
        assertThat(domainErrors).as("failures handed to the domain's error handler").isEmpty();
    }


    // ------------------------------------------------------------------ tags, stats, reclaim driving

    /** Sets every 8-byte word of {@code s} to {@code tag} (and a trailing partial word to its low bytes). */
    static void fill(MemorySegment s, long tag) {
        long size = s.byteSize();
        long off = 0;
        for (; off + 8 <= size; off += 8) {
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, tag);
        }
        for (; off < size; off++) {
            s.set(ValueLayout.JAVA_BYTE, off, (byte) (tag >>> (8 * (off & 7))));
        }
    }

    /** Fails unless {@code s} holds exactly what {@link #fill} wrote. */
    static void verify(MemorySegment s, long tag, String what) {
        long size = s.byteSize();
        long off = 0;
        for (; off + 8 <= size; off += 8) {
            long v = s.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
            if (v != tag) {
                throw new AssertionError(what + ": word at offset " + off + " of the segment at 0x"
                        + Long.toHexString(s.address()) + " (" + size + " bytes) is 0x" + Long.toHexString(v)
                        + ", expected 0x" + Long.toHexString(tag));
            }
        }
        for (; off < size; off++) {
            byte v = s.get(ValueLayout.JAVA_BYTE, off);
            if (v != (byte) (tag >>> (8 * (off & 7)))) {
                throw new AssertionError(what + ": byte at offset " + off + " of the segment at 0x"
                        + Long.toHexString(s.address()) + " is " + v);
            }
        }
    }

    /** Whether every byte of {@code s} is {@link RcuArena#POISON}. */
    static boolean poisoned(MemorySegment s) {
        for (long off = 0; off < s.byteSize(); off++) {
            if (s.get(ValueLayout.JAVA_BYTE, off) != RcuArena.POISON) {
                return false;
            }
        }
        return true;
    }

    /** The arena's stats, checked against the quiescent invariant. */
    static ArenaStats quiescentStats(RcuArena arena) {
        ArenaStats s = arena.stats();
        assertThat(s.bytesReserved()).as("bytesReserved of %s", s).isNotNegative();
        assertThat(s.bytesInUse()).as("bytesInUse of %s", s).isNotNegative();
        assertThat(s.bytesPendingFree()).as("bytesPendingFree of %s", s).isNotNegative();
        assertThat(s.bytesFree()).as("bytesFree of %s", s).isNotNegative();
        assertThat(s.bytesInUse() + s.bytesPendingFree() + s.bytesFree())
                .as("reserved == inUse + pendingFree + free when quiescent: %s", s).isEqualTo(s.bytesReserved());
        return s;
    }

    static final ArenaStats ZERO = new ArenaStats(0, 0, 0, 0);

    /**
     * Allocates blocks of {@code size} bytes (added to {@code held}, for the caller to free) until {@code done}
     * holds — each allocation is a chance for the arena to reclaim — failing after {@link #LONG}.
     */
    static void allocateUntil(RcuArena arena, long size, List<MemorySegment> held, String what,
                              BooleanSupplier done) {
        awaitCondition(what, () -> {
            if (done.getAsBoolean()) {
                return true;
            }
            held.add(arena.allocate(size));
            return done.getAsBoolean();
        });
    }

    /**
     * Lets the grace period of every free so far pass, then allocates blocks of {@code size} bytes (added to
     * {@code held}) until the arena has reclaimed them all: nothing is pending any more.
     */
    static void reclaimEverything(Rcu rcu, RcuArena arena, long size, List<MemorySegment> held, String what) {
        rcu.synchronize();
        allocateUntil(arena, size, held, what, () -> arena.stats().bytesPendingFree() == 0);
    }

    /** Allocates {@code size} bytes until the freed block at {@code address} comes back; returns it. */
    static MemorySegment allocateUntilReused(RcuArena arena, long size, long address, List<MemorySegment> held,
                                             int maxAllocations) {
        for (int i = 0; i < maxAllocations; i++) {
            MemorySegment s = arena.allocate(size);
            if (s.address() == address) {
                return s;
            }
            held.add(s);
        }
        throw new AssertionError("the freed block at 0x" + Long.toHexString(address) + " did not come back within "
                + maxAllocations + " allocations of " + size + " bytes after its grace period");
    }

    /** Fails unless {@code thrown} refuses a double free of {@code s}: an IllegalStateException naming its address. */
    static void assertDoubleFree(Throwable thrown, MemorySegment s, String what) {
        assertThat(thrown).as(what).isInstanceOf(IllegalStateException.class).hasMessageContaining(hex(s.address()))
                .hasMessageContaining("double free");
    }

    static void freeAll(RcuArena arena, List<MemorySegment> segments) {
        for (MemorySegment s : segments) {
            arena.free(s);
        }
        segments.clear();
    }

    static String stackTrace(Throwable t) {
        java.io.StringWriter out = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }

    static String hex(long address) {
        return "0x" + Long.toHexString(address);
    }

    // ================================================================== allocate

    @Test
    void allocateReturnsTheRequestedSizeWritableAndReadable() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        long[] sizes = {0, 1, 7, 8, 15, 16, 17, 100, 128, 129, 1000, 4095, 4096, 4097, 65536, 300_000, CHUNK - 1,
                CHUNK, CHUNK + 1, 3 * CHUNK + 5};
        List<MemorySegment> segments = new ArrayList<>();
        long expectedInUse = 0;
        for (int i = 0; i < sizes.length; i++) {
            long size = sizes[i];
            MemorySegment s = arena.allocate(size);
            assertThat(s.byteSize()).as("byteSize of allocate(%d)", size).isEqualTo(size);
            assertThat(s.address() % 8).as("8-byte alignment of allocate(%d) at %s", size, hex(s.address())).isZero();
            if (size <= CHUNK) {
                assertThat(s.address() % 16).as("blocks are 16-byte aligned: allocate(%d)", size).isZero();
                expectedInUse += ArenaLayout.classSize(ArenaLayout.classIndex(Math.max(size, 1)));
            } else {
                expectedInUse += size;   // a dedicated allocation counts its own size
            }
            assertThat(s.isReadOnly()).isFalse();
            assertThat(s.isNative()).isTrue();
            fill(s, 0x1111_0000_0000L + i);
            segments.add(s);
        }
        for (int i = 0; i < sizes.length; i++) {
            verify(segments.get(i), 0x1111_0000_0000L + i, "allocate(" + sizes[i] + ")");
        }
        assertThat(quiescentStats(arena).bytesInUse()).as("bytesInUse: class sizes, dedicated at their own size")
                .isEqualTo(expectedInUse);
        freeAll(arena, segments);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
    }

    @ParameterizedTest(name = "alignment {0}")
    @ValueSource(longs = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 65536})
    void alignmentIsHonoured(long alignment) {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        long[] sizes = {0, 1, 24, 100, 1000, 5000, 70_000};
        List<MemorySegment> segments = new ArrayList<>();
        for (int round = 0; round < 3; round++) {   // several blocks of each class, not only the first of a slab
            for (long size : sizes) {
                long reservedBefore = quiescentStats(arena).bytesReserved();
                MemorySegment s = arena.allocate(size, alignment);
                assertThat(s.byteSize()).as("byteSize of allocate(%d, %d)", size, alignment).isEqualTo(size);
                assertThat(s.address() % alignment).as("allocate(%d, %d) at %s", size, alignment, hex(s.address()))
                        .isZero();
                if (alignment > ArenaLayout.PAGE) {
                    // more than a page: a dedicated allocation, which reserves exactly its own size
                    assertThat(quiescentStats(arena).bytesReserved() - reservedBefore)
                            .as("reserved by dedicated allocate(%d, %d)", size, alignment).isEqualTo(Math.max(size, 1));
                }
                fill(s, (round << 20) + size);
                segments.add(s);
            }
        }
        int i = 0;
        for (int round = 0; round < 3; round++) {
            for (long size : sizes) {
                verify(segments.get(i++), (round << 20) + size, "allocate(" + size + ", " + alignment + ")");
            }
        }
        freeAll(arena, segments);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
    }

    /**
     * Live segments never overlap: thousands of random sizes and alignments, each tagged; every tag intact at the
     * end, and the address ranges disjoint. Then half are freed, their grace period passes, more are allocated (some
     * reusing the freed blocks), and all live tags are checked again.
     */
    @Test
    void liveSegmentsNeverOverlap() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        SplittableRandom random = new SplittableRandom(42);
        List<MemorySegment> live = new ArrayList<>();
        List<Long> tags = new ArrayList<>();
        long tag = 1;
        for (int phase = 0; phase < 3; phase++) {
            for (int i = 0; i < 3000; i++) {
                long size = random.nextInt(8) == 0 ? random.nextLong(20_000) : random.nextLong(600);
                long align = 1L << random.nextInt(random.nextInt(10) == 0 ? 13 : 7);
                MemorySegment s = arena.allocate(size, align);
                assertThat(s.address() % align).isZero();
                fill(s, tag);
                live.add(s);
                tags.add(tag++);
            }
            for (int i = 0; i < live.size(); i++) {
                verify(live.get(i), tags.get(i), "live segment #" + i + " in phase " + phase);
            }
            assertDisjoint(live);
            // free every other segment, let their grace period pass: the next phase reuses them
            List<MemorySegment> kept = new ArrayList<>();
            List<Long> keptTags = new ArrayList<>();
            for (int i = 0; i < live.size(); i++) {
                if (i % 2 == 0) {
                    arena.free(live.get(i));
                } else {
                    kept.add(live.get(i));
                    keptTags.add(tags.get(i));
                }
            }
            live = kept;
            tags = keptTags;
            rcu.synchronize();
        }
        freeAll(arena, live);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
    }

    static void assertDisjoint(List<MemorySegment> segments) {
        List<MemorySegment> sorted = new ArrayList<>(segments);
        sorted.removeIf(s -> s.byteSize() == 0);
        sorted.sort((a, b) -> Long.compareUnsigned(a.address(), b.address()));
        for (int i = 1; i < sorted.size(); i++) {
            MemorySegment prev = sorted.get(i - 1);
            MemorySegment next = sorted.get(i);
            assertThat(prev.address() + prev.byteSize() <= next.address())
                    .as("live segments [%s, +%d) and [%s, +%d) overlap", hex(prev.address()), prev.byteSize(),
                            hex(next.address()), next.byteSize()).isTrue();
        }
    }

    @Test
    void zeroSizeAllocationsAreDistinctBlocksThatCanBeFreed() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment a = arena.allocate(0);
        MemorySegment b = arena.allocate(0);
        MemorySegment c = arena.allocate(0, ArenaLayout.PAGE * 2L);   // dedicated
        assertThat(a.byteSize()).isZero();
        assertThat(b.byteSize()).isZero();
        assertThat(c.byteSize()).isZero();
        assertThat(a.address()).isNotEqualTo(b.address());
        assertThat(c.address() % (ArenaLayout.PAGE * 2L)).isZero();
        assertThat(quiescentStats(arena).bytesInUse()).as("a zero-size block takes the smallest class (16 bytes);"
                + " a dedicated one counts one byte").isEqualTo(2 * ArenaLayout.QUANTUM + 1);
        arena.free(a);
        arena.free(b);
        arena.free(c);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
        assertThatThrownBy(() -> arena.free(a)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> arena.free(c)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void allocateRejectsBadArgumentsAndRefusesAfterClose() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        for (long bad : new long[] {-1, -16, Long.MIN_VALUE}) {
            assertThatThrownBy(() -> arena.allocate(bad)).as("allocate(%d)", bad)
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> arena.allocate(bad, 8)).as("allocate(%d, 8)", bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        for (long bad : new long[] {0, -8, 3, 24, 48, 4097, Long.MIN_VALUE, Long.MAX_VALUE}) {
            assertThatThrownBy(() -> arena.allocate(64, bad)).as("allocate(64, %d)", bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(quiescentStats(arena)).as("nothing reserved by refused requests").isEqualTo(ZERO);
        arena.close();
        assertThatThrownBy(() -> arena.allocate(64)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> arena.allocate(64, 64)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> arena.allocate(2 * CHUNK)).isInstanceOf(IllegalStateException.class);
        assertThat(arena.stats()).isEqualTo(ZERO);
    }

    /**
     * A chunk size the builder accepts (a power of two from 4 KiB to 1 GiB) serves every size up to the chunk from
     * its classes, and larger ones from dedicated allocations.
     */
    @ParameterizedTest(name = "chunk {0}")
    @ValueSource(longs = {65536, 1 << 21})
    void everyAcceptedChunkSizeServesEverySize(long chunkSize) {
        chunkSizeServesEverySize(chunkSize);
    }

    /**
     * The builder accepts chunks from 4 KiB, while a slab is up to 64 KiB ({@link ArenaLayout#SLAB_TARGET}): a slab
     * is at most a chunk, so a chunk below the slab size serves every size class.
     */
    @ParameterizedTest(name = "chunk {0}")
    @ValueSource(longs = {4096, 16384, 32768})
    void chunkSizesBelowTheSlabSizeServeEverySize(long chunkSize) {
        chunkSizeServesEverySize(chunkSize);
    }

    private void chunkSizeServesEverySize(long chunkSize) {
        Rcu rcu = domain();
        RcuArena arena = track(RcuArena.builder(rcu).name("chunk-" + chunkSize).chunkSize(chunkSize).build());
        long[] sizes = {0, 1, 16, 100, 1000, chunkSize / 2, chunkSize - 1, chunkSize, chunkSize + 1};
        List<MemorySegment> segments = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            for (long size : sizes) {
                MemorySegment s = arena.allocate(size);
                assertThat(s.byteSize()).isEqualTo(size);
                fill(s, size);
                segments.add(s);
            }
        }
        assertDisjoint(segments);
        for (MemorySegment s : segments) {
            verify(s, s.byteSize(), "allocate(" + s.byteSize() + ") from " + chunkSize + "-byte chunks");
        }
        freeAll(arena, segments);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
    }

    @Test
    void builderRejectsBadSettings() {
        Rcu rcu = domain();
        assertThatThrownBy(() -> RcuArena.builder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RcuArena.create(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RcuArena.builder(rcu).name(null)).isInstanceOf(NullPointerException.class);
        for (long bad : new long[] {0, -4096, 2048, 4095, 3 * 4096, 1L << 31, Long.MIN_VALUE}) {
            assertThatThrownBy(() -> RcuArena.builder(rcu).chunkSize(bad)).as("chunkSize(%d)", bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> RcuArena.builder(rcu).quarantine(-1)).isInstanceOf(IllegalArgumentException.class);
        try (RcuArena ok = RcuArena.builder(rcu).name("ok").chunkSize(1L << 30).debug(true).quarantine(0).build()) {
            assertThat(ok.stats()).as("building reserves nothing").isEqualTo(ZERO);
            assertThat(ok.toString()).contains("ok");
        }
    }

    // ================================================================== reuse only after a grace period

    /**
     * The core promise: a freed block is not handed out again while a reader that could have found it blocks the
     * grace period — the reader can still read what was written before the free — and after the grace period it is
     * (the class's free list is LIFO, so the next allocation that reclaims gets it).
     */
    @Test
    void freedMemoryIsReusedOnlyAfterItsGracePeriod() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        List<MemorySegment> held = new ArrayList<>();
        MemorySegment freed;
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            freed = arena.allocate(64);
            fill(freed, 0xF00D_F00DL);
            arena.free(freed);
            // three slabs' worth of the 64-byte class: every reclaim attempt of allocate runs (after 32 carved,
            // at the end of a slab), and none may reuse the block
            for (int i = 0; i < 3000; i++) {
                MemorySegment s = arena.allocate(64);
                assertThat(s.address()).as("allocation #%d while the reader blocks the grace period", i)
                        .isNotEqualTo(freed.address());
                held.add(s);
            }
            assertThat(quiescentStats(arena).bytesPendingFree()).isEqualTo(64);
            reader.run(() -> verify(freed, 0xF00D_F00DL, "the freed segment, read by the reader that blocks it"));
            reader.leave();
        }
        rcu.synchronize();
        MemorySegment reused = allocateUntilReused(arena, 64, freed.address(), held, 3000);
        assertThat(quiescentStats(arena).bytesPendingFree()).isZero();
        held.add(reused);
        freeAll(arena, held);
    }

    /**
     * Grace periods progress on their own: after the reader reports (QSBR: again each round, as a real reader
     * would), allocations alone eventually reuse the freed block — nobody calls synchronize().
     */
    @Test
    void freedMemoryIsReusedByPollingAloneWithoutSynchronize() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        List<MemorySegment> held = new ArrayList<>();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            MemorySegment freed = arena.allocate(200);
            arena.free(freed);
            for (int i = 0; i < 500; i++) {
                MemorySegment s = arena.allocate(200);
                assertThat(s.address()).isNotEqualTo(freed.address());
                held.add(s);
            }
            reader.report();
            // fails with its message if the block never comes back
            awaitCondition("the freed block is reused after the reader reported, without synchronize()", () -> {
                MemorySegment s = arena.allocate(200);
                held.add(s);
                if (s.address() == freed.address()) {
                    return true;
                }
                unchecked(reader::report);
                return false;
            });
        }
        freeAll(arena, held);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
    }

    /** free() may be called inside a read section; the freeing reader may go on reading the segment until it leaves. */
    @Test
    void freeInsideAReadSectionKeepsTheSegmentReadableUntilTheSectionEnds() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(64);
        fill(s, 0x5EC7L);
        List<MemorySegment> held = new ArrayList<>();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            reader.run(() -> {
                rcu.readLock();   // (QSBR: an explicit section too; the reader is online anyway)
                try {
                    arena.free(s);
                    for (int i = 0; i < 100; i++) {
                        MemorySegment t = arena.allocate(64);
                        if (t.address() == s.address()) {
                            throw new AssertionError("reused inside the section of the thread that freed it");
                        }
                        held.add(t);
                    }
                    verify(s, 0x5EC7L, "a segment its own reader freed, read in the same section");
                } finally {
                    rcu.readUnlock();
                }
            });
            reader.leave();
        }
        rcu.synchronize();
        held.add(allocateUntilReused(arena, 64, s.address(), held, 3000));
        freeAll(arena, held);
    }

    // ================================================================== misuse

    @Test
    void doubleFreeThrowsIllegalStateExceptionNamingTheAddress() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(100);
        MemorySegment other = arena.allocate(100);
        arena.free(s);
        ArenaStats before = quiescentStats(arena);
        assertDoubleFree(catchThrowable(() -> arena.free(s)), s, "second free while the first waits for its grace"
                + " period");
        assertThat(quiescentStats(arena)).as("a refused free changes nothing").isEqualTo(before);

        // after the grace period and the reclaim (block FREE on its list, not yet reused): still a double free
        List<MemorySegment> held = new ArrayList<>();
        reclaimEverything(rcu, arena, 48, held, "the freed block is reclaimed");
        assertDoubleFree(catchThrowable(() -> arena.free(s)), s, "second free after the block was reclaimed, before"
                + " it is reused");
        held.add(other);
        freeAll(arena, held);
    }

    /** Of two threads freeing the same segment at once, exactly one succeeds and the other gets the ISE. */
    @Test
    void racingDoubleFreesHaveExactlyOneWinner() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        int rounds = 500;
        try (TestThreads threads = new TestThreads()) {
            for (int round = 0; round < rounds; round++) {
                MemorySegment s = arena.allocate(round % 50 == 0 ? 2 * CHUNK : 16 + round % 300);
                CountDownLatch go = new CountDownLatch(1);
                AtomicInteger refused = new AtomicInteger();
                Body freeIt = () -> {
                    await(go);
                    try {
                        arena.free(s);
                    } catch (IllegalStateException e) {
                        refused.incrementAndGet();
                    }
                };
                CountDownLatch done = new CountDownLatch(2);
                for (int t = 0; t < 2; t++) {
                    threads.platform("double-freer", () -> {
                        try {
                            freeIt.run();
                        } finally {
                            done.countDown();
                        }
                    });
                }
                go.countDown();
                await(done);
                assertThat(refused.get()).as("refused frees in round %d (%d bytes)", round, s.byteSize()).isOne();
            }
        }
        ArenaStats st = quiescentStats(arena);
        assertThat(st.bytesInUse()).isZero();
    }

    @Test
    void freeOfForeignSegmentsThrowsIllegalArgumentException() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        RcuArena otherArena = arena(rcu);
        MemorySegment mine = arena.allocate(64);   // the arena has a chunk, so lookups have something to search
        MemorySegment mineBig = arena.allocate(2 * CHUNK);
        MemorySegment othersBlock = otherArena.allocate(64);
        MemorySegment othersBig = otherArena.allocate(2 * CHUNK);
        ArenaStats before = quiescentStats(arena);
        try (Arena confined = Arena.ofConfined()) {
            Map<String, MemorySegment> foreign = Map.of(
                    "Arena.ofConfined()", confined.allocate(64),
                    "Arena.ofAuto()", Arena.ofAuto().allocate(64),
                    "Arena.global()", Arena.global().allocate(64),
                    "a heap segment", MemorySegment.ofArray(new byte[64]),
                    "MemorySegment.NULL", MemorySegment.NULL,
                    "a block of another RcuArena", othersBlock,
                    "a dedicated allocation of another RcuArena", othersBig,
                    // same address as one of ours, but not from this arena's memory session
                    "a raw alias of one of our blocks", MemorySegment.ofAddress(mine.address()).reinterpret(64),
                    "a raw alias of our dedicated allocation",
                    MemorySegment.ofAddress(mineBig.address()).reinterpret(2 * CHUNK));
            foreign.forEach((what, s) -> assertThatThrownBy(() -> arena.free(s)).as("free of %s", what)
                    .isInstanceOf(IllegalArgumentException.class));
        }
        assertThat(quiescentStats(arena)).as("refused frees change nothing").isEqualTo(before);
        assertThatThrownBy(() -> arena.free(null)).isInstanceOf(NullPointerException.class);
        // the other arena's segments are still its own to free, and ours ours
        otherArena.free(othersBlock);
        otherArena.free(othersBig);
        arena.free(mine);
        arena.free(mineBig);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
        assertThat(quiescentStats(otherArena).bytesInUse()).isZero();
    }

    @Test
    void freeOfASliceThatIsNotABlockThrowsIllegalArgumentException() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(100);   // a 112-byte block
        long block = 112;
        ArenaStats before = quiescentStats(arena);
        assertThatThrownBy(() -> arena.free(s.asSlice(16))).as("a slice 16 bytes into the block")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block");
        assertThatThrownBy(() -> arena.free(s.asSlice(1, 8))).as("a slice 1 byte into the block")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> arena.free(s.asSlice(100, 0))).as("an empty slice at its end")
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> arena.free(s.reinterpret(block + 1))).as("at the block start, larger than the block")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("larger");
        assertThatThrownBy(() -> arena.free(s.reinterpret(CHUNK))).as("at the block start, a chunk long")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(quiescentStats(arena)).as("refused frees change nothing").isEqualTo(before);
        // a slice that starts at the block's first byte frees the block (documented)
        arena.free(s.asSlice(0, 10));
        assertThat(quiescentStats(arena).bytesPendingFree()).isEqualTo(block);
        assertThatThrownBy(() -> arena.free(s)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void misuseOfADedicatedAllocation() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        long size = CHUNK + 100;
        MemorySegment big = arena.allocate(size);
        assertThatThrownBy(() -> arena.free(big.asSlice(64))).as("a slice inside a dedicated allocation")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(quiescentStats(arena).bytesInUse()).isEqualTo(size);
        arena.free(big);
        assertDoubleFree(catchThrowable(() -> arena.free(big)), big, "double free of a dedicated allocation before"
                + " its grace period");
        assertThat(quiescentStats(arena)).isEqualTo(new ArenaStats(size, 0, size, 0));

        // after its grace period it is released; a late free must still be refused, never succeed or crash
        List<MemorySegment> held = new ArrayList<>();
        reclaimEverything(rcu, arena, 16, held, "the dedicated allocation is released");
        assertThat(catchThrowable(() -> arena.free(big))).as("free of a released dedicated allocation")
                .isInstanceOfAny(IllegalStateException.class, IllegalArgumentException.class);
        freeAll(arena, held);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
    }

    /**
     * A segment that starts at a dedicated allocation but is larger than it is not that allocation (as for blocks:
     * {@link #freeOfASliceThatIsNotABlockThrowsIllegalArgumentException}).
     *
     * <p>The free checks the size too, not only the address and the memory session: the larger alias is refused and
     * the allocation stays live.
     */
    @Test
    void freeOfALargerAliasOfADedicatedAllocationThrowsIllegalArgumentException() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        long size = CHUNK + 100;
        MemorySegment big = arena.allocate(size);
        ArenaStats before = quiescentStats(arena);
        assertThatThrownBy(() -> arena.free(big.reinterpret(size + 1))).as("at its start, one byte larger")
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(quiescentStats(arena)).isEqualTo(before);
        arena.free(big);
    }

    @Test
    void freeAfterCloseThrowsIllegalStateException() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(64);
        MemorySegment big = arena.allocate(2 * CHUNK);
        arena.close();
        assertThatThrownBy(() -> arena.free(s)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> arena.free(big)).isInstanceOf(IllegalStateException.class);
        try (Arena confined = Arena.ofConfined()) {
            MemorySegment foreign = confined.allocate(8);
            assertThat(catchThrowable(() -> arena.free(foreign))).as("free of a foreign segment after close")
                    .isInstanceOfAny(IllegalStateException.class, IllegalArgumentException.class);
        }
        assertThat(arena.stats()).isEqualTo(ZERO);
    }

    // ================================================================== stats

    @Test
    void statsCountBlocksAtTheirClassSize() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        assertThat(quiescentStats(arena)).as("a new arena reserves nothing").isEqualTo(ZERO);
        MemorySegment a = arena.allocate(100);
        assertThat(quiescentStats(arena)).as("after allocate(100): one chunk, a 112-byte block")
                .isEqualTo(new ArenaStats(CHUNK, 112, 0, CHUNK - 112));
        MemorySegment b = arena.allocate(0);
        MemorySegment c = arena.allocate(129);
        MemorySegment d = arena.allocate(4097);
        long others = 16 + 160 + 5120;
        assertThat(quiescentStats(arena)).isEqualTo(new ArenaStats(CHUNK, 112 + others, 0, CHUNK - 112 - others));

        arena.free(a);
        assertThat(quiescentStats(arena)).as("after free: pending until its grace period")
                .isEqualTo(new ArenaStats(CHUNK, others, 112, CHUNK - 112 - others));

        List<MemorySegment> held = new ArrayList<>();
        reclaimEverything(rcu, arena, 48, held, "the freed block is reclaimed");
        ArenaStats s = quiescentStats(arena);
        assertThat(s.bytesInUse()).as("after reclaim").isEqualTo(others + 48L * held.size());
        assertThat(s.bytesPendingFree()).isZero();
        assertThat(s.bytesFree()).as("the reclaimed block is free again").isEqualTo(CHUNK - s.bytesInUse());

        long inUse = s.bytesInUse();
        held.addAll(List.of(b, c, d));
        freeAll(arena, held);
        s = quiescentStats(arena);
        assertThat(s.bytesInUse()).isZero();
        assertThat(s.bytesPendingFree()).as("everything freed is pending").isEqualTo(inUse);
        arena.close();
        assertThat(arena.stats()).as("after close").isEqualTo(ZERO);
    }

    /**
     * A dedicated allocation adds exactly its size to bytesReserved; freed, it stays reserved (pending) while a reader
     * blocks its grace period — and the reader can still read it — and is released (reserved drops, the segment is
     * no longer accessible) after the grace period.
     */
    @Test
    void aDedicatedAllocationIsReservedExactlyAndReleasedAfterItsGracePeriod() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        long size = 3 * CHUNK + 12_345;
        MemorySegment big = arena.allocate(size);
        assertThat(quiescentStats(arena)).isEqualTo(new ArenaStats(size, size, 0, 0));
        fill(big, 0xB16L);
        List<MemorySegment> held = new ArrayList<>();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            arena.free(big);
            assertThat(quiescentStats(arena)).isEqualTo(new ArenaStats(size, 0, size, 0));
            for (int i = 0; i < 200; i++) {   // chances to reclaim: none may release it
                held.add(arena.allocate(16));
            }
            ArenaStats s = quiescentStats(arena);
            assertThat(s.bytesReserved()).isEqualTo(size + CHUNK);
            assertThat(s.bytesPendingFree()).isEqualTo(size);
            reader.run(() -> verify(big, 0xB16L, "the freed dedicated segment, read by the reader that blocks it"));
            reader.leave();
        }
        reclaimEverything(rcu, arena, 16, held, "the dedicated allocation is released");
        assertThat(quiescentStats(arena).bytesReserved()).as("reserved after the release: only the chunk")
                .isEqualTo(CHUNK);
        assertThatThrownBy(() -> big.get(ValueLayout.JAVA_LONG, 0)).as("reading the released dedicated segment")
                .isInstanceOf(IllegalStateException.class);
        freeAll(arena, held);
    }

    /**
     * bytesReserved stays bounded: 200,000 allocate(64) + free (each segment published to a reader through an
     * RcuReference before the previous one is freed) with a reader thread busy in sections. Why 8 MiB: memory is
     * reused once a grace period passes, and an allocation tries to reclaim at least every 32 blocks it carves, so
     * what is reserved follows the frees pending across one or two grace periods. The writer makes sure the reader
     * completes a section at least once per 1024 iterations (waiting for it if it was descheduled inside one), so no
     * grace period spans more than a few thousand frees: well under a MiB of 64-byte blocks. 8 MiB (8 chunks, the
     * 131,072 blocks a 200,000-iteration leak would pass by iteration 131,072) leaves a wide margin while still
     * failing an arena that never reused memory (12.8 MB).
     *
     * <p>The reader also checks each segment it finds: its 8 words carry one tag; a torn or foreign tag would mean the
     * block was reused while the reader could still see it.
     */
    @Test
    void bytesReservedStaysBoundedUnderChurnWithABusyReader() throws InterruptedException {
        // debug checks on: RcuReference.get() then checks the reader is protected (once any debug domain has been
        // built in this JVM, get() checks every thread, and sections of every domain count)
        Rcu rcu = track(flavor().build(b -> b.errorHandler(domainErrors::add).debugChecks(true)));
        RcuArena arena = arena(rcu);
        MemorySegment first = arena.allocate(64);
        fill(first, 0);
        RcuReference<MemorySegment> current = new RcuReference<>(first);
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong sections = new AtomicLong();
        int iterations = 200_000;
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(60))) {
            CountDownLatch ready = new CountDownLatch(1);
            threads.platform("busy-reader", () -> {
                becomeReader(rcu);
                try {
                    ready.countDown();
                    while (running.get()) {
                        rcu.readLock();
                        try {
                            MemorySegment s = current.get();
                            long tag = s.get(ValueLayout.JAVA_LONG, 0);
                            for (long off = 8; off < 64; off += 8) {
                                long v = s.get(ValueLayout.JAVA_LONG, off);
                                if (v != tag) {
                                    throw new AssertionError("reader saw word " + off / 8 + " = " + v + " next to "
                                            + tag + " in the segment at " + hex(s.address())
                                            + ": reused inside a read section");
                                }
                            }
                        } finally {
                            rcu.readUnlock();
                        }
                        betweenSections(rcu);
                        sections.incrementAndGet();
                    }
                } finally {
                    leave(rcu);
                }
            });
            await(ready);
            try {
                for (int i = 1; i <= iterations; i++) {
                    MemorySegment next = arena.allocate(64);
                    fill(next, i);
                    arena.free(current.getAndSet(next));
                    if ((i & 1023) == 0) {
                        long seen = sections.get();
                        awaitCondition("the busy reader completes a section", () -> sections.get() > seen);
                    }
                }
            } finally {
                running.set(false);
            }
        }
        ArenaStats s = quiescentStats(arena);
        assertThat(s.bytesInUse()).isEqualTo(64);
        assertThat(s.bytesReserved()).as("bytesReserved after %d allocate(64)+free with a busy reader (peak: chunks"
                + " are kept)", iterations).isLessThanOrEqualTo(8 * MIB);
        arena.free(current.getAndSet(null));   // (get() outside a section would fail the debug check)
    }

    // ================================================================== debug: poison and quarantine

    /**
     * With debug(true), freed blocks (of several classes) are untouched while a reader blocks their grace period, and
     * after it (once the arena reclaimed them) every byte of each whole block is POISON. With quarantine(n) a poisoned
     * block is not handed out again before n further frees after it have been reclaimed; then it comes back, oldest
     * first. Reading a freed segment is possible here: the shared arena lives on.
     */
    @Test
    void debugPoisonsFreedMemoryAfterItsGracePeriod() throws Exception {
        Rcu rcu = domain();
        long[] sizes = {100, 16, 1000, 5000};
        int n = sizes.length;   // the quarantine is full with the freed blocks: each further free releases one
        RcuArena arena = track(RcuArena.builder(rcu).name("debug").debug(true).quarantine(n).build());
        List<MemorySegment> freed = new ArrayList<>();
        long freedBytes = 0;
        for (int i = 0; i < n; i++) {
            MemorySegment s = arena.allocate(sizes[i]);
            fill(whole(s), 0x600D_0000L + i);   // the whole block (poison covers it)
            freed.add(s);
            freedBytes += blockSize(sizes[i]);
        }
        Set<Long> quarantined = addresses(freed);
        List<MemorySegment> held = new ArrayList<>();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            freeAll(arena, new ArrayList<>(freed));
            for (long size : sizes) {
                held.addAll(allocateMany(arena, size, 200));
            }
            assertThat(addresses(held)).as("allocations while the reader blocks").doesNotContainAnyElementsOf(
                    quarantined);
            reader.run(() -> {
                for (int i = 0; i < n; i++) {
                    verify(whole(freed.get(i)), 0x600D_0000L + i, "freed block read by the reader that blocks it");
                }
            });
            reader.leave();
        }
        rcu.synchronize();
        allocateUntil(arena, 100, held, "every freed block is poisoned (every byte) after its grace period",
                () -> freed.stream().allMatch(s -> poisoned(whole(s))));
        for (long size : sizes) {   // many chances to reuse each class
            held.addAll(allocateMany(arena, size, 300));
        }
        assertThat(addresses(held)).as("handed out during quarantine").doesNotContainAnyElementsOf(quarantined);
        assertThat(quiescentStats(arena).bytesPendingFree()).as("quarantined blocks count as pending free")
                .isEqualTo(freedBytes);
        for (MemorySegment s : freed) {
            assertDoubleFree(catchThrowable(() -> arena.free(s)), s, "a late double free during quarantine");
        }

        // each further free (of another class: 48 bytes) pushes the oldest block out of quarantine, and no other
        for (int i = 0; i < n; i++) {
            MemorySegment further = arena.allocate(48);
            fill(further, i);
            arena.free(further);
            quarantined.add(further.address());
            rcu.synchronize();
            allocateUntil(arena, 48, held, "further free #" + (i + 1) + " is poisoned", () -> poisoned(further));
            MemorySegment oldest = freed.get(i);
            quarantined.remove(oldest.address());
            held.add(allocateUntilReused(arena, oldest.byteSize(), oldest.address(), held, 3000));
            assertThat(addresses(held)).as("handed out after %d further frees", i + 1)
                    .doesNotContainAnyElementsOf(quarantined);
        }
        freeAll(arena, held);
    }

    /** The whole block that {@code s} starts (a segment of its class's size). */
    static MemorySegment whole(MemorySegment s) {
        return s.reinterpret(blockSize(s.byteSize()));
    }

    /**
     * quarantine(n): a freed, poisoned block is not handed out again before n more blocks have been freed (and
     * reclaimed) after it; a late double free is caught all that time; once the n-th is reclaimed, the block is the
     * first to come back.
     */
    @Test
    void quarantineDelaysReuseAndCatchesLateDoubleFrees() {
        Rcu rcu = domain();
        int n = 8;
        RcuArena arena = track(RcuArena.builder(rcu).name("quarantine").debug(true).quarantine(n).build());
        MemorySegment first = arena.allocate(64);
        List<MemorySegment> later = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            later.add(arena.allocate(64));
        }
        Set<Long> quarantined = new HashSet<>();
        quarantined.add(first.address());
        arena.free(first);
        for (int i = 0; i < n - 1; i++) {   // n - 1 more: not yet enough to release the first
            arena.free(later.get(i));
            quarantined.add(later.get(i).address());
        }
        rcu.synchronize();
        List<MemorySegment> held = new ArrayList<>();
        allocateUntil(arena, 64, held, "every freed block is poisoned (reclaimed into quarantine)",
                () -> quarantined.stream().allMatch(a -> poisoned(MemorySegment.ofAddress(a).reinterpret(64))));
        for (int i = 0; i < 2000; i++) {   // two slabs more: many chances to reuse
            held.add(arena.allocate(64));
        }
        for (MemorySegment h : held) {
            assertThat(quarantined).as("handed out during quarantine").doesNotContain(h.address());
        }
        assertThat(quiescentStats(arena).bytesPendingFree()).isEqualTo(64L * n);
        assertDoubleFree(catchThrowable(() -> arena.free(first)), first, "late double free during quarantine");
        assertThatThrownBy(() -> arena.free(later.get(0))).isInstanceOf(IllegalStateException.class);

        // the n-th free after it pushes the first (oldest) block out of quarantine
        MemorySegment nth = later.get(n - 1);
        arena.free(nth);
        rcu.synchronize();
        MemorySegment[] back = new MemorySegment[1];
        awaitCondition("the first block comes back after n more frees", () -> {
            MemorySegment s = arena.allocate(64);
            if (s.address() == first.address()) {
                back[0] = s;
                return true;
            }
            assertThat(s.address()).as("another quarantined block handed out before the oldest")
                    .isNotIn(quarantined).isNotEqualTo(nth.address());
            held.add(s);
            return false;
        });
        held.add(back[0]);
        freeAll(arena, held);
        arena.close();
        assertThat(arena.stats()).isEqualTo(ZERO);
    }

    // ================================================================== close

    @Test
    void closeIsIdempotentAndZeroesTheStats() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(64);
        arena.allocate(3 * CHUNK);
        arena.free(arena.allocate(1000));
        arena.close();
        assertThat(arena.stats()).isEqualTo(ZERO);
        arena.close();
        arena.close();
        assertThat(arena.stats()).isEqualTo(ZERO);
        assertThat(arena.toString()).contains("closed");
        assertThatThrownBy(() -> s.get(ValueLayout.JAVA_LONG, 0)).as("a live segment after close")
                .isInstanceOf(IllegalStateException.class);
    }

    /**
     * close() waits for the grace periods of outstanding frees: while a reader blocks, the reader can still read the
     * freed segment (close has not released memory) and allocations are already refused; once the reader leaves,
     * close returns, every stat is zero, and reading any segment throws IllegalStateException (never a crash).
     */
    @Test
    void closeWaitsForOutstandingFreesThenSegmentsThrowOnAccess() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment freed = arena.allocate(64);
        MemorySegment live = arena.allocate(64);
        MemorySegment big = arena.allocate(2 * CHUNK);
        fill(freed, 77);
        fill(big, 78);
        AtomicBoolean closed = new AtomicBoolean();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            arena.free(freed);
            arena.free(big);
            Thread closer = threads.platform("closer", () -> {
                arena.close();
                closed.set(true);
            });
            awaitCondition("the closer waits inside RcuArena.close()", () -> {
                if (closed.get()) {
                    throw new AssertionError("close() returned while a reader blocks the grace period");
                }
                return insideDeferQueueClose(closer);
            });
            assertThatThrownBy(() -> arena.allocate(64)).as("allocate while close() waits")
                    .isInstanceOf(IllegalStateException.class);
            reader.run(() -> {
                verify(freed, 77, "freed segment read while close() waits for the reader");
                verify(big, 78, "freed dedicated segment read while close() waits for the reader");
            });
            assertThat(closed).as("close() returned while the reader blocks").isFalse();
            reader.leave();
            awaitCondition("close() returns once the reader left", closed::get);
        }
        assertThat(arena.stats()).isEqualTo(ZERO);
        for (MemorySegment s : List.of(freed, live, big)) {
            assertThatThrownBy(() -> s.get(ValueLayout.JAVA_LONG, 0)).as("reading %s after close", s)
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> s.set(ValueLayout.JAVA_LONG, 0, 1L)).as("writing %s after close", s)
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    /** Whether {@code t} is inside the close() of the arena's queue (so RcuArena.close() has refused new work). */
    static boolean insideDeferQueueClose(Thread t) {
        boolean queueClose = false;
        boolean arenaClose = false;
        for (StackTraceElement e : t.getStackTrace()) {
            queueClose |= e.getClassName().equals(DeferRing.class.getName()) && e.getMethodName().equals("close");
            arenaClose |= e.getClassName().equals(RcuArena.class.getName()) && e.getMethodName().equals("close");
        }
        return queueClose && arenaClose;
    }

    /** close() inside a read section of the domain would wait for itself: it throws, and the arena stays usable. */
    @Test
    void closeInsideAReadSectionThrowsAndTheArenaStaysUsable() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(64);
        arena.free(arena.allocate(64));
        becomeReader(rcu);
        rcu.readLock();
        try {
            assertThatThrownBy(arena::close).as("close() inside a read section")
                    .isInstanceOf(IllegalStateException.class);
        } finally {
            rcu.readUnlock();
            leave(rcu);
        }
        fill(s, 5);
        verify(s, 5, "a segment after the refused close()");
        MemorySegment t = arena.allocate(64);
        arena.free(t);
        arena.free(s);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
        arena.close();
        assertThat(arena.stats()).isEqualTo(ZERO);
    }

    @Test
    void concurrentCloseFromTwoThreadsBothReturnAfterTheRelease() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment freed = arena.allocate(64);
        List<ArenaStats> statsWhenReturned = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            arena.free(freed);
            arena.free(arena.allocate(2 * CHUNK));
            Thread first = threads.platform("first-closer", () -> {
                arena.close();
                statsWhenReturned.add(arena.stats());
            });
            awaitCondition("the first closer waits inside close()", () -> insideDeferQueueClose(first));
            Thread second = threads.platform("second-closer", () -> {
                arena.close();
                statsWhenReturned.add(arena.stats());
            });
            awaitCondition("the second closer is inside RcuArena.close()", () -> {
                for (StackTraceElement e : second.getStackTrace()) {
                    if (e.getClassName().equals(RcuArena.class.getName()) && e.getMethodName().equals("close")) {
                        return true;
                    }
                }
                return !second.isAlive();
            });
            assertThat(statsWhenReturned).as("a close() returned while the reader blocks").isEmpty();
            reader.leave();
            threads.join();
        }
        assertThat(statsWhenReturned).as("stats when each close() returned").containsExactly(ZERO, ZERO);
        assertThatThrownBy(() -> freed.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * free() racing close(): a free either is refused (IllegalStateException) or its block is reclaimed — close()
     * still returns, nothing reaches the domain's error handler (no reclaim of a block or dedicated allocation the
     * close already released), and the stats end at zero. Debug arenas, so that a late reclaim would also poison
     * memory of the closed arena. At least 100 rounds, and more (up to 2,000) until one of them raced: close() came
     * between the frees of the round, some accepted and some refused.
     *
     * <p>The race this covers: a free whose enqueue passed the queue's open check before close() marked it closed,
     * but appended after close() drained it, is reclaimed by the domain callback the enqueue schedules, after close()
     * has closed the shared arena and cleared the dedicated map. The arena's reclaim ignores frees that raced
     * close(): it neither poisons a closed segment nor looks up a dedicated entry that is gone.
     */
    @Test
    void freesRacingCloseAreRefusedOrReclaimedWithoutErrors() throws Exception {
        Rcu rcu = domain();
        int rounds = 0;
        int raced = 0;
        for (; rounds < 100 || (raced == 0 && rounds < 2000); rounds++) {
            RcuArena arena = track(RcuArena.builder(rcu).name("race-" + rounds).debug(true).quarantine(4).build());
            List<MemorySegment> segments = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                segments.add(arena.allocate(i % 40 == 0 ? CHUNK + i : 32 + i));
            }
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger refused = new AtomicInteger();
            try (TestThreads threads = new TestThreads()) {
                threads.platform("freer", () -> {
                    await(go);
                    for (MemorySegment s : segments) {
                        try {
                            arena.free(s);
                        } catch (IllegalStateException closed) {
                            refused.incrementAndGet();
                        }
                    }
                });
                threads.platform("closer", () -> {
                    await(go);
                    arena.close();
                });
                go.countDown();
            }
            assertThat(arena.stats()).isEqualTo(ZERO);
            if (refused.get() > 0 && refused.get() < segments.size()) {
                raced++;
            }
        }
        rcu.barrier();   // callbacks a racing free may have scheduled have run
        Throwable first = domainErrors.peek();
        List<String> kinds = domainErrors.stream().map(e -> e.getClass().getSimpleName() + " at "
                + java.util.Arrays.stream(e.getStackTrace()).filter(f -> f.getClassName().startsWith("io.jrcu."))
                .findFirst().map(String::valueOf).orElse("?")).distinct().toList();
        assertThat(domainErrors).as("errors from frees racing close(), of kinds %s; the first: %s", kinds,
                first == null ? "" : stackTrace(first)).isEmpty();
        assertThat(raced).as("rounds (of %d) in which close() came between the frees: some accepted, some refused",
                rounds).isPositive();
    }

    // ================================================================== the domain closed before the arena

    /**
     * The IllegalStateException an arena refuses {@code operation} with once its domain {@code rcu} is closing or
     * closed: it names the arena and the domain.
     */
    static void assertRefusedForClosedDomain(Throwable thrown, RcuArena arena, Rcu rcu, String operation,
                                             String what) {
        assertThat(thrown).as(what).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(operation + " on RcuArena '" + arenaName(arena) + "'")
                .hasMessageFindingMatch("domain " + Bridge.flavorOf(rcu).name() + " is clos(ing|ed)\\b")
                .hasMessageNotContaining("double free");
    }

    static String arenaName(RcuArena arena) {
        String s = arena.toString();   // RcuArena[name, ...]
        return s.substring("RcuArena[".length(), s.indexOf(','));
    }

    /**
     * An arena whose domain is closed refuses every free with one IllegalStateException that names the arena and
     * the closed domain, and leaves the block allocated: 300 frees of blocks from the thread's cache (more than a
     * batch of collected frees) are all refused the same way, again when retried (never a "double free"), and the
     * bytes stay in use. Allocations are refused too, also those a thread's magazine could serve. close() then
     * releases everything.
     */
    @Test
    void anArenaOnAClosedDomainRefusesEveryFreeAndLeavesTheBlockAllocated() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        List<MemorySegment> held = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            held.add(arena.allocate(64));
        }
        ArenaStats before = quiescentStats(arena);
        rcu.close();
        Throwable first = catchThrowable(() -> arena.free(held.get(0)));
        assertRefusedForClosedDomain(first, arena, rcu, "free", "the first free after the domain closed");
        assertThat(first).hasMessageContaining("is closed");
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < held.size(); i++) {
                MemorySegment s = held.get(i);
                Throwable thrown = catchThrowable(() -> arena.free(s));
                assertThat(thrown).as("free %d (round %d) after the domain closed", i, round)
                        .isInstanceOf(IllegalStateException.class).hasMessage(first.getMessage());
            }
        }
        assertThat(quiescentStats(arena)).as("stats after the refused frees: every block still allocated")
                .isEqualTo(before);
        for (long size : new long[] {64, 16 * 1024, 2 * CHUNK}) {
            assertRefusedForClosedDomain(catchThrowable(() -> arena.allocate(size)), arena, rcu, "allocate",
                    "allocate(" + size + ") after the domain closed");
        }
        assertThat(quiescentStats(arena)).as("stats after the refused allocations").isEqualTo(before);
        assertThat(before.bytesReserved()).as("bytes reserved before close()").isPositive();
        arena.close();
        assertThat(arena.stats()).as("stats after close()").isEqualTo(ZERO);
        assertThat(held.get(0).scope().isAlive()).as("the arena's memory after close()").isFalse();
    }

    /**
     * The rule holds on every path: frees and allocations of a thread's cache, of a virtual thread (the shared
     * path), of a class too large to cache, of a dedicated allocation and of a debug arena are all refused once the
     * domain is closed, and change nothing. close() then releases everything, frees collected in a thread's cache
     * or queued before the domain closed included, without waiting for a grace period: none can be running, for a
     * QSBR thread that stayed online after the domain closed neither (a grace period would wait for it forever).
     */
    @Test
    void anArenaOnAClosedDomainRefusesOnEveryPathAndCloseReleasesEverythingWithoutWaiting() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        RcuArena debug = track(RcuArena.builder(rcu).name("debug-" + flavor()).debug(true).build());
        List<MemorySegment> cached = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            cached.add(arena.allocate(64));
        }
        for (int i = 0; i < 400; i++) {   // a batch queued, the rest collected in this thread's cache
            arena.free(cached.removeLast());
        }
        assertThat(arena.collectedFrees()).as("frees collected in the cache when the domain closes").isPositive();
        List<MemorySegment> large = new ArrayList<>(List.of(arena.allocate(16 * 1024), arena.allocate(16 * 1024)));
        arena.free(large.removeLast());
        List<MemorySegment> dedicated = new ArrayList<>(
                List.of(arena.allocate(2 * CHUNK), arena.allocate(2 * CHUNK)));
        arena.free(dedicated.removeLast());
        List<MemorySegment> debugHeld = new ArrayList<>(List.of(debug.allocate(64), debug.allocate(64)));
        debug.free(debugHeld.removeLast());
        List<MemorySegment> virtualHeld = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads()) {
            threads.virtual("virtual-allocator", () -> {
                for (int i = 0; i < 4; i++) {
                    virtualHeld.add(arena.allocate(64));
                }
                arena.free(virtualHeld.removeLast());
            });
        }
        ArenaStats before = quiescentStats(arena);
        ArenaStats debugBefore = quiescentStats(debug);
        AtomicBoolean arenasClosed = new AtomicBoolean();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            Thread domainCloser = threads.platform("domain-closer", rcu::close);
            awaitCondition("the domain's close() returns once the reader reports (QSBR: it stays online)", () -> {
                unchecked(reader::report);
                return !domainCloser.isAlive();
            });
            for (List<MemorySegment> kept : List.of(cached, large, dedicated)) {
                for (MemorySegment s : kept) {
                    assertRefusedForClosedDomain(catchThrowable(() -> arena.free(s)), arena, rcu, "free",
                            "free of " + s + " after the domain closed");
                }
            }
            assertRefusedForClosedDomain(catchThrowable(() -> debug.free(debugHeld.getFirst())), debug, rcu, "free",
                    "free on a debug arena after the domain closed");
            assertRefusedForClosedDomain(catchThrowable(() -> debug.allocate(64)), debug, rcu, "allocate",
                    "allocate on a debug arena after the domain closed");
            try (TestThreads virtual = new TestThreads()) {
                virtual.virtual("virtual-after-close", () -> {
                    assertRefusedForClosedDomain(catchThrowable(() -> arena.free(virtualHeld.getFirst())), arena,
                            rcu, "free", "free by a virtual thread after the domain closed");
                    assertRefusedForClosedDomain(catchThrowable(() -> arena.allocate(64)), arena, rcu, "allocate",
                            "allocate by a virtual thread after the domain closed");
                });
            }
            assertThat(quiescentStats(arena)).as("stats after the refused calls").isEqualTo(before);
            assertThat(quiescentStats(debug)).as("debug stats after the refused calls").isEqualTo(debugBefore);
            threads.platform("arena-closer", () -> {
                arena.close();
                debug.close();
                arenasClosed.set(true);
            });
            awaitCondition("the arenas' close() returns while a reader of the closed domain stays",
                    arenasClosed::get);
        }
        assertThat(arena.stats()).as("stats after close()").isEqualTo(ZERO);
        assertThat(debug.stats()).as("debug stats after close()").isEqualTo(ZERO);
        for (MemorySegment s : List.of(cached.getFirst(), large.getFirst(), dedicated.getFirst(),
                debugHeld.getFirst(), virtualHeld.getFirst())) {
            assertThat(s.scope().isAlive()).as("%s after close()", s).isFalse();
        }
    }

    /**
     * Frees racing the close of the domain: each is accepted or refused with the arena's closed-domain exception
     * (never another exception, never a "double free" when a refused one is retried); every refused block is still
     * allocated (its bytes still count in use), and the arena's close() then releases everything.
     */
    @Test
    void freesRacingTheDomainsCloseAreAcceptedOrRefusedAndCloseReleasesEverything() throws Exception {
        int rounds = 0;
        int raced = 0;
        for (; rounds < 5 || (raced == 0 && rounds < 200); rounds++) {
            Rcu rcu = domain();
            RcuArena arena = track(RcuArena.builder(rcu).name("domain-race-" + rounds).build());
            List<MemorySegment> segments = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                segments.add(arena.allocate(i % 100 == 0 ? 16 * 1024 : 64));
            }
            CountDownLatch go = new CountDownLatch(1);
            List<MemorySegment> refused = new CopyOnWriteArrayList<>();
            try (TestThreads threads = new TestThreads()) {
                threads.platform("freer", () -> {
                    for (int i = 0; i < segments.size(); i++) {
                        if (i == 100) {
                            go.countDown();   // the domain closes while the rest are freed (if the round races)
                        }
                        MemorySegment s = segments.get(i);
                        Throwable thrown = catchThrowable(() -> arena.free(s));
                        if (thrown != null) {
                            assertRefusedForClosedDomain(thrown, arena, rcu, "free",
                                    "a free racing the domain's close");
                            refused.add(s);
                        }
                    }
                    for (MemorySegment s : refused) {
                        assertRefusedForClosedDomain(catchThrowable(() -> arena.free(s)), arena, rcu, "free",
                                "a refused free, retried");
                    }
                });
                threads.platform("domain-closer", () -> {
                    await(go);
                    rcu.close();
                });
            }
            long refusedBytes = 0;
            for (MemorySegment s : refused) {
                refusedBytes += s.byteSize();
            }
            assertThat(quiescentStats(arena).bytesInUse()).as("bytes in use: the refused frees' blocks")
                    .isEqualTo(refusedBytes);
            arena.close();
            assertThat(arena.stats()).isEqualTo(ZERO);
            if (!refused.isEmpty() && refused.size() < segments.size()) {
                raced++;
            }
        }
        assertThat(raced).as("rounds (of %d) in which the domain closed between the frees", rounds).isPositive();
    }

    // ================================================================== concurrency

    /** An owned segment and the tag its owner wrote. */
    private record Owned(MemorySegment segment, long tag) {
    }

    /**
     * Two threads allocate and free random sizes and alignments (small, page-sized, up to 256 KiB, and now and then
     * a dedicated one), tagging every segment, handing some to the other thread to free, while a reader churns
     * through sections. Every segment's tag is intact when it is freed, no two live ranges ever overlap (a shared
     * interval map, checked after each insertion), and nothing is lost: after everything is freed bytesInUse is 0,
     * and after close every stat is 0.
     */
    @Test
    void twoThreadsAllocateAndFreeRandomSizesWithoutOverlapOrLoss() {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        ConcurrentSkipListMap<Long, Long> liveRanges = new ConcurrentSkipListMap<>();
        ConcurrentLinkedQueue<Owned> handoff = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger workersLeft = new AtomicInteger(2);
        AtomicLong allocations = new AtomicLong();
        int iterations = 100_000;
        try (TestThreads threads = new TestThreads(Duration.ofSeconds(120))) {
            CountDownLatch go = new CountDownLatch(1);
            threads.platform("churning-reader", () -> {
                becomeReader(rcu);
                try {
                    await(go);
                    while (running.get()) {
                        rcu.readLock();
                        Thread.onSpinWait();
                        rcu.readUnlock();
                        betweenSections(rcu);
                    }
                } finally {
                    leave(rcu);
                }
            });
            for (int w = 0; w < 2; w++) {
                long id = w + 1;
                threads.platform("worker", () -> {
                    try {
                        await(go);
                        SplittableRandom random = new SplittableRandom(1234 + id);
                        List<Owned> owned = new ArrayList<>();
                        long seq = 0;
                        for (int i = 0; i < iterations; i++) {
                            if (owned.size() < 64 && (owned.isEmpty() || random.nextBoolean())) {
                                long size = randomSize(random);
                                long align = random.nextInt(4) == 0 ? 1L << random.nextInt(13) : 0;
                                MemorySegment s = align == 0 ? arena.allocate(size) : arena.allocate(size, align);
                                allocations.incrementAndGet();
                                if (s.byteSize() != size || (align != 0 && s.address() % align != 0)) {
                                    throw new AssertionError("allocate(" + size + ", " + align + ") returned " + s);
                                }
                                claim(liveRanges, s);
                                long tag = (id << 56) | ++seq;
                                fillSparse(s, tag);
                                owned.add(new Owned(s, tag));
                            } else {
                                Owned o = owned.remove(random.nextInt(owned.size()));
                                if (random.nextInt(4) == 0) {
                                    handoff.add(o);   // the other thread verifies and frees it
                                } else {
                                    release(arena, liveRanges, o);
                                }
                            }
                            Owned theirs = handoff.poll();
                            if (theirs != null) {
                                release(arena, liveRanges, theirs);
                            }
                        }
                        for (Owned o : owned) {
                            release(arena, liveRanges, o);
                        }
                    } finally {
                        if (workersLeft.decrementAndGet() == 0) {
                            running.set(false);
                        }
                    }
                });
            }
            go.countDown();
        }
        for (Owned o; (o = handoff.poll()) != null; ) {
            release(arena, liveRanges, o);
        }
        assertThat(liveRanges).as("ranges still live").isEmpty();
        assertThat(allocations.get()).isGreaterThan(iterations);
        ArenaStats s = quiescentStats(arena);
        assertThat(s.bytesInUse()).as("bytesInUse after everything was freed: %s", s).isZero();
        arena.close();
        assertThat(arena.stats()).isEqualTo(ZERO);
    }

    private static long randomSize(SplittableRandom random) {
        int r = random.nextInt(1000);
        if (r < 700) {
            return random.nextLong(257);          // small classes, including 0
        } else if (r < 950) {
            return 257 + random.nextLong(8000);   // up to two pages
        } else if (r < 999) {
            return 8257 + random.nextLong(256 * 1024);
        }
        return CHUNK + 1 + random.nextLong(4096);  // dedicated
    }

    /** Tags every word up to 4 KiB, then one word per 512 bytes and the last word (large segments). */
    private static void fillSparse(MemorySegment s, long tag) {
        if (s.byteSize() <= 4096) {
            fill(s, tag);
            return;
        }
        for (long off = 0; off + 16 <= s.byteSize(); off += (off < 4096 ? 8 : 512)) {   // clear of the last word
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, tag);
        }
        s.set(ValueLayout.JAVA_LONG_UNALIGNED, s.byteSize() - 8, tag);
    }

    private static void verifySparse(MemorySegment s, long tag) {
        if (s.byteSize() <= 4096) {
            verify(s, tag, "owned segment");
            return;
        }
        for (long off = 0; off + 16 <= s.byteSize(); off += (off < 4096 ? 8 : 512)) {   // clear of the last word
            long v = s.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
            if (v != tag) {
                throw new AssertionError("owned segment at " + hex(s.address()) + ": word at " + off + " is 0x"
                        + Long.toHexString(v) + ", expected 0x" + Long.toHexString(tag));
            }
        }
        if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, s.byteSize() - 8) != tag) {
            throw new AssertionError("owned segment at " + hex(s.address()) + ": last word overwritten");
        }
    }

    /** Records {@code s}'s range as live; fails if it overlaps a live range (each side checks after inserting). */
    private static void claim(ConcurrentSkipListMap<Long, Long> live, MemorySegment s) {
        if (s.byteSize() == 0) {
            return;
        }
        long start = s.address();
        long end = start + s.byteSize();
        Long clash = live.putIfAbsent(start, end);
        if (clash != null) {
            throw new AssertionError("segment at " + hex(start) + " handed out while live");
        }
        Map.Entry<Long, Long> lower = live.lowerEntry(start);
        Map.Entry<Long, Long> higher = live.higherEntry(start);
        if ((lower != null && lower.getValue() > start) || (higher != null && higher.getKey() < end)) {
            throw new AssertionError("segment [" + hex(start) + ", " + hex(end) + ") overlaps a live segment: "
                    + lower + " / " + higher);
        }
    }

    private static void release(RcuArena arena, ConcurrentSkipListMap<Long, Long> live, Owned o) {
        verifySparse(o.segment(), o.tag());
        if (o.segment().byteSize() > 0) {
            live.remove(o.segment().address());
        }
        arena.free(o.segment());
    }

    // ================================================================== per-thread caches

    /** Blocks of 64 bytes in a one-page chunk (and so in the one slab of such a chunk). */
    static final int BLOCKS_PER_PAGE = ArenaLayout.PAGE / 64;

    /**
     * An arena of one-page chunks, closed after the test. Its 64-byte class has {@link #BLOCKS_PER_PAGE} blocks per
     * chunk, fewer than a magazine refill takes: a thread's first refill takes the whole chunk. Whether blocks a
     * thread's cache held came back then shows in bytesReserved: a class that finds no free block carves a new chunk.
     */
    final RcuArena pageChunkArena(Rcu rcu, String name) {
        return track(RcuArena.builder(rcu).name(name).chunkSize(ArenaLayout.PAGE).build());
    }

    /** The block size of the class that serves {@code size} bytes. */
    static long blockSize(long size) {
        return ArenaLayout.classSize(ArenaLayout.classIndex(Math.max(size, 1)));
    }

    /** Allocates {@code count} blocks of {@code size} bytes (on the calling thread). */
    static List<MemorySegment> allocateMany(RcuArena arena, long size, int count) {
        List<MemorySegment> segments = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            segments.add(arena.allocate(size));
        }
        return segments;
    }

    /**
     * Allocates {@code size} bytes until every freed block at {@code addresses} has come back; returns those, and adds
     * the other allocations to {@code held} (for the caller to free).
     */
    static List<MemorySegment> allocateUntilAllReused(RcuArena arena, long size, Set<Long> addresses,
                                                      List<MemorySegment> held, int maxAllocations) {
        Set<Long> missing = new HashSet<>(addresses);
        List<MemorySegment> reused = new ArrayList<>();
        for (int i = 0; i < maxAllocations && !missing.isEmpty(); i++) {
            MemorySegment s = arena.allocate(size);
            if (missing.remove(s.address())) {
                reused.add(s);
            } else {
                held.add(s);
            }
        }
        assertThat(missing).as("freed blocks of %d bytes that did not come back within %d allocations after their"
                + " grace period", size, maxAllocations).isEmpty();
        return reused;
    }

    static Set<Long> addresses(List<MemorySegment> segments) {
        Set<Long> addresses = new HashSet<>();
        for (MemorySegment s : segments) {
            addresses.add(s.address());
        }
        return addresses;
    }

    /**
     * close() covers frees that no queue holds yet: one free, collected in the cache of a platform thread that stays
     * alive (parked, with nothing more to do), is never queued; close() from a third thread must still wait for a
     * grace period that covers it. Here a reader that found the segment before the free holds its section: close()
     * stays blocked, the reader can still read what was written, and close() returns once the reader leaves.
     */
    @Test
    void closeWaitsForFreesStillCollectedInAnotherThreadsCache() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        MemorySegment freed = arena.allocate(64);
        fill(freed, 0xC0117EC7EDL);
        AtomicBoolean closeReturned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            Agent freer = threads.agent(false, "freer");
            try {
                freer.run(() -> arena.free(freed));   // one free: collected in the freer's cache, not queued
                assertThat(freer.call(arena::collectedFrees)).as("frees collected in the freer's cache (not queued)"
                        + " when close() starts").isOne();
                assertThat(quiescentStats(arena).bytesPendingFree()).as("the free collected in the freer's cache")
                        .isEqualTo(64);
                Thread closer = threads.platform("closer", () -> {
                    arena.close();
                    closeReturned.set(true);
                });
                awaitCondition("close() blocks while the reader may still read the freed segment", () -> {
                    if (closeReturned.get() || !closer.isAlive()) {
                        throw new AssertionError("close() returned while a reader blocks the grace period of a free"
                                + " still collected in a live thread's cache");
                    }
                    return TestThreads.isBlockedIn(closer, "close");
                });
                assertThatThrownBy(() -> arena.allocate(64)).as("allocate while close() waits")
                        .isInstanceOf(IllegalStateException.class);
                reader.run(() -> verify(freed, 0xC0117EC7EDL,
                        "a segment whose free another live thread collected, read while close() waits"));
                assertThat(closeReturned).as("close() returned while the reader blocks").isFalse();
                assertThat(closer.isAlive()).as("the closer is still inside close()").isTrue();
                reader.leave();
                awaitCondition("close() returns once the reader left", closeReturned::get);
            } finally {
                freer.close();
            }
        }
        assertThat(arena.stats()).as("stats after close").isEqualTo(ZERO);
        assertThatThrownBy(() -> freed.get(ValueLayout.JAVA_LONG, 0)).as("reading the freed segment after close")
                .isInstanceOf(IllegalStateException.class);
    }

    /**
     * A platform thread that ended leaves a cache behind: frees it collected (never queued) and the free blocks of
     * its magazine. Its counters still count, so the stats are exact once it is joined. The next thread that uses
     * the arena for the first time recovers that cache: the ended thread's counters stay counted, its magazine's
     * blocks go back to their class (the new thread's first allocation is served without carving a new chunk), and
     * its collected frees are queued, so that after their grace period they are reused — the new thread gets every
     * block of the first chunk and the pending bytes drop to zero.
     */
    @Test
    void anEndedThreadsCacheIsRecoveredByTheNextNewThread() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = pageChunkArena(rcu, "ended-" + flavor());
        long page = ArenaLayout.PAGE;
        int freedCount = 10;
        long freedBytes = 64L * freedCount;
        Set<Long> freedByEnded = ConcurrentHashMap.newKeySet();
        try (TestThreads threads = new TestThreads()) {
            threads.platform("ended", () -> {
                List<MemorySegment> mine = allocateMany(arena, 64, freedCount);   // its magazine takes the chunk
                for (MemorySegment s : mine) {
                    fill(s, s.address());
                    freedByEnded.add(s.address());
                }
                for (MemorySegment s : mine) {
                    verify(s, s.address(), "a block of the thread that ends, after all were filled (no overlap)");
                    arena.free(s);   // collected in its cache: fewer than 256 frees, less than 64 KiB
                }
            });
            threads.join();   // it has ended (and did not fail)
            assertThat(freedByEnded).as("distinct blocks").hasSize(freedCount);
            assertThat(quiescentStats(arena)).as("stats once the thread ended, before any new thread used the arena")
                    .isEqualTo(new ArenaStats(page, 0, freedBytes, page - freedBytes));

            Agent next = threads.agent(false, "next");
            try {
                MemorySegment first;
                try (Reader reader = new Reader(threads, rcu)) {
                    // the reader holds back the grace period of the recovered frees, so the stats are exact here
                    first = next.call(() -> arena.allocate(64));
                    assertThat(freedByEnded).as("the first allocation of the next thread, while a reader blocks")
                            .doesNotContain(first.address());
                    assertThat(quiescentStats(arena)).as("after the next new thread's first allocation: served from"
                                    + " the ended thread's magazine (no new chunk), its frees still pending, its"
                                    + " counters still counted")
                            .isEqualTo(new ArenaStats(page, 64, freedBytes, page - 64 - freedBytes));
                }
                rcu.synchronize();
                List<MemorySegment> rest = next.call(() -> allocateMany(arena, 64, BLOCKS_PER_PAGE - 1));
                rest.add(first);
                assertThat(addresses(rest)).as("the next thread's %d allocations after the grace period: every block"
                        + " of the first chunk, the ended thread's freed ones included", BLOCKS_PER_PAGE)
                        .hasSize(BLOCKS_PER_PAGE).containsAll(freedByEnded);
                assertThat(quiescentStats(arena)).as("every block of the one chunk in use, nothing pending")
                        .isEqualTo(new ArenaStats(page, page, 0, 0));
                next.run(() -> freeAll(arena, rest));
                assertThat(quiescentStats(arena)).as("after the next thread freed everything")
                        .isEqualTo(new ArenaStats(page, 0, page, 0));
            } finally {
                next.close();
            }
        }
    }

    /**
     * flushThreadCache() hands the caller's cache back. Without it, a block the main thread freed stays collected in
     * its cache (never queued) and the free blocks of its magazine stay its own: another thread, even after a grace
     * period, gets neither and carves a new chunk. After it and a grace period, a third thread gets the freed block
     * and every block the magazine held: the whole first chunk, no new one. On a thread that never used the arena
     * (platform or virtual) it is a no-op; on a closed arena it throws IllegalStateException naming the arena.
     */
    @Test
    void flushThreadCacheQueuesTheCallersFreesAndReturnsItsBlocks() throws Exception {
        Rcu rcu = domain();
        String name = "flush-" + flavor();
        RcuArena arena = pageChunkArena(rcu, name);
        long page = ArenaLayout.PAGE;
        try (TestThreads threads = new TestThreads()) {
            Agent stranger = threads.agent(false, "never-used-the-arena");
            Agent virtualStranger = threads.agent(true, "virtual-never-used-the-arena");
            Agent other = threads.agent(false, "other");
            Agent later = threads.agent(false, "later");
            try {
                stranger.run(arena::flushThreadCache);
                virtualStranger.run(arena::flushThreadCache);
                assertThat(quiescentStats(arena)).as("flushThreadCache on threads that never used the arena")
                        .isEqualTo(ZERO);

                MemorySegment freed = arena.allocate(64);   // the main thread's magazine takes the whole chunk
                fill(freed, 0xF1A5L);
                arena.free(freed);                          // collected in the main thread's cache
                rcu.synchronize();
                List<MemorySegment> others = other.call(() -> allocateMany(arena, 64, BLOCKS_PER_PAGE));
                assertThat(addresses(others)).as("another thread's allocations, after a grace period, while the"
                        + " main thread's free is still collected in its cache").doesNotContain(freed.address());
                ArenaStats beforeFlush = quiescentStats(arena);
                assertThat(beforeFlush).as("the other thread carved a second chunk: the first is in the main"
                        + " thread's cache").isEqualTo(new ArenaStats(2 * page, page, 64, page - 64));

                arena.flushThreadCache();
                assertThat(quiescentStats(arena)).as("flushThreadCache moves memory, it changes no stat")
                        .isEqualTo(beforeFlush);
                arena.flushThreadCache();   // nothing left to hand back
                assertThat(quiescentStats(arena)).as("a second flushThreadCache").isEqualTo(beforeFlush);
                rcu.synchronize();
                List<MemorySegment> laters = later.call(() -> allocateMany(arena, 64, BLOCKS_PER_PAGE));
                assertThat(addresses(laters)).as("a third thread's allocations after flushThreadCache and a grace"
                        + " period: the freed block and the magazine's blocks").contains(freed.address())
                        .hasSize(BLOCKS_PER_PAGE);
                assertThat(quiescentStats(arena)).as("no third chunk; nothing pending")
                        .isEqualTo(new ArenaStats(2 * page, 2 * page, 0, 0));
                other.run(() -> freeAll(arena, others));
                later.run(() -> freeAll(arena, laters));
                assertThat(quiescentStats(arena).bytesInUse()).isZero();
            } finally {
                stranger.close();
                virtualStranger.close();
                other.close();
                later.close();
            }
        }
        arena.close();
        assertThatThrownBy(arena::flushThreadCache).as("flushThreadCache on a closed arena")
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'" + name + "'")
                .hasMessageContaining("closed");
    }

    /**
     * Virtual threads have no cache: 1,000 of them allocate four sizes each (all held at once: no two live ranges
     * overlap, and the stats count them exactly), verify and free. Their frees go straight to the queue, so a
     * platform thread that registered before them (and so recovers no thread's cache) reuses their memory after a
     * grace period and sees nothing left pending; a virtual thread reuses it too; nothing leaks.
     */
    @Test
    void virtualThreadsAllocateAndFreeThroughTheSharedPath() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        int count = 1000;
        long[] sizes = {16, 100, 1000, 5000};
        long perThread = 0;
        for (long size : sizes) {
            perThread += blockSize(size);
        }
        ConcurrentSkipListMap<Long, Long> live = new ConcurrentSkipListMap<>();
        Set<Long> freed16 = ConcurrentHashMap.newKeySet();
        Set<Long> freed1024 = ConcurrentHashMap.newKeySet();
        try (TestThreads threads = new TestThreads()) {
            Agent platform = threads.agent(false, "platform");
            try {
                MemorySegment own = platform.call(() -> arena.allocate(48));   // registers its cache now
                CountDownLatch allHold = new CountDownLatch(count);
                CountDownLatch release = new CountDownLatch(1);
                try (TestThreads virtuals = new TestThreads()) {
                    try {
                        for (int v = 0; v < count; v++) {
                            long id = v;
                            virtuals.virtual("arena-user", () -> {
                                MemorySegment[] mine = new MemorySegment[sizes.length];
                                try {
                                    for (int k = 0; k < sizes.length; k++) {
                                        mine[k] = arena.allocate(sizes[k]);
                                        claim(live, mine[k]);
                                        fill(mine[k], (id << 8) | k);
                                    }
                                } finally {
                                    allHold.countDown();
                                }
                                await(release);
                                for (int k = 0; k < sizes.length; k++) {
                                    verify(mine[k], (id << 8) | k, "a virtual thread's segment");
                                    live.remove(mine[k].address());
                                    if (k == 0) {
                                        freed16.add(mine[k].address());
                                    } else if (k == 2) {
                                        freed1024.add(mine[k].address());
                                    }
                                    arena.free(mine[k]);
                                }
                            });
                        }
                        await(allHold);
                        assertThat(quiescentStats(arena).bytesInUse()).as("bytesInUse while every virtual thread"
                                + " holds its segments").isEqualTo(count * perThread + 48);
                    } finally {
                        release.countDown();
                    }
                }
                assertThat(live).as("ranges still live").isEmpty();
                ArenaStats afterFree = quiescentStats(arena);
                assertThat(afterFree.bytesInUse()).as("bytesInUse once the virtual threads freed: %s", afterFree)
                        .isEqualTo(48);
                assertThat(afterFree.bytesPendingFree()).as("bytesPendingFree once the virtual threads freed: %s",
                        afterFree).isEqualTo(count * perThread);

                rcu.synchronize();
                List<MemorySegment> held = new ArrayList<>();
                platform.call(LONG.multipliedBy(2), () -> {   // longer than allocateUntil: its message on failure
                    allocateUntil(arena, 16, held, "a platform thread registered before the virtual threads reuses"
                            + " a 16-byte block one of them freed",
                            () -> !held.isEmpty() && freed16.contains(held.getLast().address()));
                    return null;
                });
                assertThat(quiescentStats(arena).bytesPendingFree()).as("everything the virtual threads freed is"
                        + " reclaimed by the platform thread's refill").isZero();
                Agent virtual = threads.agent(true, "virtual-reuser");
                try {
                    MemorySegment reused = virtual.call(() -> arena.allocate(1000));
                    assertThat(freed1024).as("a virtual thread's allocate(1000) after the grace period")
                            .contains(reused.address());
                    virtual.run(() -> arena.free(reused));
                } finally {
                    virtual.close();
                }
                platform.run(() -> {
                    freeAll(arena, held);
                    arena.free(own);
                });
                assertThat(quiescentStats(arena).bytesInUse()).as("bytesInUse after everything was freed").isZero();
            } finally {
                platform.close();
            }
        }
    }

    /**
     * stats() sums every thread's counters with the shared ones: four platform threads allocate blocks of different
     * classes (one above 8 KiB, which no thread caches) and keep them — bytesInUse counts them exactly; each frees
     * its own (some frees queued at 256 frees or 64 KiB, the rest still collected) — bytesPendingFree counts them
     * exactly; once they flushed their caches and a grace period passed, reuse brings pending to zero.
     */
    @Test
    void statsSumEveryThreadsCounters() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        long[] sizes = {16, 100, 1000, 10_000};
        int[] counts = {300, 100, 70, 12};
        long expected = 0;
        for (int t = 0; t < sizes.length; t++) {
            expected += blockSize(sizes[t]) * counts[t];
        }
        try (TestThreads threads = new TestThreads()) {
            List<Agent> agents = new ArrayList<>();
            try {
                List<List<MemorySegment>> held = new ArrayList<>();
                for (int t = 0; t < sizes.length; t++) {
                    Agent agent = threads.agent(false, "allocator");
                    agents.add(agent);
                    long size = sizes[t];
                    int n = counts[t];
                    held.add(agent.call(() -> allocateMany(arena, size, n)));
                }
                ArenaStats allocated = quiescentStats(arena);
                assertThat(allocated.bytesInUse()).as("bytesInUse: every thread's allocations: %s", allocated)
                        .isEqualTo(expected);
                assertThat(allocated.bytesPendingFree()).as("bytesPendingFree before any free").isZero();

                ArenaStats freed;
                // a reader blocks the grace period: a thread that queues a batch also reclaims its own frees whose
                // grace period has passed, which without a reader is at once
                try (Reader reader = new Reader(threads, rcu)) {
                    for (int t = 0; t < agents.size(); t++) {
                        List<MemorySegment> mine = held.get(t);
                        agents.get(t).run(() -> freeAll(arena, mine));
                    }
                    freed = quiescentStats(arena);
                    reader.leave();
                }
                assertThat(freed.bytesInUse()).as("bytesInUse once every thread freed its own: %s", freed).isZero();
                assertThat(freed.bytesPendingFree()).as("bytesPendingFree: every thread's frees, queued or still"
                        + " collected: %s", freed).isEqualTo(expected);

                for (Agent agent : agents) {
                    agent.run(arena::flushThreadCache);
                }
                assertThat(quiescentStats(arena)).as("flushThreadCache changes no stat").isEqualTo(freed);
                List<MemorySegment> reused = new ArrayList<>();
                agents.getFirst().call(LONG.multipliedBy(2), () -> {   // longer than allocateUntil: its message
                    reclaimEverything(rcu, arena, 16, reused, "everything freed is reclaimed");
                    return null;
                });
                ArenaStats after = quiescentStats(arena);
                assertThat(after.bytesInUse()).as("bytesInUse after the reuse: %s", after)
                        .isEqualTo(16L * reused.size());
                assertThat(after.bytesPendingFree()).isZero();
                agents.getFirst().run(() -> freeAll(arena, reused));
            } finally {
                agents.forEach(Agent::close);
            }
        }
    }

    /**
     * A thread that frees a chunk's worth of blocks and allocates them again gets every one back without new
     * memory. The refill finds nothing eligible in its own queue (memb: its grace period is not started there), runs
     * out of the class's slab, and reclaims every cache's queue before carving, its own included: its free function
     * must then put the blocks on the free lists, not into the magazine the refill is writing (where they would be
     * lost and the arena would carve a new chunk each round).
     */
    @Test
    void aThreadGetsItsOwnFreesBackWithoutNewMemory() {
        Rcu rcu = domain();
        RcuArena arena = pageChunkArena(rcu, "own-frees");   // BLOCKS_PER_PAGE blocks of 64 B per chunk
        for (int round = 0; round < 4; round++) {
            List<MemorySegment> blocks = allocateMany(arena, 64, BLOCKS_PER_PAGE);
            assertThat(quiescentStats(arena).bytesReserved()).as("round %d: one chunk serves them all", round)
                    .isEqualTo(ArenaLayout.PAGE);
            Set<Long> freed = addresses(blocks);
            freeAll(arena, blocks);
            List<MemorySegment> again = allocateMany(arena, 64, BLOCKS_PER_PAGE);
            assertThat(addresses(again)).as("round %d: the same thread's allocations after its frees", round)
                    .isEqualTo(freed);
            assertThat(quiescentStats(arena).bytesReserved()).as("round %d: no new chunk", round)
                    .isEqualTo(ArenaLayout.PAGE);
            freeAll(arena, again);
        }
    }

    /**
     * A thread counts the frees in its own queue, not its batches (it starts a costly grace period itself once
     * 16,384 frees wait): 300 frees while a reader blocks are one batch of 256 and 44 collected; handing the cache
     * back queues the 44 as a second, small batch — 300 queued frees in two entries. Reclaiming takes every one off:
     * 0 once nothing is pending.
     */
    @Test
    void aThreadCountsTheFreesInItsQueueNotItsBatches() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        List<MemorySegment> held = new ArrayList<>();
        try (TestThreads threads = new TestThreads(); Reader reader = new Reader(threads, rcu)) {
            freeAll(arena, allocateMany(arena, 64, 300));
            assertThat(arena.queuedFrees()).as("queued: one batch of 256").isEqualTo(256);
            assertThat(arena.collectedFrees()).as("collected, not yet queued").isEqualTo(44);
            arena.flushThreadCache();
            assertThat(arena.queuedFrees()).as("queued after the 44 went as a second batch").isEqualTo(300);
            assertThat(arena.collectedFrees()).isZero();
            reader.leave();
            reclaimEverything(rcu, arena, 64, held, "the 300 frees are reclaimed");
            assertThat(arena.queuedFrees()).as("queued once everything is reclaimed").isZero();
        }
        freeAll(arena, held);
    }

    /**
     * A thread's own frees beyond what its magazine holds (256 blocks of 64 B) are kept for it when their grace period
     * has passed — counted as free, not pending — and another thread that runs out gets them before the arena carves
     * new memory: 768 blocks of the main thread's 1,024 frees serve another thread's 768 allocations in the same
     * chunk.
     */
    @Test
    void aThreadsReclaimedFreesBeyondItsMagazineServeAnotherThreadBeforeNewMemory() throws Exception {
        Rcu rcu = domain();
        long chunk = 64 * 1024;
        RcuArena arena = track(RcuArena.builder(rcu).name("stash-" + flavor()).chunkSize(chunk).build());
        int blocks = (int) (chunk / 64);
        try (TestThreads threads = new TestThreads()) {
            Agent other = threads.agent(false, "other");
            try {
                List<MemorySegment> first = allocateMany(arena, 64, blocks);
                assertThat(quiescentStats(arena)).as("1,024 blocks of 64 B fill one 64 KiB chunk")
                        .isEqualTo(new ArenaStats(chunk, chunk, 0, 0));
                Set<Long> firstAddresses = addresses(first);
                freeAll(arena, first);
                rcu.synchronize();
                MemorySegment one = arena.allocate(64);   // reclaims the 1,024: 256 to the magazine, 768 kept
                assertThat(firstAddresses).contains(one.address());
                assertThat(quiescentStats(arena)).as("the reclaimed frees count as free, not pending")
                        .isEqualTo(new ArenaStats(chunk, 64, 0, chunk - 64));
                int kept = blocks - 256;
                List<MemorySegment> others = other.call(() -> allocateMany(arena, 64, kept));
                assertThat(firstAddresses).as("another thread's %d allocations: the main thread's reclaimed frees",
                        kept).containsAll(addresses(others));
                assertThat(quiescentStats(arena)).as("no new chunk")
                        .isEqualTo(new ArenaStats(chunk, 64 + kept * 64L, 0, chunk - 64 - kept * 64L));
                other.run(() -> freeAll(arena, others));
                arena.free(one);
            } finally {
                other.close();
            }
        }
    }

    /** Allocations the threshold test makes at most, in each of its halves. */
    static final int REUSE_BUDGET = 5000;

    /**
     * A thread queues the frees it collected as one batch once it has 256 of them or 64 KiB of them. One free short
     * of either, none is queued: another thread never gets them back, even after a grace period. The free that
     * reaches it queues them all: after a grace period the other thread gets every one back.
     */
    @ParameterizedTest(name = "{1} frees of {0} bytes")
    @CsvSource({"16, 256", "1024, 64"})
    void aThreadQueuesItsCollectedFreesAt256FreesOr64KiB(long size, int threshold) throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        try (TestThreads threads = new TestThreads()) {
            Agent freer = threads.agent(false, "freer");
            Agent reuser = threads.agent(false, "reuser");
            try {
                List<MemorySegment> blocks = freer.call(() -> allocateMany(arena, size, threshold));
                Set<Long> freed = addresses(blocks);
                freer.run(() -> freeAll(arena, new ArrayList<>(blocks.subList(0, threshold - 1))));
                assertThat(quiescentStats(arena).bytesPendingFree()).as("%d frees collected", threshold - 1)
                        .isEqualTo(size * (threshold - 1));
                rcu.synchronize();
                // as many allocations as the positive half below may take: carving new slabs on the way, each
                // preceded by a reclaim of every thread's queue, none of which holds the collected frees
                List<MemorySegment> held = reuser.call(() -> allocateMany(arena, size, REUSE_BUDGET));
                assertThat(addresses(held)).as("another thread's %d allocations after a grace period, while the freer"
                        + " has collected %d frees (one short of a batch)", REUSE_BUDGET, threshold - 1)
                        .doesNotContainAnyElementsOf(freed);

                // the batch is full: queued. A reader blocks its grace period, or the freer would reclaim the batch
                // into its own magazines at once (a thread that queues a batch reclaims its own eligible frees)
                try (Reader reader = new Reader(threads, rcu)) {
                    freer.run(() -> arena.free(blocks.getLast()));
                    assertThat(quiescentStats(arena).bytesPendingFree()).isEqualTo(size * threshold);
                    reader.leave();
                }
                rcu.synchronize();
                List<MemorySegment> back = reuser.call(() -> allocateUntilAllReused(arena, size, freed, held,
                        REUSE_BUDGET));
                assertThat(quiescentStats(arena).bytesPendingFree()).as("after the reuse").isZero();
                reuser.run(() -> {
                    freeAll(arena, back);
                    freeAll(arena, held);
                });
                assertThat(quiescentStats(arena).bytesInUse()).isZero();
            } finally {
                freer.close();
                reuser.close();
            }
        }
    }

    /**
     * A block allocated by one thread and freed by another (collected in the freer's cache, part queued at 256
     * frees): the stats count it exactly; neither thread gets it back while a reader that could have found it
     * blocks the grace period, and the reader can still read it; a second free by the allocator is a double free;
     * after the grace period the allocator gets every block back, writes and reads them, and a cross-thread free
     * followed by the allocator's free is again caught.
     */
    @Test
    void aFreeByAnotherThreadThanTheAllocatorWorks() throws Exception {
        Rcu rcu = domain();
        RcuArena arena = arena(rcu);
        int count = 300;
        try (TestThreads threads = new TestThreads()) {
            Agent allocator = threads.agent(false, "allocator");
            Agent freer = threads.agent(false, "freer");
            try {
                List<MemorySegment> blocks = allocator.call(() -> {
                    List<MemorySegment> mine = allocateMany(arena, 64, count);
                    for (MemorySegment s : mine) {
                        fill(s, s.address());
                    }
                    return mine;
                });
                Set<Long> freed = addresses(blocks);
                List<MemorySegment> allocatorHeld = new ArrayList<>();
                List<MemorySegment> freerHeld = new ArrayList<>();
                try (Reader reader = new Reader(threads, rcu)) {
                    freer.run(() -> {
                        for (MemorySegment s : blocks) {
                            verify(s, s.address(), "a block freed by another thread than its allocator");
                            arena.free(s);
                        }
                    });
                    assertThat(quiescentStats(arena)).as("allocated by one thread, freed by another")
                            .isEqualTo(new ArenaStats(CHUNK, 0, 64L * count, CHUNK - 64L * count));
                    for (MemorySegment s : List.of(blocks.getFirst(), blocks.getLast())) {   // queued / collected
                        assertDoubleFree(allocator.thrown(() -> arena.free(s)), s, "the allocator frees a block after"
                                + " another thread freed it");
                    }
                    allocatorHeld.addAll(allocator.call(() -> allocateMany(arena, 64, 1000)));
                    freerHeld.addAll(freer.call(() -> allocateMany(arena, 64, 1000)));
                    assertThat(addresses(allocatorHeld)).as("the allocator's allocations while the reader blocks")
                            .doesNotContainAnyElementsOf(freed);
                    assertThat(addresses(freerHeld)).as("the freer's allocations while the reader blocks")
                            .doesNotContainAnyElementsOf(freed);
                    reader.run(() -> {
                        for (MemorySegment s : blocks) {
                            verify(s, s.address(), "a block freed by another thread, read by the reader that blocks");
                        }
                    });
                }
                rcu.synchronize();
                List<MemorySegment> back = allocator.call(() -> {
                    List<MemorySegment> reused = allocateUntilAllReused(arena, 64, freed, allocatorHeld, 5000);
                    for (MemorySegment s : reused) {
                        fill(s, ~s.address());
                    }
                    return reused;
                });
                for (MemorySegment s : back) {
                    verify(s, ~s.address(), "a block freed by another thread, reused by its allocator");
                }
                MemorySegment again = back.removeFirst();
                freer.run(() -> arena.free(again));
                assertDoubleFree(allocator.thrown(() -> arena.free(again)), again, "the allocator frees a reused block"
                        + " after another thread freed it");
                allocator.run(() -> {
                    freeAll(arena, back);
                    freeAll(arena, allocatorHeld);
                });
                freer.run(() -> freeAll(arena, freerHeld));
                assertThat(quiescentStats(arena).bytesInUse()).as("bytesInUse after everything was freed").isZero();
            } finally {
                allocator.close();
                freer.close();
            }
        }
    }

    // ================================================================== dropped arenas

    /** An arena dropped without close() (its memory is never released) is reported through the Cleaner. */
    @Test
    void aDroppedArenaIsReportedThroughTheCleaner() {
        Rcu rcu = domain();
        String name = "dropped-" + flavor() + "-" + System.nanoTime();
        String expected = "RcuArena '" + name + "' was garbage-collected without close()";
        try (LogCapture log = LogCapture.start()) {
            dropAnArena(rcu, name);
            int[] polls = {0};
            // System.gc() is a request: repeat it (every 64 polls, so GCs do not run back to back) until the
            // Cleaner has run, with a generous deadline
            awaitCondition("the Cleaner reports the dropped arena", Duration.ofSeconds(60), () -> {
                if (polls[0]++ % 64 == 0) {
                    System.gc();
                }
                return log.text().contains(expected);
            });
            String text = log.text();
            assertThat(text).contains(LogCapture.levelName("WARNING"))
                    .contains(CHUNK + " bytes of native memory are never released")
                    .contains("112 in use").contains("64 pending free");
        }
    }

    /** Builds an arena, uses it and drops it (in its own frame, so that nothing in the test keeps it reachable). */
    private static void dropAnArena(Rcu rcu, String name) {
        RcuArena arena = RcuArena.builder(rcu).name(name).build();
        arena.allocate(100);
        arena.free(arena.allocate(64));
    }

    /**
     * bulletProof: close() waits for the grace periods of outstanding frees, which wait for every open token
     * section: a caller holding a token it opened is refused as inside a read section, and the arena stays usable.
     * The holder is an agent whose calls have a deadline, so a close() that waits for itself fails the test instead
     * of hanging it.
     */
    @Test
    void closeByACallerHoldingATokenItOpenedThrowsAndTheArenaStaysUsable() throws Exception {
        assumeTrue(flavor == TestFlavor.BULLET_PROOF, "token sections are bulletProof's");
        BulletProofRcu rcu = (BulletProofRcu) domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(64);
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "token-holder")) {
            long token = holder.call(rcu::readLockToken);
            try {
                holder.run(() -> arena.free(arena.allocate(64)));  // an outstanding free: close() must wait for it
                assertThat(holder.thrown(arena::close)).as("close() while holding a token it opened")
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
            } finally {
                rcu.readUnlock(token);
            }
        }
        fill(s, 5);
        verify(s, 5, "a segment after the refused close()");
        arena.free(s);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
        arena.close();
        assertThat(arena.stats()).isEqualTo(ZERO);
    }
}
