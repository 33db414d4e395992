package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.map.RcuLongMap;
import org.agrona.collections.Long2LongHashMap;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.locks.StampedLock;

/**
 * The maps {@link MapLookup} and {@link MapWrite} compare, behind one adapter: a benchmark fork uses one
 * implementation, so its call sites stay monomorphic. Keys are given as indexes into the key array the map was
 * built from ({@code ConcurrentHashMap} gets them pre-boxed); every value stored is a long, {@link #MISSING} absent.
 */
abstract class MapPeer {

    static final long MISSING = Long.MIN_VALUE;

    final long[] keys;

    MapPeer(long[] keys) {
        this.keys = keys;
    }

    /**
     * A map of {@code impl} holding {@code keys[i] -> i} for every index.
     *
     * @param impl {@code jrcuGet}, {@code jrcuReader}, {@code chm}, {@code agronaStamped}, {@code agronaRwLock},
     *             {@code ceiling}
     */
    static MapPeer create(String impl, Rcu rcu, long[] keys) {
        MapPeer map = switch (impl) {
            case "jrcuGet" -> new Jrcu(rcu, keys, false);
            case "jrcuReader" -> new Jrcu(rcu, keys, true);
            case "chm" -> new Chm(keys);
            case "agronaStamped" -> new AgronaStamped(keys);
            case "agronaRwLock" -> new AgronaRwLock(keys);
            case "ceiling" -> new Ceiling(keys);
            default -> throw new IllegalArgumentException("impl " + impl);
        };
        for (int i = 0; i < keys.length; i++) {
            map.put(i, i);
        }
        return map;
    }

    /** The value of {@code keys[index]}; {@code reader} is the calling thread's handle (used by jrcuReader). */
    abstract long get(RcuReader reader, int index);

    abstract void put(int index, long value);

    abstract void remove(int index);

    void close() {
    }

    static final class Jrcu extends MapPeer {
        private final RcuLongMap map;
        private final boolean kept;

        Jrcu(Rcu rcu, long[] keys, boolean kept) {
            super(keys);
            this.map = RcuLongMap.builder(rcu).initialCapacity(keys.length).build();
            this.kept = kept;
        }

        @Override
        long get(RcuReader reader, int index) {
            return kept ? map.get(reader, keys[index]) : map.get(keys[index]);
        }

        @Override
        void put(int index, long value) {
            map.put(keys[index], value);
        }

        @Override
        void remove(int index) {
            map.remove(keys[index]);
        }

        @Override
        void close() {
            map.close();
        }
    }

    static final class Chm extends MapPeer {
        private final ConcurrentHashMap<Long, Long> map;
        private final Long[] boxed;

        Chm(long[] keys) {
            super(keys);
            this.map = new ConcurrentHashMap<>(keys.length);
            this.boxed = new Long[keys.length];
            for (int i = 0; i < keys.length; i++) {
                boxed[i] = keys[i];
            }
        }

        @Override
        long get(RcuReader reader, int index) {
            Long v = map.get(boxed[index]);
            return v == null ? MISSING : v;
        }

        @Override
        void put(int index, long value) {
            map.put(boxed[index], value);
        }

        @Override
        void remove(int index) {
            map.remove(boxed[index]);
        }
    }

    /** Agrona's map sized so that {@code keys.length} entries never make it rehash (load factor 0.65). */
    static Long2LongHashMap presized(int entries) {
        return new Long2LongHashMap((int) Math.min(1 << 30, (long) (entries / 0.6)), 0.65f, MISSING);
    }

    static final class AgronaStamped extends MapPeer {
        private final Long2LongHashMap map;
        private final StampedLock lock = new StampedLock();

        AgronaStamped(long[] keys) {
            super(keys);
            this.map = presized(keys.length);
        }

        @Override
        long get(RcuReader reader, int index) {
            long key = keys[index];
            long stamp = lock.tryOptimisticRead();
            long v = map.get(key);   // the table never moves (presized); a torn probe is discarded by validate
            if (lock.validate(stamp)) {
                return v;
            }
            stamp = lock.readLock();
            try {
                return map.get(key);
            } finally {
                lock.unlockRead(stamp);
            }
        }

        @Override
        void put(int index, long value) {
            long stamp = lock.writeLock();
            try {
                map.put(keys[index], value);
            } finally {
                lock.unlockWrite(stamp);
            }
        }

        @Override
        void remove(int index) {
            long stamp = lock.writeLock();
            try {
                map.remove(keys[index]);
            } finally {
                lock.unlockWrite(stamp);
            }
        }
    }

    static final class AgronaRwLock extends MapPeer {
        private final Long2LongHashMap map;
        private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

        AgronaRwLock(long[] keys) {
            super(keys);
            this.map = presized(keys.length);
        }

        @Override
        long get(RcuReader reader, int index) {
            lock.readLock().lock();
            try {
                return map.get(keys[index]);
            } finally {
                lock.readLock().unlock();
            }
        }

        @Override
        void put(int index, long value) {
            lock.writeLock().lock();
            try {
                map.put(keys[index], value);
            } finally {
                lock.writeLock().unlock();
            }
        }

        @Override
        void remove(int index) {
            lock.writeLock().lock();
            try {
                map.remove(keys[index]);
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    /**
     * Not a map a reader could share with a writer: what the memory allows. A heap table of RcuLongMap's shape
     * ({key, value} pairs, at most half full, linear probing) read with plain loads and no protection at all, so a
     * lookup is the key array's load, a multiply-shift hash and the probe. Writes race with the lookups (plain
     * stores, as the benchmark writer's lines pulled from the readers' caches are what case (b) measures): a put of
     * a present key overwrites its value in place, and remove leaves the entry, which the put after it overwrites.
     */
    static final class Ceiling extends MapPeer {
        private final long[] table;
        private final int mask;

        Ceiling(long[] keys) {
            super(keys);
            // as RcuLongMap: the smallest power of two with room for twice the entries
            int slots = Integer.highestOneBit(Math.max(2, 2 * keys.length - 1)) << 1;
            table = new long[2 * slots];
            mask = slots - 1;
        }

        private int home(long key) {
            long h = key * 0x9E37_79B9_7F4A_7C15L;
            return (int) (h ^ (h >>> 32)) & mask;
        }

        @Override
        long get(RcuReader reader, int index) {
            long key = keys[index];
            for (int s = home(key); ; s = (s + 1) & mask) {
                long k = table[2 * s];
                if (k == key) {
                    return table[2 * s + 1];
                }
                if (k == 0) {
                    return MISSING;
                }
            }
        }

        @Override
        void put(int index, long value) {
            long key = keys[index];
            if (key == 0) {
                return;   // 0 marks an empty slot; a random key is 0 with probability 2^-64
            }
            int s = home(key);
            while (table[2 * s] != 0 && table[2 * s] != key) {
                s = (s + 1) & mask;
            }
            table[2 * s] = key;
            table[2 * s + 1] = value;
        }

        @Override
        void remove(int index) {
            // left in place: MapLookup's writer puts the key back right after (see the class comment)
        }
    }
}
