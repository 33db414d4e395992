package io.jrcu.arena;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.jrcu.arena.ArenaLayout.LINEAR_LIMIT;
import static io.jrcu.arena.ArenaLayout.MAX_CHUNK;
import static io.jrcu.arena.ArenaLayout.MIN_CHUNK;
import static io.jrcu.arena.ArenaLayout.PAGE;
import static io.jrcu.arena.ArenaLayout.QUANTUM;
import static io.jrcu.arena.ArenaLayout.SLAB_TARGET;
import static io.jrcu.arena.ArenaLayout.blocksPerSlab;
import static io.jrcu.arena.ArenaLayout.classAlignment;
import static io.jrcu.arena.ArenaLayout.classCount;
import static io.jrcu.arena.ArenaLayout.classIndex;
import static io.jrcu.arena.ArenaLayout.classSize;
import static io.jrcu.arena.ArenaLayout.roundUpToPage;
import static io.jrcu.arena.ArenaLayout.slabBytes;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The size-class and slab arithmetic of {@link ArenaLayout}, checked exhaustively where the range is small and at
 * every class boundary where it is not. Pure functions: no arena, no domain.
 */
class ArenaLayoutTest {

    /** Classes of the largest chunk the builder accepts: every class any arena can have. */
    private static final int ALL_CLASSES = classCount(MAX_CHUNK);

    @ParameterizedTest(name = "{0} bytes -> class of {1}")
    @CsvSource({
            "1, 16", "15, 16", "16, 16", "17, 32", "32, 32", "33, 48", "100, 112", "112, 112", "113, 128",
            "127, 128", "128, 128", "129, 160", "160, 160", "161, 192", "192, 192", "224, 224", "225, 256",
            "256, 256", "257, 320", "320, 320", "321, 384", "448, 448", "449, 512", "512, 512", "513, 640",
            "4095, 4096", "4096, 4096", "4097, 5120", "5120, 5120", "5121, 6144", "7169, 8192", "65536, 65536",
            "65537, 81920", "1048576, 1048576", "1048575, 1048576", "917505, 1048576", "917504, 917504",
            "1073741824, 1073741824"})
    void knownClasses(long size, long block) {
        assertThat(classSize(classIndex(size))).as("block for %d bytes", size).isEqualTo(block);
    }

    @Test
    void classSizesStrictlyIncreaseAndEachIsItsOwnClass() {
        long previous = 0;
        for (int c = 0; c < ALL_CLASSES; c++) {
            long size = classSize(c);
            assertThat(size).as("class %d", c).isGreaterThan(previous);
            assertThat(size % QUANTUM).as("class %d (%d bytes) is a multiple of %d", c, size, QUANTUM).isZero();
            assertThat(classIndex(size)).as("classIndex(classSize(%d))", c).isEqualTo(c);
            assertThat(classIndex(size + 1)).as("classIndex(classSize(%d) + 1)", c).isEqualTo(c + 1);
            previous = size;
        }
        assertThat(classSize(0)).isEqualTo(QUANTUM);
        assertThat(classSize(ALL_CLASSES - 1)).isEqualTo(MAX_CHUNK);
    }

    /** Every size up to 1 MiB (exhaustively): its class is the smallest that holds it, and wastes at most 20%. */
    @Test
    void theClassOfEverySizeIsTheSmallestThatHoldsItWithBoundedWaste() {
        for (long size = 1; size <= (1 << 20); size++) {
            int c = classIndex(size);
            long block = classSize(c);
            boolean holds = block >= size;
            boolean smallest = c == 0 || classSize(c - 1) < size;
            // up to 128: 16-byte steps; above: four classes per doubling, so the waste is under a fifth of the block
            boolean boundedWaste = size <= LINEAR_LIMIT ? block - size < QUANTUM : (block - size) * 5 < block;
            if (!holds || !smallest || !boundedWaste) {   // plain checks: a million AssertJ calls take seconds
                throw new AssertionError("class of " + size + " bytes: index " + c + ", block " + block
                        + (holds ? "" : ", too small") + (smallest ? "" : ", not the smallest")
                        + (boundedWaste ? "" : ", wastes too much"));
            }
        }
    }

    /** Above 1 MiB, at every class boundary up to the largest chunk. */
    @Test
    void classBoundariesUpToTheLargestChunk() {
        for (int c = 1; c < ALL_CLASSES; c++) {
            long block = classSize(c);
            long below = classSize(c - 1);
            for (long size : new long[] {below + 1, (below + block) / 2, block - 1, block}) {
                assertThat(classIndex(size)).as("class of %d bytes", size).isEqualTo(c);
            }
        }
    }

