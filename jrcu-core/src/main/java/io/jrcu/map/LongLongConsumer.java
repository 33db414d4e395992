package io.jrcu.map;

/**
 * An operation on a {@code long} key and its {@code long} value, for {@link RcuLongMap#forEach}: no boxing.
 * {@snippet :
 * long[] total = new long[1];
 * map.forEach((key, value) -> total[0] += value);   // one read section over the current table
 * }
 */
@FunctionalInterface
public interface LongLongConsumer {

    /**
     * Performs this operation on one entry.
     *
     * @param key   the entry's key
     * @param value the entry's value
     */
    void accept(long key, long value);
}
