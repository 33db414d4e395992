package io.jrcu.bench;

import io.jrcu.QsbrRcu;
import io.jrcu.ReadSection;
import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.RcuReference;
import org.openjdk.jmh.infra.Blackhole;

import java.util.function.LongSupplier;

/**
 * The jrcu flavors as a JMH {@code @Param}: {@code -p flavor=memb,qsbr,bp}. The constants are spelled as liburcu
 * names its flavors, so that JMH tables and the liburcu anchor ({@code ../shared/anchors/run-liburcu.sh}) line up.
 *
 * <p>Besides building a domain, a flavor knows how a benchmark reader thread keeps its contract: memb registers on
 * first use, bp needs nothing, and a QSBR reader must report quiescent states and must be offline whenever it stops
 * running sections: at the end of an iteration JMH holds each thread at a latch until every thread of the benchmark
 * has finished its last invocation, and a writer's last {@code barrier()} would wait forever for an online reader.
 */
public enum Flavor {
    memb {
        @Override
        Rcu newDomain() {
            return Rcu.memb();
        }
    },
    qsbr {
        @Override
        Rcu newDomain() {
            return Rcu.qsbr();
        }

        @Override
        RcuReader registerReader(Rcu rcu) {
            QsbrRcu domain = (QsbrRcu) rcu;
            domain.registerThread();
            QsbrRcu.Reader reader = domain.reader();
            reader.offline();  // online only while readSections runs
            return reader;
        }

        /** Online for the whole batch, a quiescent state every 64 sections (as liburcu's busy reader), then offline. */
        @Override
        long readSections(RcuReader handle, int count, LongSupplier body) {
            QsbrRcu.Reader reader = (QsbrRcu.Reader) handle;
            long sum = 0;
            reader.online();
            try {
                for (int i = 1; i <= count; i++) {
                    try (ReadSection s = reader.read()) {
                        sum += body.getAsLong();
                    }
                    if ((i & 63) == 0) {
                        reader.quiescent();
                    }
                }
            } finally {
                reader.offline();
            }
            return sum;
        }
    },
    bp {
        @Override
        Rcu newDomain() {
            return Rcu.bulletProof();
        }
    };

    /** A new domain of this flavor with default settings; the caller closes it. */
    abstract Rcu newDomain();

    /** Makes the calling thread a reader of {@code rcu} and returns its kept handle. */
    RcuReader registerReader(Rcu rcu) {
        rcu.registerThread();
        return rcu.reader();
    }

    /** Runs {@code count} read sections through {@code reader}, each loading {@code data} into the blackhole. */
    final void readSections(RcuReader reader, RcuReference<?> data, int count, Blackhole blackhole) {
        readSections(reader, count, () -> {
            blackhole.consume(data.get());
            return 0;
        });
    }

    /**
     * Runs {@code count} read sections through {@code reader} (the calling thread's, from {@link #registerReader}),
     * each running {@code body}, and returns the sum of what {@code body} returned: the caller's defence against
     * dead-code elimination when it has no blackhole (a background reader thread).
     */
    long readSections(RcuReader reader, int count, LongSupplier body) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            try (ReadSection s = reader.read()) {
                sum += body.getAsLong();
            }
        }
        return sum;
    }

    /** Undoes {@link #registerReader}; harmless once the domain is closed. */
    void unregisterReader(Rcu rcu) {
        rcu.unregisterThread();
    }
}
