package io.jrcu.tools.torture;

import static org.assertj.core.api.Assertions.assertThat;

import io.jrcu.arena.RcuArena;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The arena torture's self-checking segment contents: intact patterns pass, any foreign byte is found. */
class SegmentPatternTest {

    private static final long GENERATION = SegmentPattern.generation(3, 1234);

    @ParameterizedTest
    @ValueSource(longs = {16, 17, 23, 24, 31, 100, 4096, 4099})
    void aFilledSegmentIsIntactAndEveryByteIsTheExpectedOne(long size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(size, 8);
            SegmentPattern.fill(s, GENERATION);

            assertThat(SegmentPattern.readGeneration(s)).isEqualTo(GENERATION);
            assertThat(SegmentPattern.firstMismatch(s, GENERATION)).isEqualTo(SegmentPattern.INTACT);
            for (long i = 0; i < size; i++) {
                assertThat(s.get(ValueLayout.JAVA_BYTE, i)).as("offset " + i)
                        .isEqualTo(SegmentPattern.expectedByte(GENERATION, size, i));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 7, 8, 15, 16, 40, 4095, 4098})
    void aChangedByteIsFoundAtItsOffset(long offset) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4099, 8);
            SegmentPattern.fill(s, GENERATION);
            s.set(ValueLayout.JAVA_BYTE, offset, (byte) ~s.get(ValueLayout.JAVA_BYTE, offset));

            assertThat(SegmentPattern.firstMismatch(s, GENERATION)).isEqualTo(offset);
        }
    }

    @Test
    void poisonIsFoundAtTheFirstByteAfterTheGenerationTheReaderRead() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(64, 8);
            SegmentPattern.fill(s, GENERATION);
            s.fill(RcuArena.POISON);

            assertThat(SegmentPattern.firstMismatch(s, GENERATION)).isEqualTo(SegmentPattern.SIZE_TAG_OFFSET);
            long poisonedGeneration = SegmentPattern.readGeneration(s);
            assertThat(SegmentPattern.generationText(poisonedGeneration)).startsWith("POISON");
            assertThat(SegmentPattern.firstMismatch(s, poisonedGeneration)).isNotEqualTo(SegmentPattern.INTACT);
        }
    }

    @Test
    void anotherGenerationOrSizeInTheSameMemoryIsFound() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(256, 8);
            SegmentPattern.fill(s, SegmentPattern.generation(3, 1235));
            assertThat(SegmentPattern.firstMismatch(s, GENERATION)).isNotEqualTo(SegmentPattern.INTACT);

            SegmentPattern.fill(s.asSlice(0, 200), GENERATION); // reused for a smaller request of another writer
            assertThat(SegmentPattern.firstMismatch(s, GENERATION)).isEqualTo(SegmentPattern.SIZE_TAG_OFFSET);
        }
    }

    @Test
    void generationsNameTheirWriterAndUpdate() {
        assertThat(SegmentPattern.generationText(GENERATION)).isEqualTo(GENERATION + " (writer 3, update 1234)");
        assertThat(SegmentPattern.generationText(SegmentPattern.generation(2, 0))).isEqualTo("2 (initial)");
    }
}
