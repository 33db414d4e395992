package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

class BenchPlanTest {

    private static final List<String> IMPLS = List.of("volatileRead", "membHandle", "membImplicit", "qsbrHandle",
            "qsbrImplicit", "bpHandle", "bpImplicit", "bpToken", "rwLock", "stampedRead", "stampedOptimistic",
            "refCount", "arenaShared", "opOrder");
    private static final List<String> FLAVORS = List.of("memb", "qsbr", "bp");
    private static final List<String> MAPS = List.of("jrcuGet", "jrcuReader", "chm", "agronaStamped", "agronaRwLock",
            "ceiling");
    private static final List<String> ENTRIES = List.of("1000000", "10000000");
    private static final List<String> BYTES_MAPS = List.of("jrcu", "ohc", "chronicle", "chm");
    private static final List<String> CONFIGS = List.of("membAsymmetric", "membFull", "qsbr", "bp");

    /** The benchmarks of the contract, as the jar lists them. */
    private static List<BenchPlan.Available> contractBenchmarks() {
        return List.of(
                new BenchPlan.Available("ReadSide.read", Map.of("impl", IMPLS)),
                new BenchPlan.Available("ReadSide.readPolymorphic", Map.of("impl", IMPLS)),
                new BenchPlan.Available("ReadSide.readVirtual", Map.of("impl", IMPLS)),
                new BenchPlan.Available("ReadSide.updated", Map.of("impl", IMPLS)),
                new BenchPlan.Available("GracePeriod.synchronize",
                        Map.of("flavor", FLAVORS, "readers", List.of("none", "busy", "idle1000"))),
                new BenchPlan.Available("GracePeriodVirtual.synchronize", Map.of()),
                new BenchPlan.Available("GracePeriodPeers.arenaClose", Map.of()),
                new BenchPlan.Available("GracePeriodPeers.opOrderBarrier", Map.of()),
                new BenchPlan.Available("Reclamation.deferQueue", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("Reclamation.rcuArena", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("Reclamation.sharedArena", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("Reclamation.malloc", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("ReclamationScaling.rcuArena", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("ReclamationScaling.malloc", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("CallLatency.callToInvocation", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("CallbackThroughput.intrusive", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("CallbackThroughput.lambda", Map.of("flavor", FLAVORS)),
                new BenchPlan.Available("QsbrQuiescent.volatileRead", Map.of()),
                new BenchPlan.Available("QsbrQuiescent.online", Map.of("quiescentEvery", List.of("1", "16", "1024"))),
                new BenchPlan.Available("Workload.readMostly", Map.of("config", CONFIGS)),
                new BenchPlan.Available("Workload.updateHeavy", Map.of("config", CONFIGS)),
                new BenchPlan.Available("Workload.reclaiming", Map.of("config", CONFIGS)),
                new BenchPlan.Available("MapLookup.read", Map.of("impl", MAPS, "entries", ENTRIES)),
                new BenchPlan.Available("MapLookup.readWithWriter", Map.of("impl", MAPS, "entries", ENTRIES)),
                new BenchPlan.Available("MapWrite.putRemove", Map.of("impl", MAPS.subList(1, 5),
                        "entries", List.of("1000000"))),
                new BenchPlan.Available("BytesMapLookup.read", Map.of("impl", BYTES_MAPS,
                        "entries", List.of("1000000"))),
                new BenchPlan.Available("BytesMapLookup.readWithWriter", Map.of("impl", BYTES_MAPS,
                        "entries", List.of("1000000"))),
                new BenchPlan.Available("BytesMapWrite.putRemove", Map.of("impl", BYTES_MAPS,
                        "entries", List.of("1000000"))));
    }

    @Test
    void curatedPlanIsSixtyFiveForksWithinEightMinutes() {
        BenchPlan plan = BenchPlan.curated(BenchPlan.Timing.CURATED);
        List<String> missing = new ArrayList<>();

        List<BenchPlan.Resolved> steps = plan.resolve(contractBenchmarks(), Optional.empty(), missing);

        assertThat(missing).isEmpty();
        assertThat(steps).extracting(BenchPlan.Resolved::forks)
                .containsExactly(9, 9, 4, 1, 1, 3, 2, 3, 4, 2, 2, 1, 3, 1, 12, 6, 2);
        // 53 forks of 2 + 3 iterations of 1 s and a 2 s start; the workloads' 12 brief ones, of 1 + 2
        assertThat(plan.estimate(steps)).isEqualTo(Duration.ofSeconds(53 * 7 + 12 * 5))
                .isLessThan(Duration.ofMinutes(8).minus(LiburcuPeer.estimate(BenchPlan.Timing.CURATED)));
        // the maps (10 M entries, 3 maps, 2 cases) stay within the 3 minutes they may add
        assertThat(plan.estimate(steps.get(steps.size() - 2).forks())).isLessThan(Duration.ofMinutes(3));
        // the workload table (3 workloads, 4 configurations, brief forks) within about a minute
        assertThat(plan.estimate(List.of(steps.get(steps.size() - 3)))).isLessThanOrEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void aBriefStepRunsOneWarmUpAndAtMostTwoMeasuredIterations() {
        BenchPlan.Step brief = new BenchPlan.Step("Workload\\..*", Map.of(), 0, false, List.of(), true);
        BenchPlan.Resolved resolved = new BenchPlan.Resolved(brief, List.of("Workload.reclaiming"), 4);

        assertThat(resolved.timing(BenchPlan.Timing.CURATED)).isEqualTo(new BenchPlan.Timing(1, Duration.ofSeconds(1),
                2, Duration.ofSeconds(1), Duration.ofSeconds(2)));
        assertThat(resolved.timing(BenchPlan.Timing.QUICK)).isEqualTo(BenchPlan.Timing.QUICK);
        assertThat(new BenchPlan(List.of(brief), BenchPlan.Timing.CURATED).estimate(List.of(resolved)))
                .isEqualTo(Duration.ofSeconds(4 * 5));
    }

    @Test
    void stepsWhoseBenchmarksAreNotInTheJarAreReportedMissing() {
        List<String> missing = new ArrayList<>();

        List<BenchPlan.Resolved> steps = BenchPlan.curated(BenchPlan.Timing.QUICK)
                .resolve(List.of(contractBenchmarks().get(0)), Optional.empty(), missing);

        assertThat(steps).hasSize(2);
        assertThat(missing).contains("GracePeriod.synchronize", "CallbackThroughput.intrusive");
    }

    @Test
    void onlyNarrowsEachStepToTheBenchmarksItFinds() {
        List<BenchPlan.Resolved> steps = BenchPlan.curated(BenchPlan.Timing.QUICK)
                .resolve(contractBenchmarks(), Optional.of(Pattern.compile("Reclamation\\.(rcuArena|malloc)")),
                        new ArrayList<>());

        assertThat(steps).extracting(BenchPlan.Resolved::benchmarks).containsExactly(
                List.of("Reclamation.rcuArena", "Reclamation.malloc"),
                List.of("Reclamation.rcuArena", "Reclamation.malloc"),
                List.of("Reclamation.rcuArena"));
        assertThat(steps.get(0).includeRegex()).isEqualTo(
                "^(?:\\Qio.jrcu.bench.Reclamation.rcuArena\\E|\\Qio.jrcu.bench.Reclamation.malloc\\E)$");
    }

    @Test
    void fullPlanRunsEveryParameter() {
        List<BenchPlan.Resolved> steps = BenchPlan.full(BenchPlan.Timing.FULL)
                .resolve(contractBenchmarks(), Optional.empty(), new ArrayList<>());

        // every benchmark: 4 × 14 read side + 9 grace periods + 1 + 2 + 4 × 3 + 2 × 3 + 3 + 2 × 3, then the extra
        // steps; the maps: 2 lookup cases x 6 (5 maps and the ceiling) x 2 sizes + 4 writers; the byte maps: 3 cases
        // x 4 maps; the QSBR pattern: 1 + 3; the workloads: 3 x 4
        assertThat(steps.get(0).forks()).isEqualTo(56 + 9 + 1 + 2 + 12 + 6 + 3 + 6 + 24 + 4 + 12 + 4 + 12);
        assertThat(steps).extracting(BenchPlan.Resolved::forks).containsExactly(151, 14, 14, 6, 6);
    }
}
