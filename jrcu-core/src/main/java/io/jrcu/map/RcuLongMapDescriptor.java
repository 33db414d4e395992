package io.jrcu.map;

/**
 * The off-heap layout of one {@link RcuLongMap} table: the only place that knows offsets and key encodings.
 *
 * <pre>
 *   table = one allocation of capacity x 16 bytes, capacity a power of two, aligned to 64 bytes (4 entries a line)
 *
 *   byte 0        8        16       24       32
 *        +--------+--------+--------+--------+-- ... --+
 *        | key 0  | value 0| key 1  | value 1|         |
 *        +--------+--------+--------+--------+-- ... --+
 *        |<-- entry 0 ---->|<-- entry 1 ---->|
 *
 *   key word  : the user's key XOR KEY_FLIP; three stored words are states, not keys:
 *               EMPTY   (0) never used since the table was built: a probe stops here (fresh memory is zero)
 *               DELETED (1) removed, waiting for its grace period: a probe goes on, no insert may use it
 *               FREE    (2) removed and past its grace period: a probe goes on, an insert may use it
 *   value word: the value, meaningful only while the key word holds a key
 * </pre>
 *
 * The three user keys that would encode as a state ({@link #isReservedKey}) are kept beside the table, on the heap.
 * No header: capacity and counters live in the heap object that owns the allocation.
 */
final class RcuLongMapDescriptor {

    /** Bytes per entry: a key word and a value word. */
    static final int ENTRY_SIZE = 16;
    /** Offset of the key word inside an entry. */
    static final int KEY_OFFSET = 0;
    /** Offset of the value word inside an entry. */
    static final int VALUE_OFFSET = 8;
    /** Alignment of a table: a cache line, so that an entry never straddles two lines. */
    static final long TABLE_ALIGNMENT = 64;

    /** Stored key word of a never-used entry; what a fresh (zeroed) allocation holds. */
    static final long EMPTY = 0;
    /** Stored key word of a removed entry that readers may still be looking at. */
    static final long DELETED = 1;
    /** Stored key word of a removed entry whose grace period has passed. */
    static final long FREE = 2;
    /** Stored words below this (unsigned) are states. */
    static final long STATE_COUNT = 3;

    /** XORed into a key to store it: the user keys KEY_FLIP, KEY_FLIP ^ 1 and KEY_FLIP ^ 2 are the reserved ones. */
    static final long KEY_FLIP = 0x6A09_E667_F3BC_C908L;

    /** Largest capacity: 2^30 entries (16 GiB). */
    static final int MAX_CAPACITY = 1 << 30;

    private RcuLongMapDescriptor() {
    }

    /** Byte offset of entry {@code slot}'s key word. */
    static long keyOffset(int slot) {
        return (long) slot * ENTRY_SIZE + KEY_OFFSET;
    }

    /** Byte offset of entry {@code slot}'s value word. */
    static long valueOffset(int slot) {
        return (long) slot * ENTRY_SIZE + VALUE_OFFSET;
    }

    /** Bytes of a table of {@code capacity} entries. */
    static long tableBytes(int capacity) {
        return (long) capacity * ENTRY_SIZE;
    }

    /** The key word that stores {@code key}. */
    static long encode(long key) {
        return key ^ KEY_FLIP;
    }

    /** The key a key word stores (a word that is not a state). */
    static long decode(long stored) {
        return stored ^ KEY_FLIP;
    }

    /** Whether a key word is a state (EMPTY, DELETED, FREE) rather than a key. */
    static boolean isState(long stored) {
        return Long.compareUnsigned(stored, STATE_COUNT) < 0;
    }

    /** Whether {@code key} is one of the three user keys kept beside the table. */
    static boolean isReservedKey(long key) {
        return isState(encode(key));
    }
}
