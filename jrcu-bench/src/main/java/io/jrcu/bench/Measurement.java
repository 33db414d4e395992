package io.jrcu.bench;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One measured figure of {@code bin/jrcu bench}, whatever produced it (a JMH run or the liburcu program), in one
 * unit per kind: a time figure is in nanoseconds per operation, a throughput figure in operations per second.
 *
 * @param benchmark        {@code Class.method} for JMH ({@code ReadSide.read}; a {@code @Group} member is
 *                         {@code Class.group:method}), {@code liburcu.metric} for the C program
 * @param params           the JMH {@code @Param} values (and, for liburcu, the flavor and readers)
 * @param threads          measuring threads (JMH {@code -t}); for a group, the member's threads
 * @param throughput       true for operations per second, false for nanoseconds per operation
 * @param score            the figure in its unit: the mean (JMH's score)
 * @param p50              median in nanoseconds for a sampled figure (JMH SampleTime), else NaN
 * @param p99              99th percentile in nanoseconds for a sampled figure, else NaN
 * @param allocBytesPerOp  JMH {@code -prof gc}'s {@code gc.alloc.rate.norm} in bytes per operation, else NaN
 */
public record Measurement(String benchmark, SortedMap<String, String> params, int threads, boolean throughput,
                          double score, double p50, double p99, double allocBytesPerOp) {

    public Measurement {
        params = Collections.unmodifiableSortedMap(new TreeMap<>(params));
    }

    /** A time figure (ns/op) without percentiles or allocation. */
    public static Measurement time(String benchmark, Map<String, String> params, int threads, double nanosPerOp) {
        return new Measurement(benchmark, new TreeMap<>(params), threads, false, nanosPerOp, Double.NaN, Double.NaN,
                Double.NaN);
    }

    /** A sampled time figure: mean, p50 and p99, all in ns/op. */
    public static Measurement sampled(String benchmark, Map<String, String> params, int threads, double meanNanos,
                                      double p50Nanos, double p99Nanos) {
        return new Measurement(benchmark, new TreeMap<>(params), threads, false, meanNanos, p50Nanos, p99Nanos,
                Double.NaN);
    }

    /** A throughput figure in ops/s. */
    public static Measurement throughput(String benchmark, Map<String, String> params, int threads,
                                         double opsPerSecond) {
        return new Measurement(benchmark, new TreeMap<>(params), threads, true, opsPerSecond, Double.NaN, Double.NaN,
                Double.NaN);
    }

    /** This figure with JMH's allocation per operation attached. */
    public Measurement withAllocation(double bytesPerOp) {
        return new Measurement(benchmark, params, threads, throughput, score, p50, p99, bytesPerOp);
    }

    /**
     * The stable name of this figure, used by the table's catalog, the targets and the summary JSON:
     * {@code "ReadSide.read impl=membHandle t=1"} (parameters sorted by name).
     */
    public String id() {
        return id(benchmark, params, threads);
    }

    /** The id a figure of {@code benchmark} with {@code params} at {@code threads} gets. */
    public static String id(String benchmark, Map<String, String> params, int threads) {
        StringBuilder b = new StringBuilder(benchmark);
        new TreeMap<>(params).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        return b.append(" t=").append(threads).toString();
    }

    /** The figure compared by the table: the median for a sampled figure, the mean otherwise. */
    public double value() {
        return Double.isNaN(p50) ? score : p50;
    }

    /** The figures of one JMH result: one for a plain benchmark, one per member method for a {@code @Group}. */
    public static List<Measurement> fromJmh(RunResult run) {
        return fromJmh(run.getParams(), run.getPrimaryResult(), run.getSecondaryResults());
    }

    /** As {@link #fromJmh(RunResult)}, from the parts JMH hands to an output format after each benchmark. */
    public static List<Measurement> fromJmh(BenchmarkParams bp, Result<?> primary, Map<String, Result> secondary) {
        String fullName = bp.getBenchmark();
        String shortName = fullName.substring(fullName.lastIndexOf('.', fullName.lastIndexOf('.') - 1) + 1);
        SortedMap<String, String> params = new TreeMap<>();
        for (String key : bp.getParamsKeys()) {
            params.put(key, bp.getParam(key));
        }
        double alloc = allocation(secondary);
        boolean sampled = bp.getMode() == Mode.SampleTime;
        List<String> groupMembers = bp.getThreadGroupLabels().stream().toList();
        int[] groupThreads = bp.getThreadGroups();
        List<Measurement> out = new ArrayList<>();
        if (groupThreads.length > 1) {
            for (int i = 0; i < groupMembers.size(); i++) {
                Result<?> member = secondary.get(groupMembers.get(i));
                if (member != null) {
                    out.add(convert(shortName + ":" + groupMembers.get(i), params, groupThreads[i], member, sampled,
                            alloc));
                }
            }
        } else {
            out.add(convert(shortName, params, bp.getThreads(), primary, sampled, alloc));
        }
        return out;
    }

    private static double allocation(Map<String, Result> secondary) {
        Result<?> norm = secondary.get("gc.alloc.rate.norm");
        return norm == null ? Double.NaN : norm.getScore();
    }

    private static Measurement convert(String benchmark, SortedMap<String, String> params, int threads,
                                       Result<?> result, boolean sampled, double alloc) {
        String unit = result.getScoreUnit();
        if (isThroughputUnit(unit)) {
            return new Measurement(benchmark, params, threads, true, toOpsPerSecond(result.getScore(), unit),
                    Double.NaN, Double.NaN, alloc);
        }
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        if (sampled && result.getStatistics().getN() > 0) {
            p50 = toNanosPerOp(result.getStatistics().getPercentile(50.0), unit);
            p99 = toNanosPerOp(result.getStatistics().getPercentile(99.0), unit);
        }
        return new Measurement(benchmark, params, threads, false, toNanosPerOp(result.getScore(), unit), p50, p99,
                alloc);
    }

    /** True for JMH's {@code ops/<time unit>}, false for {@code <time unit>/op}. */
    static boolean isThroughputUnit(String unit) {
        return unit.startsWith("ops/");
    }

    /** {@code score} in {@code <time unit>/op} (JMH's spelling: ns, us, ms, s, min, hr, day) as ns/op. */
    static double toNanosPerOp(double score, String unit) {
        if (!unit.endsWith("/op")) {
            throw new IllegalArgumentException("not a time per operation: " + unit);
        }
        return score * nanosIn(unit.substring(0, unit.length() - 3));
    }

    /** {@code score} in {@code ops/<time unit>} as ops/s. */
    static double toOpsPerSecond(double score, String unit) {
        if (!isThroughputUnit(unit)) {
            throw new IllegalArgumentException("not operations per time: " + unit);
        }
        return score / nanosIn(unit.substring(4)) * 1e9;
    }

    private static double nanosIn(String timeUnit) {
        return switch (timeUnit.toLowerCase(Locale.ROOT)) {
            case "ns" -> 1;
            case "us", "µs" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "min" -> 60e9;
            case "hr" -> 3600e9;
            case "day" -> 86400e9;
            default -> throw new IllegalArgumentException("unknown time unit: " + timeUnit);
        };
    }
}
