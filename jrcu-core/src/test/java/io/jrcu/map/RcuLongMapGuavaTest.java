package io.jrcu.map;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.SampleElements;
import com.google.common.collect.testing.TestMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import io.jrcu.Rcu;
import io.jrcu.TestFlavor;
import junit.framework.Test;
import junit.framework.TestSuite;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test suite nobody here wrote: Guava's {@code ConcurrentMapTestSuiteBuilder} over {@link RcuLongMap#asMap()}, for
 * memb and bulletProof (their lookups need no registered thread; the suite runs on JUnit's thread), run by the JUnit
 * vintage engine. Every map the suite creates is closed in its tear-down; the domains live for the run.
 */
public class RcuLongMapGuavaTest {

    /** The JUnit 3 suite the vintage engine runs. */
    public static Test suite() {
        TestSuite suite = new TestSuite("RcuLongMap.asMap()");
        suite.addTest(suiteFor(TestFlavor.MEMB));
        suite.addTest(suiteFor(TestFlavor.BULLET_PROOF));
        return suite;
    }

    private static Test suiteFor(TestFlavor flavor) {
        Generator generator = new Generator(flavor.build(b -> b.name("guava-" + flavor)));
        return ConcurrentMapTestSuiteBuilder.using(generator)
                .named("RcuLongMap.asMap " + flavor)
                .withFeatures(MapFeature.GENERAL_PURPOSE, CollectionFeature.SUPPORTS_ITERATOR_REMOVE,
                        CollectionSize.ANY)
                .withTearDown(generator::closeMaps)
                .createTestSuite();
    }

    /** Creates views of new maps on one domain and remembers the maps, for the tear-down. */
    static final class Generator implements TestMapGenerator<Long, Long> {
        private final Rcu rcu;
        private final List<RcuLongMap> maps = new ArrayList<>();

        Generator(Rcu rcu) {
            this.rcu = rcu;
        }

        void closeMaps() {
            synchronized (maps) {
                maps.forEach(RcuLongMap::close);
                maps.clear();
            }
        }

        @Override
        public SampleElements<Map.Entry<Long, Long>> samples() {
            return new SampleElements<>(Map.entry(1L, 10L), Map.entry(-2L, 20L), Map.entry(3L, Long.MAX_VALUE),
                    Map.entry(RcuLongMapTest.RESERVED_KEYS[0], -40L), Map.entry(0L, 0L));
        }

        @Override
        public Map<Long, Long> create(Object... entries) {
            RcuLongMap map = RcuLongMap.create(rcu);
            synchronized (maps) {
                maps.add(map);
            }
            Map<Long, Long> view = map.asMap();
            for (Object o : entries) {
                @SuppressWarnings("unchecked")
                Map.Entry<Long, Long> e = (Map.Entry<Long, Long>) o;
                view.put(e.getKey(), e.getValue());
            }
            return view;
        }

        @SuppressWarnings("unchecked")
        @Override
        public Map.Entry<Long, Long>[] createArray(int length) {
            return new Map.Entry[length];
        }

        @Override
        public Iterable<Map.Entry<Long, Long>> order(List<Map.Entry<Long, Long>> insertionOrder) {
            return insertionOrder;
        }

        @Override
        public Long[] createKeyArray(int length) {
            return new Long[length];
        }

        @Override
        public Long[] createValueArray(int length) {
            return new Long[length];
        }
    }
}
