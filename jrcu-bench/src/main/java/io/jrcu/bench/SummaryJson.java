package io.jrcu.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code summary.json} of a results folder: the table's rows and the targets, for scripts and for docs/bench.md.
 * Times are in ns/op, throughputs in ops/s, ratios plain numbers; a figure that does not apply is absent.
 * Written by hand: the benchmark jar carries no JSON library, and this is a few lines.
 */
final class SummaryJson {

    private SummaryJson() {
    }

    /** The summary; {@code about} (date, machine, JVM, plan) goes first as string fields. */
    static String write(Map<String, String> about, BenchReport report) {
        StringBuilder b = new StringBuilder("{\n");
        for (Map.Entry<String, String> e : about.entrySet()) {
            b.append("  ").append(string(e.getKey())).append(": ").append(string(e.getValue())).append(",\n");
        }
        b.append("  \"rows\": [");
        List<BenchReport.Row> rows = report.rows();
        for (int i = 0; i < rows.size(); i++) {
            BenchReport.Row r = rows.get(i);
            Measurement m = r.measurement();
            b.append(i == 0 ? "\n" : ",\n").append("    {");
            field(b, "id", string(m.id()), true);
            field(b, "label", string(r.label()), false);
            field(b, "section", string(r.section().name().toLowerCase(Locale.ROOT)), false);
            field(b, "kind", string(r.kind().name().toLowerCase(Locale.ROOT)), false);
            field(b, "threads", Integer.toString(m.threads()), false);
            field(b, "unit", string(m.throughput() ? "ops/s" : "ns/op"), false);
            field(b, "score", number(m.score()), false);
            optional(b, "p50", m.p50());
            optional(b, "p99", m.p99());
            optional(b, "allocBytesPerOp", m.allocBytesPerOp());
            optional(b, "vsLimit", r.vsLimit());
            optional(b, "overLimitNanos", r.overLimit());
            if (r.comparedWith() != null) {
                field(b, "comparedWith", string(r.comparedWith()), false);
                optional(b, "jrcuFactor", r.jrcuFactor());
            }
            b.append('}');
        }
        b.append("\n  ],\n  \"targets\": [");
        List<Targets.Result> targets = report.targets();
        for (int i = 0; i < targets.size(); i++) {
            Targets.Result t = targets.get(i);
            b.append(i == 0 ? "\n" : ",\n").append("    {");
            field(b, "target", string(t.description()), true);
            field(b, "status", string(t.status().name().toLowerCase(Locale.ROOT)), false);
            optional(b, "observed", t.observed());
            field(b, "detail", string(t.detail()), false);
            b.append('}');
        }
        return b.append("\n  ]\n}\n").toString();
    }

    private static void field(StringBuilder b, String name, String json, boolean first) {
        b.append(first ? "" : ", ").append(string(name)).append(": ").append(json);
    }

    private static void optional(StringBuilder b, String name, double value) {
        if (!Double.isNaN(value) && !Double.isInfinite(value)) {
            field(b, name, number(value), false);
        }
    }

    static String number(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);  // finite doubles print as valid JSON numbers: 0.57, 1.5E-4, 2.3E7
    }

    static String string(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
