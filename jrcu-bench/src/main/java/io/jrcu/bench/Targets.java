package io.jrcu.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The targets of issue 5 ("Targets"), of issue 13 (RcuLongMap's lookups), of issue 14 (RcuBytesMap's) and of issue
 * 15 (QSBR as DPDK uses it; bulletProof's section against memb's and the locks'), each a ratio of two figures of the
 * same run with a bound, evaluated on whatever the run measured: a target whose figures are missing is reported as
 * not measured, never as met.
 */
final class Targets {

    private Targets() {
    }

    enum Status { MET, MISSED, NOT_MEASURED }

    /**
     * One evaluated target.
     *
     * @param observed the ratio (or, for allocation, bytes per operation); NaN when not measured
     * @param detail   how the observed figure was formed, or which figure was missing
     */
    record Result(String description, Status status, double observed, String detail) {
    }

    /** A target: {@code numerator ÷ denominator} at most or at least {@code bound}. */
    record Ratio(String description, String numerator, String denominator, boolean atMost, double bound) {
        Result evaluate(Map<String, Measurement> byId) {
            Measurement n = byId.get(numerator);
            Measurement d = byId.get(denominator);
            if (n == null || d == null) {
                return new Result(description, Status.NOT_MEASURED, Double.NaN,
                        "not measured: " + (n == null ? numerator : denominator));
            }
            double ratio = n.value() / d.value();
            boolean met = atMost ? ratio <= bound : ratio >= bound;
            return new Result(description, met ? Status.MET : Status.MISSED, ratio,
                    String.format(Locale.ROOT, "%s× (%s %s×)", BenchReport.ratio(ratio), atMost ? "≤" : "≥",
                            BenchReport.ratio(bound)));
        }
    }

    private static String read(String impl, int threads) {
        return Measurement.id("ReadSide.read", Map.of("impl", impl), threads);
    }

    private static String synchronize(String flavor) {
        return Measurement.id("GracePeriod.synchronize", Map.of("flavor", flavor, "readers", "busy"), 1);
    }

    /**
     * Allocation per read that counts as 0 B/op: below one 16-byte object per 160 reads. JMH's accounting of the
     * iteration itself (its own objects, divided by the operation count) shows as 10⁻⁴ to 10⁻² B/op on a read
     * path that allocates nothing; one object per read would be 16 B/op or more.
     */
    static final double ZERO_ALLOCATION = 0.1;

    static final List<Ratio> RATIOS = List.of(
            new Ratio("qsbr kept handle ÷ volatile read, 1 thread", read("qsbrHandle", 1), read("volatileRead", 1),
                    true, 2),
            new Ratio("memb kept handle ÷ volatile read, 1 thread", read("membHandle", 1), read("volatileRead", 1),
                    true, 5),
            new Ratio("bulletProof kept handle ÷ volatile read, 1 thread", read("bpHandle", 1),
                    read("volatileRead", 1), true, 12),
            new Ratio("qsbr online, quiescent() every 1,024 reads ÷ volatile read, 1 thread",
                    Measurement.id("QsbrQuiescent.online", Map.of("quiescentEvery", "1024"), 1),
                    Measurement.id("QsbrQuiescent.volatileRead", Map.of(), 1), true, 1.2),
            new Ratio("ReentrantReadWriteLock ÷ memb handle, 2 threads", read("rwLock", 2), read("membHandle", 2),
                    false, 30),
            new Ratio("AtomicInteger refcount ÷ memb handle, 2 threads", read("refCount", 2), read("membHandle", 2),
                    false, 10),
            new Ratio("Cassandra OpOrder ÷ memb handle, 2 threads", read("opOrder", 2), read("membHandle", 2),
                    false, 10),
            new Ratio("OpOrder barrier ÷ memb synchronize(), busy reader, p50",
                    Measurement.id("GracePeriodPeers.opOrderBarrier", Map.of(), 1), synchronize("memb"), false, 2),
            new Ratio("shared Arena close ÷ memb synchronize(), busy reader, p50",
                    Measurement.id("GracePeriodPeers.arenaClose", Map.of(), 1), synchronize("memb"), false, 30),
            new Ratio("liburcu memb synchronize_rcu ÷ jrcu memb synchronize(), busy reader, p50",
                    Measurement.id("liburcu.synchronize", Map.of("flavor", "memb", "readers", "busy"), 1),
                    synchronize("memb"), false, 4),
            new Ratio("jrcu memb intrusive call ÷ liburcu call_rcu (10,000 per barrier), throughput",
                    Measurement.id("CallbackThroughput.intrusive", Map.of("flavor", "memb"), 1),
                    Measurement.id("liburcu.call_batch", Map.of("flavor", "memb"), 1), false, 1),
            new Ratio("jrcu memb intrusive call ÷ liburcu call_rcu (all, one barrier), throughput",
                    Measurement.id("CallbackThroughput.intrusive", Map.of("flavor", "memb"), 1),
                    Measurement.id("liburcu.call_bulk", Map.of("flavor", "memb"), 1), false, 1),
            new Ratio("shared Arena allocate + close ÷ RcuArena allocate + free",
                    Measurement.id("Reclamation.sharedArena", Map.of("flavor", "memb"), 1),
                    Measurement.id("Reclamation.rcuArena", Map.of("flavor", "memb"), 1), false, 100),
            arenaRatio("RcuArena allocate + free ÷ malloc + free, 1 thread", "Reclamation", "memb", 1),
            arenaRatio("RcuArena allocate + free ÷ malloc + free, 2 threads", "Reclamation", "memb", 2),
            arenaRatio("RcuArena (qsbr) allocate + free ÷ malloc + free, 1 thread", "Reclamation", "qsbr", 1),
            arenaRatio("RcuArena (bp) allocate + free ÷ malloc + free, 1 thread", "Reclamation", "bp", 1),
            arenaRatio("RcuArena (memb) ÷ malloc, no reader, 2 threads", "ReclamationScaling", "memb", 2),
            arenaRatio("RcuArena (qsbr) ÷ malloc, no reader, 2 threads", "ReclamationScaling", "qsbr", 2),
            arenaRatio("RcuArena (bp) ÷ malloc, no reader, 2 threads", "ReclamationScaling", "bp", 2),
            mapRatio("RcuLongMap get ÷ ConcurrentHashMap, 10 M entries, 2 readers", "read", "chm", 2),
            mapRatio("RcuLongMap get ÷ ConcurrentHashMap, 10 M entries, 1 reader + writer", "readWithWriter", "chm",
                    1),
            mapRatio("RcuLongMap get ÷ Agrona + StampedLock, 10 M entries, 2 readers", "read", "agronaStamped", 2),
            mapRatio("RcuLongMap get ÷ Agrona + StampedLock, 10 M entries, 1 reader + writer", "readWithWriter",
                    "agronaStamped", 1),
            bytesMapRatio("RcuBytesMap get ÷ OHC getDirect, 1 M entries, 2 readers", "BytesMapLookup.read", "ohc", 2,
                    1),
            bytesMapRatio("RcuBytesMap get ÷ OHC getDirect, 1 M entries, 1 reader + writer",
                    "BytesMapLookup.readWithWriter", "ohc", 1, 1),
            bytesMapRatio("RcuBytesMap get ÷ Chronicle Map getUsing, 1 M entries, 2 readers", "BytesMapLookup.read",
                    "chronicle", 2, 1),
            bytesMapRatio("RcuBytesMap get ÷ ConcurrentHashMap<ByteBuffer, byte[]>, 1 M entries, 2 readers",
                    "BytesMapLookup.read", "chm", 2, 1),
            bytesMapRatio("RcuBytesMap put + remove ÷ OHC's, 1 M entries", "BytesMapWrite.putRemove", "ohc", 1,
                    0.5),
            new Ratio("bulletProof kept handle ÷ memb kept handle, 1 thread", read("bpHandle", 1),
                    read("membHandle", 1), true, 1.5),
            new Ratio("bulletProof kept handle ÷ memb kept handle, 2 threads", read("bpHandle", 2),
                    read("membHandle", 2), true, 1.5),
            new Ratio("StampedLock read lock ÷ bulletProof kept handle, 1 thread", read("stampedRead", 1),
                    read("bpHandle", 1), false, 1),
            new Ratio("ReentrantReadWriteLock ÷ bulletProof kept handle, 1 thread", read("rwLock", 1),
                    read("bpHandle", 1), false, 1),
            new Ratio("AtomicInteger refcount ÷ bulletProof kept handle, 1 thread", read("refCount", 1),
                    read("bpHandle", 1), false, 1),
            new Ratio("Cassandra OpOrder ÷ bulletProof kept handle, 1 thread", read("opOrder", 1),
                    read("bpHandle", 1), false, 1));

    /**
     * {@code benchmarks}' RcuArena of {@code flavor} against its malloc (measured once, in the memb trial: malloc
     * protects no reader), within 2×.
     */
    private static Ratio arenaRatio(String label, String benchmarks, String flavor, int threads) {
        return new Ratio(label, Measurement.id(benchmarks + ".rcuArena", Map.of("flavor", flavor), threads),
                Measurement.id(benchmarks + ".malloc", Map.of("flavor", "memb"), threads), true, 2);
    }

    /**
     * Issue 13: RcuLongMap.get(key)'s lookups per second against a peer's in the same case at 10 M entries, at
     * least 2× ConcurrentHashMap's and above Agrona's.
     */
    private static Ratio mapRatio(String label, String lookup, String peer, int threads) {
        String benchmark = "MapLookup." + lookup;
        return new Ratio(label, Measurement.id(benchmark, Map.of("impl", "jrcuGet", "entries", "10000000"), threads),
                Measurement.id(benchmark, Map.of("impl", peer, "entries", "10000000"), threads), false,
                peer.equals("chm") ? 2 : 1);
    }

    /**
     * Issue 14: RcuBytesMap against a peer in the same case at 1 M entries: lookups above every peer's, put + remove
     * within 2× of OHC's (at least half its throughput).
     */
    private static Ratio bytesMapRatio(String label, String benchmark, String peer, int threads, double bound) {
        return new Ratio(label, Measurement.id(benchmark, Map.of("impl", "jrcu", "entries", "1000000"), threads),
                Measurement.id(benchmark, Map.of("impl", peer, "entries", "1000000"), threads), false, bound);
    }

    /** Every target: the ratios, then 0 B/op on jrcu's read paths. */
    static List<Result> evaluate(Map<String, Measurement> byId) {
        List<Result> results = new java.util.ArrayList<>(RATIOS.stream().map(r -> r.evaluate(byId)).toList());
        results.add(zeroAllocation(byId));
        return results;
    }

    /** 0 B/op on read paths: the largest allocation per read over every jrcu ReadSide figure with GC data. */
    static Result zeroAllocation(Map<String, Measurement> byId) {
        String description = "jrcu read paths allocate 0 B/op (-prof gc)";
        Optional<Measurement> worst = byId.values().stream()
                .filter(m -> m.benchmark().startsWith("ReadSide.") && !Double.isNaN(m.allocBytesPerOp()))
                .filter(m -> FigureCatalog.describe(m).kind() == FigureCatalog.Kind.JRCU)
                .max(java.util.Comparator.comparingDouble(Measurement::allocBytesPerOp));
        if (worst.isEmpty()) {
            return new Result(description, Status.NOT_MEASURED, Double.NaN, "not measured: no read-side GC data");
        }
        Measurement m = worst.get();
        return new Result(description, m.allocBytesPerOp() <= ZERO_ALLOCATION ? Status.MET : Status.MISSED,
                m.allocBytesPerOp(), String.format(Locale.ROOT, "worst %.3g B/op (%s; ≤ %s counts as 0)",
                        m.allocBytesPerOp(), m.id(), ZERO_ALLOCATION));
    }
}
