package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.map.RcuBytesMap;
import net.openhft.chronicle.map.ChronicleMap;
import org.caffinitas.ohc.CacheSerializer;
import org.caffinitas.ohc.DirectValueAccess;
import org.caffinitas.ohc.OHCache;
import org.caffinitas.ohc.OHCacheBuilder;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The byte maps {@link BytesMapLookup} and {@link BytesMapWrite} compare, behind one adapter (a fork uses one
 * implementation, so its call sites stay monomorphic). Keys are given as indexes into the key array the map was
 * built from; a lookup copies the value into the caller's array and returns its length, or -1 if absent.
 */
abstract class BytesMapPeer {

    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 100;

    final byte[][] keys;

    BytesMapPeer(byte[][] keys) {
        this.keys = keys;
    }

    /**
     * A map of {@code impl} holding a 100-byte value for every key.
     *
     * @param impl {@code jrcu} ({@link RcuBytesMap}), {@code ohc} (OHC's {@code OHCache<byte[], byte[]>},
     *             {@code getDirect}), {@code chronicle} (Chronicle Map, {@code getUsing}), {@code chm}
     *             ({@code ConcurrentHashMap<ByteBuffer, byte[]>})
     */
    static BytesMapPeer create(String impl, Rcu rcu, byte[][] keys, int capacity) {
        BytesMapPeer map = switch (impl) {
            case "jrcu" -> new Jrcu(rcu, keys, capacity);
            case "ohc" -> new Ohc(keys, capacity);
            case "chronicle" -> new Chronicle(keys, capacity);
            case "chm" -> new Chm(keys, capacity);
            default -> throw new IllegalArgumentException("impl " + impl);
        };
        byte[] value = new byte[VALUE_BYTES];
        for (int i = 0; i < keys.length; i++) {
            value(value, i);
            map.put(i, value);
        }
        return map;
    }

    /** Fills {@code value} for generation {@code generation} (its first 8 bytes; the rest keeps its pattern). */
    static void value(byte[] value, long generation) {
        ByteBuffer.wrap(value).putLong(0, generation);
    }

    /** Copies the value of {@code keys[index]} into {@code dst}; its length, or -1 if absent. */
    abstract int get(int index, byte[] dst);

    /** Stores a copy of {@code value} for {@code keys[index]}. */
    abstract void put(int index, byte[] value);

    abstract void remove(int index);

    void close() {
    }

    static final class Jrcu extends BytesMapPeer {
        private final RcuBytesMap map;

        Jrcu(Rcu rcu, byte[][] keys, int capacity) {
            super(keys);
            this.map = RcuBytesMap.builder(rcu).initialCapacity(capacity).build();
        }

        @Override
        int get(int index, byte[] dst) {
            return map.get(keys[index], dst);
        }

        @Override
        void put(int index, byte[] value) {
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

    static final class Ohc extends BytesMapPeer {
        private final OHCache<byte[], byte[]> map;

        Ohc(byte[][] keys, int capacity) {
            super(keys);
            this.map = OHCacheBuilder.<byte[], byte[]>newBuilder().keySerializer(new Raw())
                    .valueSerializer(new Raw()).capacity(512L * capacity + (64L << 20)).hashTableSize(capacity / 8)
                    .throwOOME(true).build();
        }

        @Override
        int get(int index, byte[] dst) {
            try (DirectValueAccess v = map.getDirect(keys[index])) {
                if (v == null) {
                    return -1;
                }
                ByteBuffer b = v.buffer();
                int n = b.remaining();
                b.get(dst, 0, Math.min(n, dst.length));
                return n;
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        void put(int index, byte[] value) {
            map.put(keys[index], value);
        }

        @Override
        void remove(int index) {
            map.remove(keys[index]);
        }

        @Override
        void close() {
            try {
                map.close();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        }

        /** The bytes as they are: the serialized size is the array's length. */
        static final class Raw implements CacheSerializer<byte[]> {
            @Override
            public void serialize(byte[] value, ByteBuffer buf) {
                buf.put(value);
            }

            @Override
            public byte[] deserialize(ByteBuffer buf) {
                byte[] v = new byte[buf.remaining()];
                buf.get(v);
                return v;
            }

            @Override
            public int serializedSize(byte[] value) {
                return value.length;
            }
        }
    }

    static final class Chronicle extends BytesMapPeer {
        private final ChronicleMap<byte[], byte[]> map;

        Chronicle(byte[][] keys, int capacity) {
            super(keys);
            this.map = ChronicleMap.of(byte[].class, byte[].class).name("bench").entries(capacity)
                    .constantKeySizeBySample(new byte[KEY_BYTES]).constantValueSizeBySample(new byte[VALUE_BYTES])
                    .create();
        }

        @Override
        int get(int index, byte[] dst) {
            byte[] v = map.getUsing(keys[index], dst);
            if (v == null) {
                return -1;
            }
            if (v != dst) {
                System.arraycopy(v, 0, dst, 0, Math.min(v.length, dst.length));
            }
            return v.length;
        }

        @Override
        void put(int index, byte[] value) {
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

    static final class Chm extends BytesMapPeer {
        private final ConcurrentHashMap<ByteBuffer, byte[]> map;
        private final ByteBuffer[] wrapped;

        Chm(byte[][] keys, int capacity) {
            super(keys);
            this.map = new ConcurrentHashMap<>(capacity);
            this.wrapped = new ByteBuffer[keys.length];
            for (int i = 0; i < keys.length; i++) {
                wrapped[i] = ByteBuffer.wrap(keys[i]);
            }
        }

        @Override
        int get(int index, byte[] dst) {
            byte[] v = map.get(wrapped[index]);
            if (v == null) {
                return -1;
            }
            System.arraycopy(v, 0, dst, 0, Math.min(v.length, dst.length));
            return v.length;
        }

        @Override
        void put(int index, byte[] value) {
            map.put(wrapped[index], value.clone());
        }

        @Override
        void remove(int index) {
            map.remove(wrapped[index]);
        }
    }
}
