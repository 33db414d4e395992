package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class BenchReportTest {

    private final BenchReport report = BenchReport.of(SyntheticRun.figures());

    private BenchReport.Row row(String id) {
        return report.rows().stream().filter(r -> r.measurement().id().equals(id)).findFirst().orElseThrow();
    }

    private Targets.Result target(String start) {
        return report.targets().stream().filter(t -> t.description().startsWith(start)).findFirst().orElseThrow();
    }

    @Test
    void readFiguresAreDividedByTheVolatileReadOfTheSameThreadCount() {
        assertThat(row("ReadSide.read impl=qsbrHandle t=1").vsLimit()).isCloseTo(1.5, within(1e-9));
        assertThat(row("ReadSide.read impl=rwLock t=2").vsLimit()).isCloseTo(300, within(1e-9));
        assertThat(row("liburcu.read_pair flavor=memb t=1").vsLimit()).isCloseTo(2.4, within(1e-9));
        assertThat(row("GracePeriodPeers.arenaClose t=1").vsLimit()).isNaN();
    }

    @Test
    void peersAreComparedWithTheirJrcuCounterpart() {
        BenchReport.Row rwLock = row("ReadSide.read impl=rwLock t=2");
        assertThat(rwLock.comparedWith()).isEqualTo("memb handle");
        assertThat(rwLock.jrcuFactor()).isCloseTo(150, within(1e-9));

        // sampled figures compare their medians: 70 µs ÷ 1 µs
        assertThat(row("GracePeriodPeers.arenaClose t=1").jrcuFactor()).isCloseTo(70, within(1e-9));
        // liburcu's read pair is faster than jrcu memb's here: a factor below 1
        assertThat(row("liburcu.read_pair flavor=memb t=1").jrcuFactor()).isCloseTo(0.4, within(1e-9));
        // throughput: jrcu's 30 M/s against liburcu's 23 M/s
        assertThat(row("liburcu.call_bulk flavor=memb t=1").jrcuFactor()).isCloseTo(30 / 23.0, within(1e-9));
        assertThat(row("ReadSide.read impl=membHandle t=1").comparedWith()).isNull();
    }

    @Test
    void mapPeersAreComparedWithRcuLongMapGetOfTheSameCaseAndSize() {
        Map<String, String> jrcu = Map.of("impl", "jrcuGet", "entries", "10000000");
        Map<String, String> chm = Map.of("impl", "chm", "entries", "10000000");
        Map<String, String> ceiling = Map.of("impl", "ceiling", "entries", "10000000");
        BenchReport maps = BenchReport.of(List.of(
                Measurement.throughput("MapLookup.read", jrcu, 2, 8e6),
                Measurement.throughput("MapLookup.read", chm, 2, 2e6),
                Measurement.throughput("MapLookup.read", ceiling, 2, 16e6),
                Measurement.throughput("MapLookup.readWithWriter", chm, 1, 4e6)));
        BenchReport.Row top = maps.rows().stream().filter(r -> r.label().startsWith("ceiling")).findFirst()
                .orElseThrow();
        assertThat(top.label()).isEqualTo("ceiling (a heap table probed with plain loads, no protection), get, "
                + "2 readers, 10 M entries");
        assertThat(top.comparedWith()).as("the ceiling is no peer").isNull();
        BenchReport.Row read = maps.rows().stream().filter(r -> r.label().startsWith("ConcurrentHashMap")
                && r.measurement().threads() == 2).findFirst().orElseThrow();
        assertThat(read.section()).isEqualTo(FigureCatalog.Section.MAP);
        assertThat(read.label()).isEqualTo("ConcurrentHashMap<Long, Long>, get, 2 readers, 10 M entries");
        assertThat(read.comparedWith()).isEqualTo("RcuLongMap get");
        assertThat(read.jrcuFactor()).isCloseTo(4, within(1e-9));
        // no jrcu figure of the same case: nothing to compare with
        assertThat(maps.rows()).filteredOn(r -> r.measurement().threads() == 1).singleElement()
                .satisfies(r -> assertThat(r.comparedWith()).isNull());
        assertThat(maps.render()).contains("Maps (memb)", "RcuLongMap get 4.00× faster");
        Targets.Result twiceChm = maps.targets().stream().filter(t -> t.description().startsWith(
                "RcuLongMap get ÷ ConcurrentHashMap, 10 M entries, 2 readers")).findFirst().orElseThrow();
        assertThat(twiceChm.status()).isEqualTo(Targets.Status.MET);
        assertThat(twiceChm.observed()).isCloseTo(4, within(1e-9));
    }

    @Test
    void targetsAreMetMissedOrNotMeasured() {
        assertThat(target("qsbr kept handle").status()).isEqualTo(Targets.Status.MET);
        assertThat(target("memb kept handle").status()).isEqualTo(Targets.Status.MISSED);
        assertThat(target("memb kept handle").observed()).isCloseTo(6, within(1e-9));
        assertThat(target("bulletProof kept handle").status()).isEqualTo(Targets.Status.MET);
        assertThat(target("ReentrantReadWriteLock").status()).isEqualTo(Targets.Status.MET);
        assertThat(target("AtomicInteger refcount").status()).isEqualTo(Targets.Status.MET);
        assertThat(target("Cassandra OpOrder ÷").status()).isEqualTo(Targets.Status.MISSED);
        assertThat(target("OpOrder barrier").observed()).isCloseTo(3.9, within(1e-9));
        assertThat(target("shared Arena close").status()).isEqualTo(Targets.Status.MET);
        assertThat(target("liburcu memb synchronize_rcu").status()).isEqualTo(Targets.Status.MET);
        assertThat(target("liburcu memb synchronize_rcu").observed()).isCloseTo(10, within(1e-9));
        assertThat(target("jrcu memb intrusive call ÷ liburcu call_rcu (all").status())
                .isEqualTo(Targets.Status.MET);
        assertThat(target("shared Arena allocate").observed()).isCloseTo(1750, within(1e-9));
        assertThat(target("RcuArena allocate + free ÷ malloc + free, 1 thread").status())
                .isEqualTo(Targets.Status.MET);
        assertThat(target("RcuArena allocate + free ÷ malloc + free, 2 threads").status())
                .isEqualTo(Targets.Status.NOT_MEASURED);
        assertThat(target("RcuArena allocate + free ÷ malloc + free, 2 threads").detail())
                .contains("Reclamation.rcuArena flavor=memb t=2");
        assertThat(target("jrcu read paths allocate 0 B/op").status()).isEqualTo(Targets.Status.MET);
    }

    @Test
    void anAllocatingReadPathMissesTheZeroAllocationTarget() {
        List<Measurement> figures = new java.util.ArrayList<>(SyntheticRun.figures());
        figures.add(Measurement.time("ReadSide.read", Map.of("impl", "bpImplicit"), 1, 4).withAllocation(16));

        Targets.Result zero = BenchReport.of(figures).targets().getLast();

        assertThat(zero.status()).isEqualTo(Targets.Status.MISSED);
        assertThat(zero.detail()).contains("16.0 B/op", "impl=bpImplicit");
    }

    @Test
    void theTableHasOneLinePerFigureBySectionAndTheTargets() {
        String text = report.render();

        assertThat(text).contains("Read side:", "Grace periods:", "Reclamation:", "Targets (issues 5, 13, 14 and 15)");
        assertThat(text.indexOf("Read side:")).isLessThan(text.indexOf("Grace periods:"));
        assertThat(text).containsPattern("ReentrantReadWriteLock read lock \\+ unlock +peer +2 +150 ns "
                + "+300× \\(\\+150 ns\\) +memb handle 150× faster");
        assertThat(text).containsPattern("Arena.ofShared\\(\\) allocate 64 B \\+ close, busy reader +peer +1 +"
                + "p50 70.0 µs, p99 200 µs +memb synchronize\\(\\) 70.0× faster");
        assertThat(text).containsPattern("liburcu memb rcu_read_lock \\+ unlock +liburcu +1 +1.20 ns "
                + "+2.40× \\(\\+0.700 ns\\) +memb handle 2.50× slower");
        assertThat(text).contains("MISSED  memb kept handle ÷ volatile read, 1 thread: 6.00× (≤ 5.00×)");
        assertThat(text).contains("met     qsbr kept handle");
        assertThat(text).contains("n/a     RcuArena allocate + free ÷ malloc + free, 2 threads");
        assertThat(text.lines().filter(l -> l.startsWith("  ") && !l.startsWith("  met") && !l.startsWith("  MISSED")
                && !l.startsWith("  n/a"))).hasSize(SyntheticRun.figures().size());
    }

    @Test
    void unknownFiguresAreShownUnderTheirId() {
        BenchReport r = BenchReport.of(List.of(
                Measurement.time("Reclamation.somethingNew", Map.of("flavor", "qsbr"), 1, 10)));

        assertThat(r.rows()).singleElement().satisfies(row -> {
            assertThat(row.label()).isEqualTo("Reclamation.somethingNew flavor=qsbr t=1");
            assertThat(row.section()).isEqualTo(FigureCatalog.Section.RECLAIM);
        });
    }

    @Test
    void valuesAndRatiosAreReadable() {
        assertThat(BenchReport.duration(0.571)).isEqualTo("0.571 ns");
        assertThat(BenchReport.duration(61_234)).isEqualTo("61.2 µs");
        assertThat(BenchReport.duration(3_400_000)).isEqualTo("3.40 ms");
        assertThat(BenchReport.ratio(1234.4)).isEqualTo("1234");
        assertThat(BenchReport.ratio(12.34)).isEqualTo("12.3");
        assertThat(BenchReport.versus("memb handle", 0.5)).isEqualTo("memb handle 2.00× slower");
    }
}
