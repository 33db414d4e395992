package io.jrcu.internal;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Large tables' memory: zero, as large as asked, aligned, usable until its arena closes, and released then. */
class HugePagesTest {

    @Test
    void linuxWithNativeAccessMapsHugePageAlignedMemory() {
        // the tests run with --enable-native-access=ALL-UNNAMED (the parent pom's argLine)
        if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")) {
            assertThat(HugePages.AVAILABLE).as(String.valueOf(HugePages.UNAVAILABLE_BECAUSE)).isTrue();
        }
        long bytes = 3 * HugePages.SIZE + 4096;   // not a multiple of the huge page size
        MemorySegment table;
        try (Arena arena = Arena.ofShared()) {
            table = HugePages.allocateZeroed(arena, bytes, 64);
            assertThat(table.byteSize()).isEqualTo(bytes);
            if (HugePages.AVAILABLE) {
                assertThat(table.address() % HugePages.SIZE).as("aligned to a huge page").isZero();
            }
            assertZeroThenWritable(table);
        }
        assertThat(table.scope().isAlive()).isFalse();
        assertThatThrownBy(() -> table.get(ValueLayout.JAVA_LONG, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void smallTablesComeFromTheArenaWithTheirAlignment() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment table = HugePages.allocateZeroed(arena, 4096, 64);
            assertThat(table.byteSize()).isEqualTo(4096);
            assertThat(table.address() % 64).isZero();
            assertZeroThenWritable(table);
        }
    }

    @Test
    void manyMappingsAreReleasedWithTheirArenas() {
        // 64 x 64 MiB = 4 GiB of address space over the test: a mapping kept after its arena closed would show as
        // an mmap failure (falling back to the arena, whose 64 MiB are zeroed up front) long before the machine runs
        // out; each table is touched at both ends only
        for (int i = 0; i < 64; i++) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment table = HugePages.allocateZeroed(arena, 64L << 20, 64);
                assertThat(table.get(ValueLayout.JAVA_LONG, 0)).isZero();
                table.set(ValueLayout.JAVA_LONG, table.byteSize() - 8, i);
                assertThat(table.get(ValueLayout.JAVA_LONG, table.byteSize() - 8)).isEqualTo(i);
            }
        }
    }

    private static void assertZeroThenWritable(MemorySegment table) {
        for (long offset = 0; offset < table.byteSize(); offset += 4096) {
            assertThat(table.get(ValueLayout.JAVA_LONG, offset)).as("offset %d", offset).isZero();
            table.set(ValueLayout.JAVA_LONG, offset, offset + 1);
        }
        for (long offset = 0; offset < table.byteSize(); offset += 4096) {
            assertThat(table.get(ValueLayout.JAVA_LONG, offset)).isEqualTo(offset + 1);
        }
        long last = table.byteSize() - 8;
        assertThat(table.get(ValueLayout.JAVA_LONG, last)).isZero();
    }
}
