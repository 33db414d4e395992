package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.arena.RcuArena;
import io.jrcu.map.RcuLongMap.Reclamation;

import java.util.Objects;

import static io.jrcu.map.RcuLongMapDescriptor.MAX_CAPACITY;

/** Builds an {@link RcuBytesMap}, from {@link RcuBytesMap#builder}. Not thread-safe. */
public final class RcuBytesMapBuilder {
    final Rcu rcu;
    int initialCapacity;
    int maxEntries;
    Reclamation reclamation = Reclamation.DEFER_QUEUE;
    int maxKeyBytes = RcuBytesMap.DEFAULT_MAX_KEY_BYTES;
    int maxValueBytes = RcuBytesMap.DEFAULT_MAX_VALUE_BYTES;
    long seed;
    boolean seedSet;
    boolean debugArena;
    boolean brokenEarlyFree;

    RcuBytesMapBuilder(Rcu rcu) {
        this.rcu = rcu;
    }

    /**
     * Entries the first index table holds without a rebuild (unbounded maps; a bounded map sizes for its limit).
     *
     * @param entries at least 0
     * @return this builder
     * @throws IllegalArgumentException if negative or above 2^29
     */
    public RcuBytesMapBuilder initialCapacity(int entries) {
        if (entries < 0 || entries > MAX_CAPACITY / 2) {
            throw new IllegalArgumentException("initialCapacity " + entries + " not in [0, " + MAX_CAPACITY / 2
                    + "]");
        }
        this.initialCapacity = entries;
        return this;
    }

    /**
     * Bounds the map: live entries plus removed entries waiting for their grace period never exceed
     * {@code entries}; the index never grows past its first size. A full map's {@code put} throws.
     *
     * @param entries at least 1, at most 2^29
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public RcuBytesMapBuilder maxEntries(int entries) {
        if (entries < 1 || entries > MAX_CAPACITY / 2) {
            throw new IllegalArgumentException("maxEntries " + entries + " not in [1, " + MAX_CAPACITY / 2
                    + "]");
        }
        this.maxEntries = entries;
        return this;
    }

    /**
     * How removed index entries wait for their grace period, as for {@link RcuLongMap}; {@code DEFER_QUEUE} by
     * default. (Records always go back to the arena, which reuses them after a grace period without waiting.)
     *
     * @param mode not null
     * @return this builder
     */
    public RcuBytesMapBuilder reclamation(Reclamation mode) {
        this.reclamation = Objects.requireNonNull(mode, "reclamation");
        return this;
    }

    /**
     * The longest key accepted; {@value RcuBytesMap#DEFAULT_MAX_KEY_BYTES} by default.
     *
     * @param bytes from 1 to {@value RcuBytesMap#MAX_KEY_BYTES}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public RcuBytesMapBuilder maxKeyBytes(int bytes) {
        if (bytes < 1 || bytes > RcuBytesMap.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("maxKeyBytes " + bytes + " not in [1, " + RcuBytesMap.MAX_KEY_BYTES
                    + "]");
        }
        this.maxKeyBytes = bytes;
        return this;
    }

    /**
     * The longest value accepted; {@value RcuBytesMap#DEFAULT_MAX_VALUE_BYTES} by default.
     *
     * @param bytes from 0 to {@value RcuBytesMap#MAX_VALUE_BYTES}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public RcuBytesMapBuilder maxValueBytes(int bytes) {
        if (bytes < 0 || bytes > RcuBytesMap.MAX_VALUE_BYTES) {
            throw new IllegalArgumentException("maxValueBytes " + bytes + " not in [0, " + RcuBytesMap.MAX_VALUE_BYTES
                    + "]");
        }
        this.maxValueBytes = bytes;
        return this;
    }

    /**
     * The seed of the key hash (random per map by default): a fixed seed makes the layout reproducible.
     *
     * @param seed any value
     * @return this builder
     */
    public RcuBytesMapBuilder hashSeed(long seed) {
        this.seed = seed;
        this.seedSet = true;
        return this;
    }

    /**
     * Debug checks of the map's arena ({@link RcuArena.Builder#debug}): a freed record is filled with
     * {@link RcuArena#POISON} once its grace period has passed and kept out of reuse for a while, so that a view
     * used after its section shows poison. Slower writes. Default: off.
     *
     * @param on whether the arena poisons freed records
     * @return this builder
     */
    public RcuBytesMapBuilder debugArena(boolean on) {
        this.debugArena = on;
        return this;
    }

    /** Tests only: builds the broken twin, which overwrites a replaced or removed record before its grace period. */
    RcuBytesMapBuilder brokenEarlyFree() {
        this.brokenEarlyFree = true;
        return this;
    }

    /**
     * A new empty map with these options.
     *
     * @return the map
     * @throws IllegalStateException if the domain is closing or closed
     * @throws OutOfMemoryError      if the first table cannot be allocated
     */
    public RcuBytesMap build() {
        return new RcuBytesMap(this);
    }
}
