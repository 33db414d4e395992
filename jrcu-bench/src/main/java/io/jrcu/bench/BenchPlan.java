package io.jrcu.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What {@code bin/jrcu bench} runs: a list of JMH runs ({@link Step}s) and the iteration lengths of every fork
 * ({@link Timing}), with the time it will take. The curated plan covers every target row of issue 5 in about
 * four minutes on 2 cores, and RcuLongMap's lookups at 10 M entries against ConcurrentHashMap and Agrona (issue
 * 13: six forks, about two minutes more, most of it filling the maps), RcuBytesMap's copy-out lookups against
 * OHC's (issue 14: two forks), QSBR as DPDK uses it (issue 15: four forks) and the "which configuration for which
 * workload" table (issue 15: twelve brief forks, about a minute); {@code --full} runs everything.
 *
 * @param steps  the JMH runs, in order
 * @param timing warm-up and measurement of every fork
 */
public record BenchPlan(List<Step> steps, Timing timing) {

    /** Package of the benchmarks; a benchmark's short name ({@code ReadSide.read}) is its name without it. */
    static final String PACKAGE = "io.jrcu.bench.";

    /**
     * The read-side implementations of the curated run: the limit, the kept handles, bulletProof's token section,
     * and the four peers.
     */
    static final List<String> CURATED_READ_IMPLS = List.of("volatileRead", "membHandle", "qsbrHandle", "bpHandle",
            "bpToken", "rwLock", "stampedRead", "refCount", "opOrder");
    static final List<String> FLAVORS = List.of("memb", "qsbr", "bp");
    /** The maps of the curated run: RcuLongMap.get(key), ConcurrentHashMap, Agrona under StampedLock. */
    static final List<String> CURATED_MAP_IMPLS = List.of("jrcuGet", "chm", "agronaStamped");
    /** The byte maps of the curated run: one line each for RcuBytesMap and OHC. */
    static final List<String> CURATED_BYTES_MAP_IMPLS = List.of("jrcu", "ohc");

    /**
     * One JMH run: every benchmark whose short name matches {@code benchmarks}, with {@code params} overriding the
     * annotations' parameter values and {@code threads} the measuring threads (0: the annotation's).
     *
     * @param benchmarks  regular expression over the whole short name ({@code ReadSide.read})
     * @param params      {@code @Param} values to run (others keep their annotated values)
     * @param threads     JMH {@code -t}, 0 to keep the annotation
     * @param gcProfiler  attach JMH's GC profiler (allocation per operation)
     * @param jvmArgs     extra flags for the forked JVM
     * @param brief       fewer iterations than the plan's ({@link Timing#brief()}): for steps of many forks
     */
    public record Step(String benchmarks, Map<String, List<String>> params, int threads, boolean gcProfiler,
                       List<String> jvmArgs, boolean brief) {
        public Step {
            params = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(params));
            jvmArgs = List.copyOf(jvmArgs);
        }

        /** A step with the plan's iterations. */
        public Step(String benchmarks, Map<String, List<String>> params, int threads, boolean gcProfiler,
                    List<String> jvmArgs) {
            this(benchmarks, params, threads, gcProfiler, jvmArgs, false);
        }