    @Test
    void classCountEndsAtTheChunkSize() {
        for (long chunk = MIN_CHUNK; chunk <= MAX_CHUNK; chunk <<= 1) {
            int n = classCount(chunk);
            assertThat(classSize(n - 1)).as("largest class of a %d-byte chunk", chunk).isEqualTo(chunk);
        }
        // 16..128 in steps of 16 (8 classes), then four per doubling from 128 to 1 MiB (13 doublings)
        assertThat(classCount(1 << 20)).isEqualTo(8 + 13 * 4);
    }

    @Test
    void classAlignmentIsAPowerOfTwoDividingTheBlockAndAtMostAPage() {
        for (int c = 0; c < ALL_CLASSES; c++) {
            long size = classSize(c);
            long align = classAlignment(c);
            assertThat(Long.bitCount(align)).as("alignment of class %d", c).isEqualTo(1);
            assertThat(align).as("alignment of class %d (%d bytes)", c, size).isBetween(QUANTUM, (long) PAGE);
            assertThat(size % align).as("class %d: every block offset i * %d is %d-aligned", c, size, align)
                    .isZero();
            if (Long.bitCount(size) == 1) {
                assertThat(align).as("power-of-two class %d", c).isEqualTo(Math.min(size, PAGE));
            }
        }
        // every alignment up to a page is reachable by some class (allocate moves up to an aligned class)
        for (long align = 1; align <= PAGE; align <<= 1) {
            boolean found = false;
            for (int c = 0; c < classCount(MIN_CHUNK) && !found; c++) {
                found = classAlignment(c) >= align;
            }
            assertThat(found).as("a class of a %d-byte chunk aligned to %d", MIN_CHUNK, align).isTrue();
        }
    }

    @Test
    void slabsArePageMultiplesThatHoldTheirBlocks() {
        for (int c = 0; c < ALL_CLASSES; c++) {
            long size = classSize(c);
            long slab = slabBytes(c);
            int blocks = blocksPerSlab(c);
            assertThat(blocks).as("blocks per slab of class %d", c).isPositive();
            assertThat(slab % PAGE).as("slab of class %d is whole pages", c).isZero();
            assertThat(blocks * size).as("blocks of class %d fit their slab", c).isLessThanOrEqualTo(slab);
            assertThat(slab - blocks * size).as("slack of class %d is less than a page", c).isLessThan(PAGE);
            assertThat(slab).as("slab of class %d", c).isLessThanOrEqualTo(Math.max(SLAB_TARGET, roundUpToPage(size)));
            if (size <= SLAB_TARGET) {
                assertThat(blocks * size).as("class %d fills its slab target", c).isGreaterThan(SLAB_TARGET - size);
            } else {
                assertThat(blocks).as("a class above the slab target has one block per slab").isEqualTo(1);
            }
        }
    }

    /**
     * A slab fits in a chunk, for every class of every chunk size from the slab target up: RcuArena carves a whole
     * slab out of one chunk. (Smaller chunks hold a slab cut down to the chunk, see
     * {@code RcuArenaConformanceTest.chunkSizesBelowTheSlabSizeServeEverySize}.)
     */
    @Test
    void everySlabOfAChunksClassesFitsInTheChunk() {
        for (long chunk = SLAB_TARGET; chunk <= MAX_CHUNK; chunk <<= 1) {
            for (int c = 0; c < classCount(chunk); c++) {
                assertThat(slabBytes(c)).as("slab of class %d (%d-byte blocks) in a %d-byte chunk", c, classSize(c),
                        chunk).isLessThanOrEqualTo(chunk);
            }
        }
    }

    @Test
    void roundUpToPageRoundsToWholePages() {
        assertThat(ArenaLayout.roundUpToPage(0)).isZero();
        assertThat(ArenaLayout.roundUpToPage(1)).isEqualTo(PAGE);
        assertThat(ArenaLayout.roundUpToPage(PAGE)).isEqualTo(PAGE);
        assertThat(ArenaLayout.roundUpToPage(PAGE + 1)).isEqualTo(2L * PAGE);
        assertThat(ArenaLayout.roundUpToPage(MAX_CHUNK - 1)).isEqualTo(MAX_CHUNK);
        assertThat(1 << ArenaLayout.PAGE_SHIFT).isEqualTo(PAGE);
    }
}
