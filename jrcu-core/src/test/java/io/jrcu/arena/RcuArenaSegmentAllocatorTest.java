package io.jrcu.arena;

import io.jrcu.MembRcu;
import io.jrcu.Rcu;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link RcuArena} as a {@link SegmentAllocator}: the allocator's default methods and an FFM downcall that takes an
 * allocator allocate from the arena, and every segment they return is one the caller frees with
 * {@link RcuArena#free}. A debug arena, so that a segment not allocated by it, or freed twice, is refused.
 */
class RcuArenaSegmentAllocatorTest {
    private final MembRcu rcu = Rcu.memb();
    private final RcuArena arena = RcuArena.builder(rcu).name("allocator").debug(true).build();

    @AfterEach
    void close() {
        arena.close();
        rcu.close();
    }

    @Test
    void allocateFromStringIsAnArenaSegmentTheCallerFrees() {
        SegmentAllocator allocator = arena;
        MemorySegment s = allocator.allocateFrom("grace period");

        assertThat(s.getString(0)).isEqualTo("grace period");
        assertThat(s.byteSize()).isEqualTo("grace period".length() + 1);
        assertThat(arena.stats().bytesInUse()).isPositive();
        arena.free(s);
        assertThat(arena.stats().bytesInUse()).isZero();
        assertThatThrownBy(() -> arena.free(s)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("double free");
    }

    @Test
    void allocateFromIntArrayAndLayoutAreArenaSegments() {
        MemorySegment ints = arena.allocateFrom(ValueLayout.JAVA_INT, 1, 2, 3, 5, 8);
        StructLayout pair = MemoryLayout.structLayout(ValueLayout.JAVA_LONG.withName("a"),
                ValueLayout.JAVA_LONG.withName("b"));
        MemorySegment struct = arena.allocate(pair);
        MemorySegment longs = arena.allocate(ValueLayout.JAVA_LONG, 4);

        assertThat(ints.toArray(ValueLayout.JAVA_INT)).containsExactly(1, 2, 3, 5, 8);
        assertThat(struct.byteSize()).isEqualTo(16);
        assertThat(struct.address() % pair.byteAlignment()).isZero();
        assertThat(longs.byteSize()).isEqualTo(32);
        arena.free(ints);
        arena.free(struct);
        arena.free(longs);
        assertThat(arena.stats().bytesInUse()).isZero();
    }

    @Test
    void aDowncallReturningAStructAllocatesItFromTheArena() throws Throwable {
        // div_t div(int, int): a struct { int quot; int rem; } returned by value, so the handle takes an allocator
        StructLayout divT = MemoryLayout.structLayout(ValueLayout.JAVA_INT.withName("quot"),
                ValueLayout.JAVA_INT.withName("rem"));
        Linker linker = Linker.nativeLinker();
        MethodHandle div = linker.downcallHandle(linker.defaultLookup().findOrThrow("div"),
                FunctionDescriptor.of(divT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

        MemorySegment result = (MemorySegment) div.invokeExact((SegmentAllocator) arena, 17, 5);

        assertThat(result.get(ValueLayout.JAVA_INT, 0)).isEqualTo(3);
        assertThat(result.get(ValueLayout.JAVA_INT, 4)).isEqualTo(2);
        assertThat(arena.stats().bytesInUse()).isPositive();
        arena.free(result);   // accepted: the segment is the arena's block, as returned
        assertThat(arena.stats().bytesInUse()).isZero();
    }

    @Test
    void aFreedAllocatorSegmentIsPoisonedAfterItsGracePeriod() {
        MemorySegment s = arena.allocateFrom("stale");
        arena.free(s);
        rcu.synchronize();
        arena.allocate(s.byteSize());   // an allocation reclaims what has passed its grace period

        assertThat(s.get(ValueLayout.JAVA_BYTE, 0)).isEqualTo(RcuArena.POISON);
    }
}
