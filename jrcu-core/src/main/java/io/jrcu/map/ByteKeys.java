package io.jrcu.map;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static io.jrcu.map.RcuBytesMapDescriptor.WORD;

/**
 * Hashing and comparing an {@link RcuBytesMap}'s keys in place, whatever holds them: a {@code byte[]}, a
 * {@link MemorySegment} or a {@link ByteBuffer} (its bytes from position to limit; the buffer's position, limit and
 * order are not changed). Bytes are read 8 at a time, little-endian for every source, so that a key hashes the same
 * from each. Nothing here allocates.
 */
final class ByteKeys {

    private static final VarHandle ARRAY_WORD = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);

    private ByteKeys() {
    }

    /** The 8 bytes of {@code source} at {@code at} as a little-endian long. */
    static long word(Object source, long at) {
        if (source instanceof byte[] a) {
            return (long) ARRAY_WORD.get(a, (int) at);
        }
        if (source instanceof MemorySegment s) {
            return s.get(WORD, at);
        }
        ByteBuffer b = (ByteBuffer) source;
        long w = b.getLong((int) at);
        return b.order() == ByteOrder.LITTLE_ENDIAN ? w : Long.reverseBytes(w);
    }

    /** The byte of {@code source} at {@code at}. */
    static byte byteAt(Object source, long at) {
        if (source instanceof byte[] a) {
            return a[(int) at];
        }
        if (source instanceof MemorySegment s) {
            return s.get(ValueLayout.JAVA_BYTE, at);
        }
        return ((ByteBuffer) source).get((int) at);
    }

    /** The last {@code length & 7} bytes of the {@code length} bytes of {@code source} at {@code offset}. */
    private static long tail(Object source, long offset, int length) {
        long tail = 0;
        for (int i = length - 1; i >= (length & ~7); i--) {
            tail = tail << 8 | (byteAt(source, offset + i) & 0xFF);
        }
        return tail;
    }

    /** A seeded 64-bit hash of {@code length} bytes of {@code source} from {@code offset}. */
    static long hash(long seed, Object source, long offset, int length) {
        long h = seed ^ length * 0x9E37_79B9_7F4A_7C15L;
        int whole = length & ~7;
        for (int i = 0; i < whole; i += 8) {
            h = Long.rotateLeft(h ^ word(source, offset + i) * 0x87C3_7B91_1142_53D5L, 31) * 0x4CF5_AD43_2745_937FL;
        }
        if (whole < length) {
            h = Long.rotateLeft(h ^ tail(source, offset, length) * 0x87C3_7B91_1142_53D5L, 31)
                    * 0x4CF5_AD43_2745_937FL;
        }
        h = (h ^ (h >>> 33)) * 0xFF51_AFD7_ED55_8CCDL;   // MurmurHash3's 64-bit finalizer
        h = (h ^ (h >>> 33)) * 0xC4CE_B9FE_1A85_EC53L;
        return h ^ (h >>> 33);
    }

    /**
     * Whether the {@code length} bytes of {@code memory} at {@code at} equal those of {@code source} from
     * {@code offset}.
     */
    static boolean equal(MemorySegment memory, long at, Object source, long offset, int length) {
        int whole = length & ~7;
        for (int i = 0; i < whole; i += 8) {
            if (memory.get(WORD, at + i) != word(source, offset + i)) {
                return false;
            }
        }
        for (int i = whole; i < length; i++) {
            if (memory.get(ValueLayout.JAVA_BYTE, at + i) != byteAt(source, offset + i)) {
                return false;
            }
        }
        return true;
    }
}
