package io.jrcu.map;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;

/**
 * {@link RcuLongMap#asMap()}: the map as a {@code ConcurrentMap<Long, Long>}. Every call is one call of the map (the
 * map's contract: threads, blocking, misuse); null stands for the missing value; null keys and values throw
 * {@link NullPointerException} as in {@link java.util.concurrent.ConcurrentHashMap}. Iterators walk a copy of the
 * entries the map's {@code forEach} took when they were created (weakly consistent); their {@code remove} and their
 * entries' {@code setValue} write through.
 */
final class RcuLongMapView extends AbstractMap<Long, Long> implements ConcurrentMap<Long, Long> {

    private final RcuLongMap map;
    private final long missing;

    RcuLongMapView(RcuLongMap map) {
        this.map = map;
        this.missing = map.missingValue();
    }

    private Long box(long value) {
        return value == missing ? null : value;
    }

    @Override
    public Long get(Object key) {
        Objects.requireNonNull(key, "key");
        return key instanceof Long k ? box(map.get(k)) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        Objects.requireNonNull(key, "key");
        return key instanceof Long k && map.containsKey(k);
    }

    @Override
    public boolean containsValue(Object value) {
        Objects.requireNonNull(value, "value");
        return super.containsValue(value);
    }

    @Override
    public Long put(Long key, Long value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        return box(map.put(key, value));
    }

    @Override
    public Long putIfAbsent(Long key, Long value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        return box(map.putIfAbsent(key, value));
    }

    @Override
    public Long remove(Object key) {
        Objects.requireNonNull(key, "key");
        return key instanceof Long k ? box(map.remove(k)) : null;
    }

    @Override
    public boolean remove(Object key, Object value) {
        Objects.requireNonNull(key, "key");
        return key instanceof Long k && value instanceof Long v && map.remove(k, v);
    }

    @Override
    public Long replace(Long key, Long value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        return box(map.replace(key, value));
    }

    @Override
    public boolean replace(Long key, Long oldValue, Long newValue) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(oldValue, "oldValue");
        Objects.requireNonNull(newValue, "newValue");
        return map.replace(key, oldValue, newValue);
    }

    @Override
    public int size() {
        return (int) Math.min(Integer.MAX_VALUE, map.size());
    }

    @Override
    public boolean isEmpty() {
        return map.isEmpty();
    }

    @Override
    public void clear() {
        map.clear();
    }

    @Override
    public Set<Entry<Long, Long>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<Long, Long>> iterator() {
                return new CopyIterator();
            }

            @Override
            public int size() {
                return RcuLongMapView.this.size();
            }

            @Override
            public boolean isEmpty() {
                return RcuLongMapView.this.isEmpty();
            }

            @Override
            public void clear() {
                map.clear();
            }

            @Override
            public boolean contains(Object o) {
                return o instanceof Entry<?, ?> e && e.getKey() instanceof Long k && e.getValue() instanceof Long v
                        && map.get(k) == v;
            }

            @Override
            public boolean remove(Object o) {
                return o instanceof Entry<?, ?> e && e.getKey() instanceof Long k && e.getValue() instanceof Long v
                        && map.remove(k, v);
            }
        };
    }

    /** Walks the entries forEach copied; remove and setValue write through. */
    private final class CopyIterator implements Iterator<Entry<Long, Long>> {
        private final List<WriteThroughEntry> entries = new ArrayList<>();
        private int next;
        private WriteThroughEntry last;

        CopyIterator() {
            map.forEach((k, v) -> entries.add(new WriteThroughEntry(k, v)));
        }

        @Override
        public boolean hasNext() {
            return next < entries.size();
        }

        @Override
        public Entry<Long, Long> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            last = entries.get(next++);
            return last;
        }

        @Override
        public void remove() {
            if (last == null) {
                throw new IllegalStateException("no entry to remove: next() not called, or remove() called twice");
            }
            map.remove(last.getKey());
            last = null;
        }
    }

    /** An entry of an iterator's copy; setValue stores into the map. */
    private final class WriteThroughEntry extends SimpleEntry<Long, Long> {
        WriteThroughEntry(long key, long value) {
            super(key, value);
        }

        @Override
        public Long setValue(Long value) {
            Objects.requireNonNull(value, "value");
            map.put(getKey(), value);
            return super.setValue(value);
        }
    }
}
