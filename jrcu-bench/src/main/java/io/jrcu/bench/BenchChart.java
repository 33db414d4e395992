package io.jrcu.bench;

import io.jrcu.bench.FigureCatalog.Section;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The charts of a results folder, drawn with XChart (headless) as PNG: bar charts of one section of the table
 * each, one bar series per thread count, on a logarithmic axis (read sections of 0.5 ns sit beside locks of
 * 150 ns, grace periods of 1 µs beside arena closes of 80 µs).
 */
final class BenchChart {

    private static final int WIDTH = 1400;
    private static final int HEIGHT = 800;

    private BenchChart() {
    }

    /** Writes every chart that has figures into {@code folder}; returns the files written. */
    static List<Path> writeAll(BenchReport report, Path folder) throws IOException {
        List<Path> written = new ArrayList<>();
        write(report, folder, "read-side", "Read side: ns per read section (log scale; lower is better)",
                "ns per read section", r -> r.section() == Section.READ
                        && r.measurement().benchmark().matches("ReadSide\\.read|liburcu\\.read_pair"),
                1, written);
        write(report, folder, "grace-periods",
                "Grace periods with one busy reader: p50 µs (log scale; lower is better)", "µs, p50",
                r -> r.section() == Section.GRACE && !r.measurement().throughput(), 1e3, written);
        write(report, folder, "reclamation", "Reclamation: ns per operation (log scale; lower is better)",
                "ns per operation", r -> r.section() == Section.RECLAIM && !r.measurement().throughput(), 1,
                written);
        write(report, folder, "callbacks", "call() through barrier(): million callbacks per second (higher is better)",
                "M callbacks/s", r -> r.section() == Section.RECLAIM && r.measurement().throughput(), -1e6, written);
        return written;
    }

    /**
     * One chart of the rows {@code which} selects. {@code divisor} scales the value into the axis unit; a negative
     * divisor marks a throughput chart (linear axis, value ÷ −divisor).
     */
    private static void write(BenchReport report, Path folder, String name, String title, String yTitle,
                              Predicate<BenchReport.Row> which, double divisor, List<Path> written)
            throws IOException {
        // category -> (threads -> value); categories in table order
        Map<String, Map<Integer, Double>> values = new LinkedHashMap<>();
        for (BenchReport.Row r : report.rows()) {
            Measurement m = r.measurement();
            if (!which.test(r) || !(m.value() > 0)) {
                continue;
            }
            values.computeIfAbsent(category(r), k -> new TreeMap<>()).put(m.threads(), m.value() / Math.abs(divisor));
        }
        if (values.isEmpty()) {
            return;
        }
        List<Integer> threadCounts = values.values().stream().flatMap(v -> v.keySet().stream()).distinct().sorted()
                .toList();
        boolean log = divisor > 0;
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title)
                .yAxisTitle(yTitle).build();
        chart.getStyler().setYAxisLogarithmic(log).setXAxisLabelRotation(30).setLegendPosition(
                Styler.LegendPosition.InsideNE);
        chart.getStyler().setLabelsVisible(true).setLabelsRotation(0);
        chart.getStyler().setDecimalPattern("#,##0.###");
        if (log) {
            // a bar chart's axis otherwise starts at 0, which a logarithmic axis cannot show
            double min = values.values().stream().flatMap(v -> v.values().stream()).mapToDouble(d -> d).min()
                    .orElse(1);
            chart.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
        }
        List<String> categories = new ArrayList<>(values.keySet());
        for (int threads : threadCounts) {
            List<Number> series = new ArrayList<>();
            for (String category : categories) {
                Double v = values.get(category).get(threads);
                series.add(v);  // null: no bar (XChart skips null values)
            }
            chart.addSeries(threads == 1 ? "1 thread" : threads + " threads", categories, series);
        }
        Path file = folder.resolve(name + ".png");
        try {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (RuntimeException e) {  // XChart refuses some data; the table and the JSON still stand
            Files.deleteIfExists(file);
            throw new IOException("chart " + file.getFileName() + ": " + e.getMessage(), e);
        }
        written.add(file);
    }

    /** A short bar label: the read implementation, or the row label. */
    private static String category(BenchReport.Row r) {
        Measurement m = r.measurement();
        if (m.benchmark().equals("ReadSide.read")) {
            return m.params().get("impl");
        }
        if (m.benchmark().startsWith("liburcu.")) {
            return "liburcu " + m.params().get("flavor") + " " + m.benchmark().substring("liburcu.".length());
        }
        return r.label();
    }
}
