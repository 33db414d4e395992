package io.jrcu.arena;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A run of blocks of one size class in a chunk, and the state byte of each block.
 */
final class Slab {
    /*
     * A block's state: FREE -> ALLOCATED (allocate, by the thread that owns the block: a magazine's owner, or the
     * class lock holder) -> PENDING (free: CAS, so exactly one of two racing frees wins; the loser sees the state and
     * throws) -> FREE (after the grace period, under the class lock, when the block is pushed on its class's free
     * list, or, by its owner, into a thread's magazine).
     *
     * The state byte is written with release stores (srState) and read with the CAS in free (casState); a free of a
     * block the caller was never handed (misuse) may read a stale state, and then throws, which is the right answer
     * either way. laState reads it for a message only.
     */

    static final byte FREE = 0;
    static final byte ALLOCATED = 1;
    static final byte PENDING = 2;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(byte[].class);

    final Chunk chunk;
    final long base;
    final SizeClass sizeClass;
    final int blocks;
    /** Bytes of its blocks (the slab's extent, for the lookup shortcut in reclaimed()). */
    final long bytes;
    /** FREE / ALLOCATED / PENDING per block, through STATE. */
    private final byte[] states;

    Slab(Chunk chunk, long base, SizeClass sizeClass, int blocks) {
        this.chunk = chunk;
        this.base = base;
        this.sizeClass = sizeClass;
        this.blocks = blocks;
        this.bytes = blocks * sizeClass.blockSize;
        this.states = new byte[blocks];
    }

    MemorySegment block(int index, long byteSize) {
        return chunk.segment.asSlice(base - chunk.base + index * sizeClass.blockSize, byteSize);
    }

    /** Release store of block {@code index}'s state; partner: the CAS in {@link #casState} (free). */
    void srState(int index, byte state) {
        STATE.setRelease(states, index, state);
    }

    /** Volatile CAS of block {@code index}'s state; partner: the release stores of {@link #srState}. */
    boolean casState(int index, byte expected, byte state) {
        return STATE.compareAndSet(states, index, expected, state);
    }

    /** Acquire load of block {@code index}'s state; partner: the release stores of {@link #srState}. */
    byte laState(int index) {
        return (byte) STATE.getAcquire(states, index);
    }
}
