package io.jrcu.map;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.jrcu.map.RcuLongMapDescriptor.STATE_COUNT;
import static io.jrcu.map.RcuLongMapDescriptor.isState;

/**
 * The off-heap layout of an {@link RcuBytesMap}: its index is a table of {@link RcuLongMapDescriptor} entries (the
 * same 16-byte {@code {key word, value word}} entries, the same EMPTY / DELETED / FREE states), whose key word holds
 * the key's 64-bit hash and whose value word holds the address of a record in the map's arena:
 *
 * <pre>
 *   index entry:  | hash word (8) | record address (8) |     hash word: the key's hash, moved off the three states
 *
 *   record (one arena block, 16-byte aligned, never written after it is published):
 *   byte 0           4             8                    8 + keyLength          8 + keyLength + valueLength
 *        +-----------+-------------+--------- ... ------+---------- ... -------+
 *        | keyLength | valueLength | key bytes          | value bytes          |
 *        +-----------+-------------+--------- ... ------+---------- ... -------+
 * </pre>
 *
 * Two keys may share a hash word; a lookup compares the record's key bytes. A record is replaced, never changed: a
 * new value is a new record whose address the entry's value word takes, and the old record goes back to the arena.
 */
final class RcuBytesMapDescriptor {

    /** Offset of the key's length (an int) in a record. */
    static final long KEY_LENGTH_OFFSET = 0;
    /** Offset of the value's length (an int) in a record. */
    static final long VALUE_LENGTH_OFFSET = 4;
    /** Offset of the key bytes in a record; the value bytes follow them. */
    static final long KEY_OFFSET = 8;
    /** Bytes of a record before the key. */
    static final long HEADER_BYTES = 8;
    /** Alignment of a record: the header's ints are aligned. */
    static final long RECORD_ALIGNMENT = 8;

    /** The key and value bytes compared and hashed 8 at a time, little-endian whatever their source. */
    static final ValueLayout.OfLong WORD = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
    /** The header's ints, in the platform's order (written and read by the same machine). */
    static final ValueLayout.OfInt LENGTH = ValueLayout.JAVA_INT;

    private RcuBytesMapDescriptor() {
    }

    /** Bytes of a record of a {@code keyLength}-byte key and a {@code valueLength}-byte value. */
    static long recordBytes(int keyLength, int valueLength) {
        return HEADER_BYTES + keyLength + valueLength;
    }

    /** The key length of the record at {@code record} ({@code memory} spans the address space). */
    static int keyLength(MemorySegment memory, long record) {
        return memory.get(LENGTH, record + KEY_LENGTH_OFFSET);
    }

    /** The value length of the record at {@code record}. */
    static int valueLength(MemorySegment memory, long record) {
        return memory.get(LENGTH, record + VALUE_LENGTH_OFFSET);
    }

    /** Address of the value bytes of the record at {@code record} with a {@code keyLength}-byte key. */
    static long valueAddress(long record, int keyLength) {
        return record + KEY_OFFSET + keyLength;
    }

    /**
     * Writes a record into {@code record} (a fresh arena block of {@link #recordBytes} bytes, unpublished): the
     * lengths, the {@code keyLength} key bytes of {@code key} from {@code keyOffset} (a byte[], a MemorySegment, or a
     * ByteBuffer whose position is {@code keyOffset}) and the bytes of {@code value}.
     */
    static void writeRecord(MemorySegment record, Object key, long keyOffset, int keyLength, MemorySegment value) {
        record.set(LENGTH, KEY_LENGTH_OFFSET, keyLength);
        record.set(LENGTH, VALUE_LENGTH_OFFSET, (int) value.byteSize());
        if (key instanceof byte[] a) {
            MemorySegment.copy(a, (int) keyOffset, record, ValueLayout.JAVA_BYTE, KEY_OFFSET, keyLength);
        } else if (key instanceof MemorySegment s) {
            MemorySegment.copy(s, keyOffset, record, KEY_OFFSET, keyLength);
        } else {
            MemorySegment.copy(MemorySegment.ofBuffer((java.nio.ByteBuffer) key), 0, record, KEY_OFFSET, keyLength);
        }
        MemorySegment.copy(value, 0, record, KEY_OFFSET + keyLength, value.byteSize());
    }

    /** The index's key word of a key whose hash is {@code hash}: the hash, unless it is a state word. */
    static long hashWord(long hash) {
        return isState(hash) ? hash + STATE_COUNT : hash;
    }

    /** The first slot of a hash word's probe in a table of {@code mask + 1} entries. */
    static int home(long hashWord, int mask) {
        return (int) (hashWord ^ hashWord >>> 32) & mask;
    }
}
