package io.jrcu.tools.torture;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders torture results as a plain-text table, one row per flavor, with notes on failures below it. */
final class ResultTable {

    private static final String[] HEADER = {"flavor", "readers p/v", "writers", "seconds", "reads", "updates",
            "grace periods", "age 0", "age 1", "age >=2", "freed", "errors", "result"};
    /** Text columns are left-aligned; the others (numbers) right-aligned. */
    private static final boolean[] LEFT = {true, false, false, false, false, false, false, false, false, false, false,
            false, true};

    private ResultTable() {
    }

    static String render(List<TortureResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (TortureResult r : results) {
            TortureConfig c = r.config();
            AgeHistogram a = r.ages();
            rows.add(new String[]{
                    c.flavor().cliName() + (c.skipReaderWait() ? " *" : ""),
                    c.platformReaders() + "/" + c.virtualReaders(),
                    Integer.toString(c.writers()),
                    String.format(Locale.ROOT, "%.1f", r.elapsed().toNanos() / 1e9),
                    count(r.reads()),
                    count(r.updates()),
                    count(r.gracePeriods()),
                    count(a.age0()),
                    count(a.age1()),
                    count(a.age2OrMore()),
                    count(a.freed()),
                    count(r.errors()),
                    r.passed() ? "PASS" : "FAIL"});
        }
        int[] width = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int r = 0; r < rows.size(); r++) {
            String[] row = rows.get(r);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                if (i > 0) {
                    line.append("  ");
                }
                String pad = " ".repeat(width[i] - row[i].length());
                line.append(LEFT[i] ? row[i] + pad : pad + row[i]);
            }
            out.append(line.toString().stripTrailing()).append('\n');
            if (r == 0) {
                out.append("-".repeat(line.length())).append('\n');
            }
        }
        notes(results, out);
        return out.toString();
    }

    private static void notes(List<TortureResult> results, StringBuilder out) {
        boolean faulted = false;
        for (TortureResult r : results) {
            faulted |= r.config().skipReaderWait();
            String flavor = r.config().flavor().cliName();
            r.firstError().ifPresent(e -> out.append(flavor).append(": first error ").append(e.describe())
                    .append('\n'));
            for (ThreadFailure f : r.threadFailures()) {
                out.append(flavor).append(": thread '").append(f.thread()).append("' failed: ").append(f.cause())
                        .append('\n');
            }
        }
        if (faulted) {
            out.append("* fault injected (skip-reader-wait): grace periods do not wait for readers, so these runs"
                    + " must FAIL; that proves the oracle catches a broken grace period\n");
        }
        out.append("age: the oldest age a reader saw while protected. 0 = published, 1 = removed but no grace period"
                + " completed since; >=2 or freed = a grace period ended under a reader (an error).\n");
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
