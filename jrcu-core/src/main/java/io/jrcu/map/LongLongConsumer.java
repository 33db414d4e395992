package io.jrcu.map;

/**
 * An operation on a {@code long} key and its {@code long} value, for {@link RcuLongMap#forEach}: no boxing.
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
