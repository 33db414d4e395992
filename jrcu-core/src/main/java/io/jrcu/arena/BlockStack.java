package io.jrcu.arena;

import java.util.Arrays;

/** A LIFO stack of FREE blocks (slab, index) that grows as needed; guarded by its holder's lock. */
final class BlockStack {
    private Slab[] slabs = new Slab[16];
    private int[] blocks = new int[16];
    private int count;

    int count() {
        return count;
    }

    void push(Slab slab, int block) {
        if (count == slabs.length) {
            slabs = Arrays.copyOf(slabs, count * 2);
            blocks = Arrays.copyOf(blocks, count * 2);
        }
        slabs[count] = slab;
        blocks[count++] = block;
    }

    /** Pushes {@code n} blocks, {@code fromSlabs[i]}/{@code fromBlocks[i]}, in order (the last is warmest). */
    void pushAll(Slab[] fromSlabs, int[] fromBlocks, int n) {
        if (count + n > slabs.length) {
            int length = Math.max(count + n, slabs.length * 2);
            slabs = Arrays.copyOf(slabs, length);
            blocks = Arrays.copyOf(blocks, length);
        }
        System.arraycopy(fromSlabs, 0, slabs, count, n);
        System.arraycopy(fromBlocks, 0, blocks, count, n);
        count += n;
    }

    /** Moves every block of {@code other} onto this stack, keeping their order. */
    void pushAll(BlockStack other) {
        pushAll(other.slabs, other.blocks, other.count);
    }

    /** Moves up to {@code max} blocks, the warmest first, to {@code toSlabs}/{@code toBlocks} from {@code at}. */
    int popInto(Slab[] toSlabs, int[] toBlocks, int at, int max) {
        int n = 0;
        while (n < max && count > 0) {
            count--;
            toSlabs[at + n] = slabs[count];
            toBlocks[at + n++] = blocks[count];
            slabs[count] = null;
        }
        return n;
    }
}
