package io.jrcu.bench;

import io.jrcu.bench.FigureCatalog.Figure;
import io.jrcu.bench.FigureCatalog.Kind;
import io.jrcu.bench.FigureCatalog.Section;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one table of {@code bin/jrcu bench}: every figure of the run with its ratio to the limit (read side) and,
 * for a peer, how many times faster (or slower) the jrcu figure it is compared with is; then the targets.
 * Built from {@link Measurement}s only, so that it can be tested on synthetic figures.
 *
 * @param rows    the figures, by section and catalog order
 * @param targets the targets of issue 5, evaluated on these figures
 */
record BenchReport(List<Row> rows, List<Targets.Result> targets) {

    /**
     * One line of the table.
     *
     * @param vsLimit      this figure ÷ the limit, or NaN
     * @param overLimit    this figure − the limit (ns for a time), or NaN where vsLimit is
     * @param comparedWith the jrcu figure this peer is compared with (its short label), or null
     * @param jrcuFactor   how many times faster that jrcu figure is than this one (below 1: slower), or NaN
     */
    record Row(Section section, Kind kind, String label, Measurement measurement, double vsLimit, double overLimit,
               String comparedWith, double jrcuFactor, int order) {
    }

    static BenchReport of(List<Measurement> measurements) {
        Map<String, Measurement> byId = new LinkedHashMap<>();
        for (Measurement m : measurements) {
            if (!WorkloadTable.isWorkload(m)) {   // their own table: WorkloadTable
                byId.put(m.id(), m);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Measurement m : byId.values()) {
            Figure f = FigureCatalog.describe(m);
            double vsLimit = Double.NaN;
            double overLimit = Double.NaN;
            Measurement limit = f.limit() == null ? null : byId.get(f.limit());
            if (limit != null && !m.throughput() && !limit.throughput()) {
                vsLimit = m.value() / limit.value();
                overLimit = m.value() - limit.value();
            }
            String comparedWith = null;
            double factor = Double.NaN;
            Measurement jrcu = f.comparedWith() == null ? null : byId.get(f.comparedWith());
            if (jrcu != null && jrcu.throughput() == m.throughput()) {
                Figure jf = FigureCatalog.describe(jrcu);
                comparedWith = jf.shortLabel() != null ? jf.shortLabel() : jf.label();
                factor = m.throughput() ? jrcu.value() / m.value() : m.value() / jrcu.value();
            }
            rows.add(new Row(f.section(), f.kind(), f.label(), m, vsLimit, overLimit, comparedWith, factor, f.order()));
        }
        rows.sort(Comparator.comparing(Row::section).thenComparingInt(r -> r.measurement().threads())
                .thenComparingInt(Row::order).thenComparing(Row::label));
        return new BenchReport(List.copyOf(rows), Targets.evaluate(byId));
    }

    /** The table and the targets as text, columns aligned. */
    String render() {
        List<String[]> lines = new ArrayList<>();
        String[] header = {"figure", "kind", "thr", "value", "× limit (+ns)", "jrcu vs this", "B/op"};
        Section current = null;
        List<Integer> sectionStarts = new ArrayList<>();
        for (Row r : rows) {
            if (r.section() != current) {
                current = r.section();
                sectionStarts.add(lines.size());
                lines.add(new String[] {current.title});
            }
            Measurement m = r.measurement();
            lines.add(new String[] {
                "  " + r.label(), r.kind().tag, Integer.toString(m.threads()), value(m),
                Double.isNaN(r.vsLimit()) ? "" : ratio(r.vsLimit()) + "× (" + overhead(r.overLimit()) + ")",
                r.comparedWith() == null ? "" : versus(r.comparedWith(), r.jrcuFactor()),
                Double.isNaN(m.allocBytesPerOp()) ? "" : String.format(Locale.ROOT, "%.2g", m.allocBytesPerOp())});
        }
        int[] width = new int[header.length];
        for (String[] line : lines) {
            if (line.length == header.length) {
                for (int i = 0; i < line.length; i++) {
                    width[i] = Math.max(width[i], line[i].length());
                }
            }
        }
        for (int i = 0; i < header.length; i++) {
            width[i] = Math.max(width[i], header[i].length());
        }
        StringBuilder out = new StringBuilder();
        appendAligned(out, header, width);
        out.append("-".repeat(java.util.Arrays.stream(width).sum() + 2 * (width.length - 1))).append('\n');
        for (String[] line : lines) {
            if (line.length == 1) {
                out.append(line[0]).append('\n');
            } else {
                appendAligned(out, line, width);
            }
        }
        out.append('\n').append("Targets (issues 5, 13, 14 and 15)\n");
        for (Targets.Result t : targets) {
            String status = switch (t.status()) {
                case MET -> "met     ";
                case MISSED -> "MISSED  ";
                case NOT_MEASURED -> "n/a     ";
            };
            out.append("  ").append(status).append(t.description()).append(": ").append(t.detail()).append('\n');
        }
        return out.toString();
    }

    private static void appendAligned(StringBuilder out, String[] cells, int[] width) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean numeric = i >= 2 && i != 5;
            String cell = cells[i];
            String pad = " ".repeat(width[i] - cell.length());
            line.append(numeric ? pad + cell : cell + pad);
            if (i < cells.length - 1) {
                line.append("  ");
            }
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    /** "jrcu memb handle 6.3× faster" or "… 1.5× slower". */
    static String versus(String jrcu, double factor) {
        return factor >= 1 ? jrcu + " " + ratio(factor) + "× faster" : jrcu + " " + ratio(1 / factor) + "× slower";
    }

    /** An overhead over the limit with its sign: "+2.50 ns", "-0.100 ns", "+1.20 µs". */
    static String overhead(double nanos) {
        return (nanos < 0 ? "-" : "+") + duration(Math.abs(nanos));
    }

    /** A ratio with about three significant digits: 1.23, 12.3, 123, 1234. */
    static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            return "?";
        }
        double a = Math.abs(r);
        return String.format(Locale.ROOT, a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : "%.2f", r);
    }

    /** A figure in a readable unit: ns/µs/ms per operation (with p99 for sampled figures) or M/s. */
    static String value(Measurement m) {
        if (m.throughput()) {
            return String.format(Locale.ROOT, "%.3g M/s", m.score() / 1e6);
        }
        String v = duration(m.value());
        return Double.isNaN(m.p99()) ? v : "p50 " + v + ", p99 " + duration(m.p99());
    }

    static String duration(double nanos) {
        if (nanos < 1e3) {
            return String.format(Locale.ROOT, "%.3g ns", nanos);
        } else if (nanos < 1e6) {
            return String.format(Locale.ROOT, "%.3g µs", nanos / 1e3);
        }
        return String.format(Locale.ROOT, "%.3g ms", nanos / 1e6);
    }
}
