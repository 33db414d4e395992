package io.jrcu.map;

/**
 * A first-in first-out queue of {@code (long, long)} pairs in one growable ring: the map's queue of (cookie, slot)
 * for removed entries waiting for their grace period, in the order they were removed (the seeds' FIFO of tokens). No
 * object per entry; the ring doubles when full and halves when a quarter full, never below its initial size. Not
 * thread-safe: the map uses it under its writer lock.
 *
 * <p>A small seam: the map uses only {@link #add}, {@link #firstKey}, {@link #removeFirst}, {@link #size} and
 * {@link #clear}, so a shared queue of longs can take its place.
 */
final class LongPairFifo {

    private static final int INITIAL_PAIRS = 16;

    /** Pairs at [2 * (head + i) & mask, +1] for i in [0, size). */
    private long[] ring = new long[2 * INITIAL_PAIRS];
    private int head;
    private int size;

    /** Appends a pair. */
    void add(long key, long item) {
        if (size == ring.length / 2) {
            resize(ring.length);
        }
        int at = 2 * ((head + size) & (ring.length / 2 - 1));
        ring[at] = key;
        ring[at + 1] = item;
        size++;
    }

    /** The first pair's key. Only when not empty. */
    long firstKey() {
        assert size > 0;
        return ring[2 * head];
    }

    /** Removes the first pair and returns its item. Only when not empty. */
    long removeFirst() {
        assert size > 0;
        long item = ring[2 * head + 1];
        head = (head + 1) & (ring.length / 2 - 1);
        size--;
        if (ring.length > 2 * INITIAL_PAIRS && size <= ring.length / 8) {
            resize(ring.length / 4);
        }
        return item;
    }

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Removes every pair and returns to the initial size. */
    void clear() {
        if (ring.length != 2 * INITIAL_PAIRS) {
            ring = new long[2 * INITIAL_PAIRS];
        }
        head = 0;
        size = 0;
    }

    /** Moves the pairs, first at 0, into a ring of {@code pairs} pairs. */
    private void resize(int pairs) {
        long[] next = new long[2 * pairs];
        int oldPairs = ring.length / 2;
        for (int i = 0; i < size; i++) {
            int from = 2 * ((head + i) & (oldPairs - 1));
            next[2 * i] = ring[from];
            next[2 * i + 1] = ring[from + 1];
        }
        ring = next;
        head = 0;
    }
}
