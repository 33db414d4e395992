package io.jrcu.bench;

import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuReader;
import io.jrcu.RcuReference;
import io.jrcu.ReadSection;
import io.jrcu.testkit.Flavor;
import org.openjdk.jmh.infra.Blackhole;

import java.util.function.LongSupplier;

/**
 * How a benchmark's reader thread of any flavor keeps its contract, built on {@link Flavor}'s reader calls: it
 * registers ahead of its first section (memb registers, QSBR registers, bp needs nothing), runs sections in batches,
 * and unregisters at the end. A QSBR reader reports quiescent states and is offline whenever it stops running
 * sections: at the end of an iteration JMH holds each thread at a latch until every thread of the benchmark has
 * finished its last invocation, and a writer's last {@code barrier()} would wait forever for an online reader.
 */
final class BenchReaders {

    private BenchReaders() {
    }

    /** Makes the calling thread a reader of {@code rcu} and returns its kept handle (QSBR: offline until a batch). */
    static RcuReader register(Rcu rcu) {
        Flavor flavor = Flavor.of(rcu);
        flavor.becomeReader(rcu);
        RcuReader handle = rcu.reader();
        flavor.pause(rcu);  // QSBR: online only while readSections runs
        return handle;
    }

    /** Runs {@code count} read sections through {@code reader}, each loading {@code data} into the blackhole. */
    static void readSections(RcuReader reader, RcuReference<?> data, int count, Blackhole blackhole) {
        readSections(reader, count, () -> {
            blackhole.consume(data.get());
            return 0;
        });
    }

    /**
     * Runs {@code count} read sections through {@code reader} (the calling thread's, from {@link #register}), each
     * running {@code body}, and returns the sum of what {@code body} returned: the caller's defence against dead-code
     * elimination when it has no blackhole (a background reader thread). QSBR: online for the whole batch, a quiescent
     * state every 64 sections (as liburcu's busy reader), then offline.
     */
    static long readSections(RcuReader reader, int count, LongSupplier body) {
        if (reader instanceof QsbrRcu.Reader qsbr) {
            return readSectionsOnline(qsbr, count, body);
        }
        long sum = 0;
        for (int i = 0; i < count; i++) {
            try (ReadSection s = reader.read()) {
                sum += body.getAsLong();
            }
        }
        return sum;
    }

    private static long readSectionsOnline(QsbrRcu.Reader reader, int count, LongSupplier body) {
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

    /** Undoes {@link #register}; harmless once the domain is closed. */
    static void unregister(Rcu rcu) {
        Flavor.of(rcu).leaveReader(rcu);
    }
}
