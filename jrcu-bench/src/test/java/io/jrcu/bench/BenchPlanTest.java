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
    private static final List<String> MAPS = List.of("jrcuGet", "jrcuReader", "chm", "agronaStamped", "agronaRwLock");
    private static final List<String> ENTRIES = List.of("1000000", "10000000");

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
                new BenchPlan.Available("MapLookup.read", Map.of("impl", MAPS, "entries", ENTRIES)),
                new BenchPlan.Available("MapLookup.readWithWriter", Map.of("impl", MAPS, "entries", ENTRIES)),
                new BenchPlan.Available("MapWrite.putRemove", Map.of("impl", MAPS.subList(1, 5),
                        "entries", List.of("1000000"))));
    }

    @Test
    void curatedPlanIsFortySevenForksWithinEightMinutes() {
        BenchPlan plan = BenchPlan.curated(BenchPlan.Timing.CURATED);
        List<String> missing = new ArrayList<>();

        List<BenchPlan.Resolved> steps = plan.resolve(contractBenchmarks(), Optional.empty(), missing);

        assertThat(missing).isEmpty();
        assertThat(steps).extracting(BenchPlan.Resolved::forks)
                .containsExactly(9, 9, 1, 1, 3, 2, 3, 4, 2, 2, 1, 3, 1, 6);
        int forks = steps.stream().mapToInt(BenchPlan.Resolved::forks).sum();
        assertThat(plan.estimate(forks)).isEqualTo(Duration.ofSeconds(47 * 7))
                .isLessThan(Duration.ofMinutes(8).minus(LiburcuPeer.estimate(BenchPlan.Timing.CURATED)));
        // the maps (10 M entries, 3 maps, 2 cases) stay within the 3 minutes they may add
        assertThat(plan.estimate(steps.getLast().forks())).isLessThan(Duration.ofMinutes(3));
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
        // steps; the maps: 2 lookup cases x 5 maps x 2 sizes + 4 writers
        assertThat(steps.get(0).forks()).isEqualTo(56 + 9 + 1 + 2 + 12 + 6 + 3 + 6 + 20 + 4);
        assertThat(steps).extracting(BenchPlan.Resolved::forks).containsExactly(119, 14, 14, 6, 6);
    }
}
