package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The workload table's layout and verdicts, on made-up figures (no timing is measured here). */
class WorkloadTableTest {

    /** A workload member's sampled figure: mean and p50 in ns per operation (a reader's operation is 1,000 reads). */
    static Measurement member(String group, String member, String config, int threads, double mean, double p50) {
        return Measurement.sampled("Workload." + group + ":" + member, Map.of("config", config), threads, mean, p50,
                2 * p50);
    }

    /** Made-up figures of the three workloads for every configuration. */
    static List<Measurement> figures() {
        List<Measurement> m = new ArrayList<>();
        // read-mostly: 1,000 reads take 2 µs with asymmetric fences, 9 µs with full ones (2 readers)
        m.add(member("readMostly", "reader", "membAsymmetric", 2, 2_000, 1_900));
        m.add(member("readMostly", "reader", "membFull", 2, 9_000, 8_800));
        m.add(member("readMostly", "reader", "qsbr", 2, 1_500, 1_400));
        m.add(member("readMostly", "reader", "bp", 2, 20_000, 19_000));
        m.add(member("readMostly", "updater", "membAsymmetric", 1, 50_000, 47_000));
        m.add(member("readMostly", "updater", "membFull", 1, 1_000, 800));
        m.add(member("readMostly", "updater", "qsbr", 1, 5_000, 4_000));
        m.add(member("readMostly", "updater", "bp", 1, 2_000, 1_700));
        // update-heavy: bulletProof's grace periods are the shortest
        m.add(member("updateHeavy", "busyReader", "membAsymmetric", 1, 3_000, 2_000));
        m.add(member("updateHeavy", "busyReader", "membFull", 1, 10_000, 9_000));
        m.add(member("updateHeavy", "busyReader", "qsbr", 1, 2_000, 1_500));
        m.add(member("updateHeavy", "busyReader", "bp", 1, 20_000, 19_000));
        m.add(member("updateHeavy", "eagerUpdater", "membAsymmetric", 1, 50_000, 47_000));
        m.add(member("updateHeavy", "eagerUpdater", "membFull", 1, 1_000, 900));
        m.add(member("updateHeavy", "eagerUpdater", "qsbr", 1, 6_000, 5_000));
        m.add(member("updateHeavy", "eagerUpdater", "bp", 1, 800, 600));
        // reclaiming: the updater never waits; memb FULL retires the most
        m.add(member("reclaiming", "reclaimingReader", "membAsymmetric", 1, 3_000, 2_000));
        m.add(member("reclaiming", "reclaimingReader", "membFull", 1, 10_000, 9_000));
        m.add(member("reclaiming", "reclaimingReader", "qsbr", 1, 2_000, 1_500));
        m.add(member("reclaiming", "reclaimingReader", "bp", 1, 20_000, 19_000));
        m.add(member("reclaiming", "retiringUpdater", "membAsymmetric", 1, 400, 100));
        m.add(member("reclaiming", "retiringUpdater", "membFull", 1, 100, 80));
        m.add(member("reclaiming", "retiringUpdater", "qsbr", 1, 200, 90));
        m.add(member("reclaiming", "retiringUpdater", "bp", 1, 125, 90));
        return m;
    }

    @Test
    void eachWorkloadShowsEveryConfigurationAndTheWinnerOfItsFirstFigure() {
        String text = WorkloadTable.render(figures());

        assertThat(text).startsWith("Which configuration for which workload");
        assertThat(text).contains("memb ASYMMETRIC", "memb FULL", "qsbr", "bulletProof", "wins");
        // 2 readers × 1,000 reads per 2 µs = 1,000 M reads/s; qsbr's 1.5 µs wins
        assertThat(text).containsPattern("reads/s \\(higher is better\\) +1.00 G/s +222 M/s +1.33 G/s "
                + "+100 M/s +qsbr\\n");
        assertThat(text).containsPattern("update p50 \\(publish \\+ synchronize\\) \\(lower is better\\) +47.0 µs "
                + "+800 ns +4.00 µs +1.70 µs\\n");
        assertThat(text.substring(text.indexOf("update-heavy"))).containsPattern(
                "update p50 \\(publish \\+ synchronize\\) \\(lower is better\\) +47.0 µs +900 ns +5.00 µs +600 ns "
                        + "+bulletProof\\n");
        assertThat(text).containsPattern("updates/s \\(higher is better\\) +20.0 k/s +1.00 M/s +167 k/s +1.25 M/s\\n");
        assertThat(text.substring(text.indexOf("reclaiming"))).containsPattern(
                "updates/s \\(higher is better\\) +2.50 M/s +10.0 M/s +5.00 M/s +8.00 M/s +memb FULL\\n");
        assertThat(text.indexOf("read-mostly")).isLessThan(text.indexOf("update-heavy"));
        assertThat(text.indexOf("update-heavy")).isLessThan(text.indexOf("reclaiming"));
    }

    @Test
    void aConfigurationNotMeasuredIsShownAsNotAvailableAndCannotWin() {
        List<Measurement> figures = new ArrayList<>(figures());
        figures.removeIf(m -> m.params().get("config").equals("qsbr") && m.benchmark().endsWith(":reader"));

        String text = WorkloadTable.render(figures);

        assertThat(text).containsPattern("reads/s \\(higher is better\\) +1.00 G/s +222 M/s +n/a +100 M/s "
                + "+memb ASYMMETRIC\\n");
    }

    @Test
    void aRunWithoutWorkloadsHasNoWorkloadTableAndTheMainTableNoWorkloadRows() {
        assertThat(WorkloadTable.render(SyntheticRun.figures())).isEmpty();

        List<Measurement> all = new ArrayList<>(SyntheticRun.figures());
        all.addAll(figures());
        assertThat(BenchReport.of(all).rows()).hasSize(SyntheticRun.figures().size());
    }
}
