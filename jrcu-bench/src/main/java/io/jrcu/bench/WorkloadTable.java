package io.jrcu.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The "which configuration for which workload" table of {@code bin/jrcu bench}: per {@link Workload} group, the
 * figures of every {@link Workload.Config} measured in the same run, and which configuration wins the workload's
 * deciding figure. Built from {@link Measurement}s only, so that it can be tested on synthetic figures; empty when
 * the run measured no workload.
 */
final class WorkloadTable {

    /** The benchmark class whose figures this table shows (and the main table leaves out). */
    static final String BENCHMARK_CLASS = "Workload.";

    private WorkloadTable() {
    }

    /** One figure of a workload, from its reader's or its updater's measurement. */
    enum Metric {
        READS_PER_SECOND("reads/s", true),
        UPDATE_P50("update p50 (publish + synchronize)", false),
        UPDATES_PER_SECOND("updates/s", true);

        final String label;
        final boolean higherIsBetter;

        Metric(String label, boolean higherIsBetter) {
            this.label = label;
            this.higherIsBetter = higherIsBetter;
        }
    }

    /**
     * A workload: a {@link Workload} group, its reader and updater members, and the figures shown, the first deciding.
     */
    record Definition(String title, String group, String reader, int readers, String updater, List<Metric> metrics) {
    }

    static final List<Definition> WORKLOADS = List.of(
            new Definition("read-mostly: 2 readers, an updater at 1,000 updates/s", "readMostly", "reader", 2,
                    "updater", List.of(Metric.READS_PER_SECOND, Metric.UPDATE_P50)),
            new Definition("update-heavy: 1 reader, an updater as fast as it can", "updateHeavy", "busyReader", 1,
                    "eagerUpdater", List.of(Metric.UPDATE_P50, Metric.UPDATES_PER_SECOND, Metric.READS_PER_SECOND)),
            new Definition("reclaiming: 1 reader, an updater retiring each replaced object with call()", "reclaiming",
                    "reclaimingReader", 1, "retiringUpdater", List.of(Metric.UPDATES_PER_SECOND,
                    Metric.READS_PER_SECOND)));

    /** Whether {@code m} belongs to this table rather than to the main one. */
    static boolean isWorkload(Measurement m) {
        return m.benchmark().startsWith(BENCHMARK_CLASS);
    }

    /** The figure of {@code metric} for {@code config} in {@code workload}, or NaN if not measured. */
    static double figure(Map<String, Measurement> byId, Definition workload, Metric metric, Workload.Config config) {
        Map<String, String> params = Map.of("config", config.name());
        String prefix = BENCHMARK_CLASS + workload.group() + ":";
        Measurement reader = byId.get(Measurement.id(prefix + workload.reader(), params, workload.readers()));
        Measurement updater = byId.get(Measurement.id(prefix + workload.updater(), params, 1));
        return switch (metric) {
            case READS_PER_SECOND -> reader == null ? Double.NaN
                    : workload.readers() * (double) Workload.READS_PER_OP * 1e9 / reader.score();
            case UPDATE_P50 -> updater == null ? Double.NaN : updater.value();
            case UPDATES_PER_SECOND -> updater == null ? Double.NaN : 1e9 / updater.score();
        };
    }

    /** The table as text, columns aligned; "" when {@code measurements} hold no workload figure. */
    static String render(List<Measurement> measurements) {
        Map<String, Measurement> byId = new LinkedHashMap<>();
        measurements.stream().filter(WorkloadTable::isWorkload).forEach(m -> byId.put(m.id(), m));
        if (byId.isEmpty()) {
            return "";
        }
        Workload.Config[] configs = Workload.Config.values();
        List<String[]> lines = new ArrayList<>();
        String[] header = new String[configs.length + 2];
        header[0] = "workload, figure";
        for (int i = 0; i < configs.length; i++) {
            header[i + 1] = configName(configs[i]);
        }
        header[configs.length + 1] = "wins";
        lines.add(header);
        for (Definition w : WORKLOADS) {
            lines.add(new String[] {w.title()});
            for (Metric metric : w.metrics()) {
                String[] line = new String[configs.length + 2];
                line[0] = "  " + metric.label + (metric.higherIsBetter ? " (higher is better)" : " (lower is better)");
                int best = -1;
                double[] values = new double[configs.length];
                for (int i = 0; i < configs.length; i++) {
                    values[i] = figure(byId, w, metric, configs[i]);
                    line[i + 1] = format(metric, values[i]);
                    if (!Double.isNaN(values[i]) && (best < 0 || (metric.higherIsBetter ? values[i] > values[best]
                            : values[i] < values[best]))) {
                        best = i;
                    }
                }
                boolean deciding = metric == w.metrics().getFirst();
                line[configs.length + 1] = deciding && best >= 0 ? configName(configs[best]) : "";
                lines.add(line);
            }
        }
        int[] width = new int[header.length];
        for (String[] line : lines) {
            if (line.length == header.length) {
                for (int i = 0; i < line.length; i++) {
                    width[i] = Math.max(width[i], line[i].length());
                }
            }
        }
        StringBuilder out = new StringBuilder("Which configuration for which workload (same run; the first figure of "
                + "each workload decides; docs/bench.md)\n");
        for (String[] line : lines) {
            if (line.length == 1) {
                out.append(line[0]).append('\n');
                continue;
            }
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < line.length; i++) {
                String pad = " ".repeat(width[i] - line[i].length());
                b.append(i == 0 || i == line.length - 1 ? line[i] + pad : pad + line[i]).append("  ");
            }
            out.append(b.toString().stripTrailing()).append('\n');
            if (line == header) {
                out.append("-".repeat(Arrays.stream(width).sum() + 2 * (width.length - 1))).append('\n');
            }
        }
        return out.toString();
    }

    static String configName(Workload.Config config) {
        return switch (config) {
            case membAsymmetric -> "memb ASYMMETRIC";
            case membFull -> "memb FULL";
            case qsbr -> "qsbr";
            case bp -> "bulletProof";
        };
    }

    private static String format(Metric metric, double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        return metric == Metric.UPDATE_P50 ? BenchReport.duration(value)
                : value >= 1e9 ? String.format(Locale.ROOT, "%.3g G/s", value / 1e9)
                : value >= 1e6 ? String.format(Locale.ROOT, "%.3g M/s", value / 1e6)
                : String.format(Locale.ROOT, "%.3g k/s", value / 1e3);
    }
}
