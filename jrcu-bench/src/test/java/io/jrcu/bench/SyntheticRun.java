package io.jrcu.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Made-up figures of a whole curated run with liburcu, shaped like the real ones (no timing is measured here). */
final class SyntheticRun {

    private SyntheticRun() {
    }

    static Measurement read(String impl, int threads, double nanos) {
        return Measurement.time("ReadSide.read", Map.of("impl", impl), threads, nanos).withAllocation(0.0001);
    }

    static List<Measurement> figures() {
        List<Measurement> m = new ArrayList<>();
        m.add(read("volatileRead", 1, 0.5));
        m.add(read("qsbrHandle", 1, 0.75));      // 1.5× the limit: met (≤ 2×)
        m.add(read("membHandle", 1, 3.0));       // 6×: missed (≤ 5×)
        m.add(read("bpHandle", 1, 5.0));         // 10×: met (≤ 12×)
        m.add(read("rwLock", 1, 7.0));
        m.add(read("volatileRead", 2, 0.5));
        m.add(read("membHandle", 2, 1.0));
        m.add(read("rwLock", 2, 150.0));         // 150×: met (≥ 30×)
        m.add(read("refCount", 2, 35.0));        // 35×: met
        m.add(read("opOrder", 2, 8.0));          // 8×: missed (≥ 10×)
        m.add(Measurement.sampled("GracePeriod.synchronize", Map.of("flavor", "memb", "readers", "busy"), 1,
                2_000, 1_000, 9_000));
        m.add(Measurement.sampled("GracePeriodPeers.opOrderBarrier", Map.of(), 1, 4_000, 3_900, 20_000));
        m.add(Measurement.sampled("GracePeriodPeers.arenaClose", Map.of(), 1, 80_000, 70_000, 200_000));
        m.add(Measurement.throughput("CallbackThroughput.intrusive", Map.of("flavor", "memb"), 1, 30e6));
        m.add(Measurement.time("Reclamation.rcuArena", Map.of("flavor", "memb"), 1, 40));
        m.add(Measurement.time("Reclamation.sharedArena", Map.of("flavor", "memb"), 1, 70_000));
        m.add(Measurement.time("Reclamation.malloc", Map.of("flavor", "memb"), 1, 25));
        m.addAll(LiburcuPeer.parse(List.of(
                "liburcu metric=read_pair flavor=memb threads=1 mode=avgt score=1.2 unit=ns/op",
                "liburcu metric=synchronize flavor=memb threads=1 readers=busy mode=sample score=12.0 p50=10.0 "
                        + "p99=30.0 unit=us/op",
                "liburcu metric=call_batch flavor=memb threads=1 mode=thrpt score=1.0e6 unit=ops/s",
                "liburcu metric=call_bulk flavor=memb threads=1 mode=thrpt score=2.3e7 unit=ops/s")));
        return m;
    }
}