        boolean matches(String shortName) {
            return Pattern.compile("(?:" + benchmarks + ")").matcher(shortName).matches();
        }
    }

    /**
     * Iterations of each fork.
     *
     * @param forkOverhead what a fork costs besides its iterations: JVM start, JMH set-up, trial set-up
     */
    public record Timing(int warmupIterations, Duration warmupTime, int measurementIterations,
                         Duration measurementTime, Duration forkOverhead) {
        /** The default run: 2 × 1 s warm-up, 3 × 1 s measured. */
        static final Timing CURATED = new Timing(2, Duration.ofSeconds(1), 3, Duration.ofSeconds(1),
                Duration.ofSeconds(2));
        /** {@code --full}: 3 × 1 s warm-up, 5 × 2 s measured. */
        static final Timing FULL = new Timing(3, Duration.ofSeconds(1), 5, Duration.ofSeconds(2),
                Duration.ofSeconds(2));
        /** {@code --quick}: one 100 ms warm-up and one 100 ms measured iteration. */
        static final Timing QUICK = new Timing(1, Duration.ofMillis(100), 1, Duration.ofMillis(100),
                Duration.ofMillis(1500));

        /** One warm-up and at most two measured iterations, never more than this timing's: {@link Step#brief}. */
        public Timing brief() {
            return new Timing(Math.min(warmupIterations, 1), warmupTime, Math.min(measurementIterations, 2),
                    measurementTime, forkOverhead);
        }

        /** Wall time of one fork. */
        public Duration perFork() {
            return warmupTime.multipliedBy(warmupIterations).plus(measurementTime.multipliedBy(measurementIterations))
                    .plus(forkOverhead);
        }
    }

    /**
     * A benchmark the jar holds, as far as planning needs it.
     *
     * @param shortName    {@code ReadSide.read}
     * @param paramValues  each {@code @Param}'s annotated values (an empty list counts as one value)
     */
    public record Available(String shortName, Map<String, List<String>> paramValues) {
    }

    /**
     * A step narrowed to the benchmarks that exist and pass {@code --only}.
     *
     * @param benchmarks short names to run
     * @param forks      how many forks (benchmark × parameter combinations) JMH will start
     */
    public record Resolved(Step step, List<String> benchmarks, int forks) {
        /** The iterations of this step's forks under the plan's {@code timing}. */
        public Timing timing(Timing timing) {
            return step.brief() ? timing.brief() : timing;
        }

        /** JMH include regex selecting exactly {@link #benchmarks}. */
        public String includeRegex() {
            StringBuilder b = new StringBuilder("^(?:");
            for (int i = 0; i < benchmarks.size(); i++) {
                b.append(i == 0 ? "" : "|").append(Pattern.quote(PACKAGE + benchmarks.get(i)));
            }
            return b.append(")$").toString();
        }
    }

    /** The default run; see {@link BenchMain} for what each figure is compared with. */
    public static BenchPlan curated(Timing timing) {
        return new BenchPlan(List.of(
                new Step("ReadSide\\.read", Map.of("impl", CURATED_READ_IMPLS), 1, true, List.of()),
                new Step("ReadSide\\.read", Map.of("impl", CURATED_READ_IMPLS), 2, true, List.of()),
                // QSBR as DPDK uses it: no section, a quiescent state every 1, 16, 1024 reads, and its limit
                new Step("QsbrQuiescent\\.(volatileRead|online)", Map.of(), 1, false, List.of()),
                // a bulletProof section on a virtual thread
                new Step("ReadSide\\.readVirtual", Map.of("impl", List.of("bpImplicit")), 1, true, List.of()),
                new Step("ReadSide\\.readVirtual", Map.of("impl", List.of("bpImplicit")), 2, true, List.of()),
                new Step("GracePeriod\\.synchronize", Map.of("flavor", FLAVORS, "readers", List.of("busy")), 1,
                        false, List.of()),
                new Step("GracePeriodPeers\\.(arenaClose|opOrderBarrier)", Map.of(), 1, false, List.of()),
                new Step("CallbackThroughput\\.intrusive", Map.of("flavor", FLAVORS), 1, false, List.of()),
                new Step("Reclamation\\.(deferQueue|rcuArena|sharedArena|malloc)", Map.of("flavor", List.of("memb")),
                        1, false, List.of()),
                new Step("Reclamation\\.(rcuArena|malloc)", Map.of("flavor", List.of("memb")), 2, false, List.of()),
                // the other flavors' arenas (their grace periods are cheap to start, memb's are not), QSBR's queue
                new Step("Reclamation\\.rcuArena", Map.of("flavor", List.of("qsbr", "bp")), 1, false, List.of()),
                new Step("Reclamation\\.deferQueue", Map.of("flavor", List.of("qsbr")), 1, false, List.of()),
                // without the busy reader: does the allocator itself scale to two threads?
                new Step("ReclamationScaling\\.rcuArena", Map.of("flavor", FLAVORS), 2, false, List.of()),
                new Step("ReclamationScaling\\.malloc", Map.of("flavor", List.of("memb")), 2, false, List.of()),
                // which configuration for which workload: memb ASYMMETRIC and FULL, QSBR, bulletProof (WorkloadTable)
                new Step("Workload\\.(readMostly|updateHeavy|reclaiming)", Map.of(), 0, false, List.of(), true),
                // RcuLongMap against ConcurrentHashMap and Agrona at 10 M entries: (a) 2 readers, (b) 1 reader + writer
                new Step("MapLookup\\.(read|readWithWriter)", Map.of("impl", CURATED_MAP_IMPLS,
                        "entries", List.of("10000000")), 0, true, List.of()),
                // RcuBytesMap against OHC, 1 M entries of 100-byte values, 2 readers (the rest under --full)
                new Step("BytesMapLookup\\.read", Map.of("impl", CURATED_BYTES_MAP_IMPLS), 0, true, List.of())),
                timing);
    }

    /**
     * {@code --full}: every benchmark with its annotated parameters and threads, plus the two-thread read side and
     * arena figures, and the megamorphic read call site without escape analysis; allocation measured throughout.
     */
    public static BenchPlan full(Timing timing) {
        return new BenchPlan(List.of(
                new Step(".*", Map.of(), 0, true, List.of()),
                new Step("ReadSide\\.read", Map.of(), 2, true, List.of()),
                new Step("ReadSide\\.readPolymorphic", Map.of(), 0, true, List.of("-XX:-DoEscapeAnalysis")),
                new Step("Reclamation\\.(rcuArena|malloc)", Map.of(), 2, true, List.of()),
                new Step("ReclamationScaling\\.(rcuArena|malloc)", Map.of(), 2, true, List.of())),
                timing);
    }

    /**
     * Narrows every step to the benchmarks in {@code available} (those of the jar) that {@code only} finds, and
     * counts the forks. Steps left with nothing are dropped; their names go to {@code missing}.
     */
    public List<Resolved> resolve(List<Available> available, Optional<Pattern> only, List<String> missing) {
        List<Resolved> resolved = new ArrayList<>();
        for (Step step : steps) {
            List<String> names = new ArrayList<>();
            int forks = 0;
            for (Available a : available) {
                if (!step.matches(a.shortName())) {
                    continue;
                }
                if (only.isPresent() && !only.get().matcher(a.shortName()).find()) {
                    continue;
                }
                names.add(a.shortName());
                int combinations = 1;
                for (Map.Entry<String, List<String>> p : a.paramValues().entrySet()) {
                    List<String> values = step.params().getOrDefault(p.getKey(), p.getValue());
                    combinations *= Math.max(1, values.size());
                }
                forks += combinations;
            }
            if (names.isEmpty()) {
                if (only.isEmpty()) {
                    missing.add(step.benchmarks().replace("\\", ""));
                }
            } else {
                resolved.add(new Resolved(step, List.copyOf(names), forks));
            }
        }
        return resolved;
    }

    /** Wall time of {@code forks} forks with this plan's timing. */
    public Duration estimate(int forks) {
        return timing.perFork().multipliedBy(forks);
    }

    /** Wall time of {@code steps}, each with its own iterations. */
    public Duration estimate(List<Resolved> steps) {
        return steps.stream().map(s -> s.timing(timing).perFork().multipliedBy(s.forks()))
                .reduce(Duration.ZERO, Duration::plus);
    }
}
