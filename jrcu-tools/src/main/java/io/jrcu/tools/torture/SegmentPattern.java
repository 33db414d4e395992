package io.jrcu.tools.torture;

import io.jrcu.arena.RcuArena;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The self-checking contents of an {@code arena} torture segment: every byte is a function of the segment's
 * generation (a number unique to one writer's update), its size and its offset, so a reader that holds the segment
 * can check all of it without knowing anything else. Poison, or another generation's pattern written into reused
 * memory, shows up at the first byte it covers.
 *
 * <pre>
 *   offset 0            8            16                                              byteSize
 *   +-------------------+------------+--------------+--------------+-- ... --+--------+
 *   | generation        | size tag   | word 2       | word 3       |         | tail   |
 *   +-------------------+------------+--------------+--------------+-- ... --+--------+
 *   generation: the writer's update number, written and read opaque (readers read it first and last)
 *   size tag:   mix(generation ^ SIZE_SALT) ^ byteSize: ties the size to the generation
 *   word k:     mix(generation + k), k >= 2
 *   tail:       byteSize % 8 bytes, the low bytes of word (byteSize / 8)
 * </pre>
 *
 * Every word is a little-endian {@code long}, so the byte at offset {@code i} is byte {@code i % 8} (counting from
 * the least significant) of word {@code i / 8}. The header needs 8-byte alignment (its opaque access does); the
 * arena promises at least that. Segments are at least {@link #HEADER_BYTES} long.
 */
final class SegmentPattern {

    static final long GENERATION_OFFSET = 0;
    static final long SIZE_TAG_OFFSET = 8;
    /** The header; also the smallest segment. */
    static final long HEADER_BYTES = 16;
    /** The value {@link #firstMismatch} returns when every byte matches. */
    static final long INTACT = -1;

    private static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle GENERATION = ValueLayout.JAVA_LONG.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();
    private static final long SIZE_SALT = 0x5EED_51DE_C0DE_F00DL;
    /** Eight bytes of poison: what a freed segment's generation reads as. */
    private static final long POISON_WORD = 0x0101_0101_0101_0101L * (RcuArena.POISON & 0xFF);

    private SegmentPattern() {
    }

    /** The generation of update {@code sequence} (from 1) of writer {@code writer}; {@code sequence} 0: initial. */
    static long generation(int writer, long sequence) {
        return sequence * TortureConfig.MAX_WRITERS + writer;
    }

    /** "1234 (writer 0, update 19)", "2 (initial)", or "POISON". */
    static String generationText(long generation) {
        if (generation == POISON_WORD) {
            return "POISON (the header was already freed)";
        }
        long sequence = Long.divideUnsigned(generation, TortureConfig.MAX_WRITERS);
        long writer = Long.remainderUnsigned(generation, TortureConfig.MAX_WRITERS);
        return Long.toUnsignedString(generation) + (sequence == 0 ? " (initial)"
                : " (writer " + writer + ", update " + Long.toUnsignedString(sequence) + ")");
    }

    /**
     * Writes the whole pattern of {@code generation} into {@code segment} (at least {@link #HEADER_BYTES} long).
     * Plain stores, the header last: the caller publishes the segment afterwards (release), which orders them all.
     */
    static void fill(MemorySegment segment, long generation) {
        long size = segment.byteSize();
        long words = size >>> 3;
        for (long k = 2; k < words; k++) {
            segment.set(WORD, k << 3, mix(generation + k));
        }
        long tail = words << 3;
        if (tail < size) {
            long last = mix(generation + words);
            for (long i = tail; i < size; i++) {
                segment.set(ValueLayout.JAVA_BYTE, i, (byte) (last >>> ((i & 7) << 3)));
            }
        }
        segment.set(WORD, SIZE_TAG_OFFSET, sizeTag(generation, size));
        GENERATION.setOpaque(segment, GENERATION_OFFSET, generation); // opaque; pairs with readGeneration
    }

    /**
     * The generation in the header: an opaque load, so that the JIT cannot merge a reader's first and last reads of
     * it across the rest of the observation. Pairs with the opaque store in {@link #fill}; the ordering that makes
     * a reader see the whole pattern comes from the slot's release/acquire, and the absence of poison from jrcu.
     */
    static long readGeneration(MemorySegment segment) {
        return (long) GENERATION.getOpaque(segment, GENERATION_OFFSET);
    }

    /**
     * Reads every byte of {@code segment} after the generation word and checks it against the pattern of
     * {@code generation} (what the caller read in the header before), then reads the header's generation once more:
     * returns the first offset that differs, or {@link #INTACT}. Plain loads, each byte once.
     */
    static long firstMismatch(MemorySegment segment, long generation) {
        long size = segment.byteSize();
        long mismatch = wordMismatch(SIZE_TAG_OFFSET, segment.get(WORD, SIZE_TAG_OFFSET), sizeTag(generation, size));
        if (mismatch != INTACT) {
            return mismatch;
        }
        long words = size >>> 3;
        for (long k = 2; k < words; k++) {
            long offset = k << 3;
            long seen = segment.get(WORD, offset);
            long expected = mix(generation + k);
            if (seen != expected) {
                return wordMismatch(offset, seen, expected);
            }
        }
        for (long i = words << 3; i < size; i++) {
            if (segment.get(ValueLayout.JAVA_BYTE, i) != expectedByte(generation, size, i)) {
                return i;
            }
        }
        return wordMismatch(GENERATION_OFFSET, readGeneration(segment), generation);
    }

    /** The byte the pattern of {@code generation} has at {@code offset} of a {@code size}-byte segment. */
    static byte expectedByte(long generation, long size, long offset) {
        long word = offset >>> 3;
        long value = word == 0 ? generation : word == 1 ? sizeTag(generation, size) : mix(generation + word);
        return (byte) (value >>> ((offset & 7) << 3));
    }

    private static long sizeTag(long generation, long size) {
        return mix(generation ^ SIZE_SALT) ^ size;
    }

    /** The offset of the first differing byte of two little-endian words at {@code offset}, or INTACT. */
    private static long wordMismatch(long offset, long seen, long expected) {
        long diff = seen ^ expected;
        return diff == 0 ? INTACT : offset + (Long.numberOfTrailingZeros(diff) >>> 3);
    }

    /** SplitMix64's finalizer: a bijection whose outputs for consecutive inputs look unrelated. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
