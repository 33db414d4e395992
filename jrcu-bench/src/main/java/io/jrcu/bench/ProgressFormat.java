package io.jrcu.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.format.OutputFormat;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * JMH's output for {@code bin/jrcu bench}: one line per finished measurement (fork) with the time left, and JMH's
 * own text only with {@code --verbose}. Without it, JMH's last lines are kept and printed when a benchmark fails,
 * so that its error is not lost.
 */
final class ProgressFormat implements OutputFormat {

    private static final int KEPT_LINES = 60;

    private final PrintStream progress;
    private final OutputFormat jmh;
    private final int total;
    private final Duration perFork;
    private final long startNanos = System.nanoTime();
    private final Deque<String> recent = new ArrayDeque<>();
    private final StringBuilder partial = new StringBuilder();
    private int done;
    private int failed;
    private BenchmarkParams current;

    /**
     * @param total   forks planned for the whole run (across every step)
     * @param perFork expected wall time of one, for the time left
     * @param verbose also print JMH's own output
     */
    ProgressFormat(PrintStream progress, int total, Duration perFork, boolean verbose) {
        this.progress = progress;
        this.total = total;
        this.perFork = perFork;
        this.jmh = verbose ? OutputFormatFactory.createFormatInstance(progress, VerboseMode.NORMAL) : null;
    }

    int done() {
        return done;
    }

    int failed() {
        return failed;
    }

    @Override
    public void startBenchmark(BenchmarkParams params) {
        current = params;
        recent.clear();
        if (jmh != null) {
            jmh.startBenchmark(params);
        }
    }

    @Override
    public void endBenchmark(BenchmarkResult result) {
        if (jmh != null) {
            jmh.endBenchmark(result);
        }
        done++;
        String what;
        if (result == null || result.getPrimaryResult() == null) {
            failed++;
            what = (current == null ? "?" : current.getBenchmark()) + ": FAILED";
            if (jmh == null) {
                recent.forEach(line -> progress.println("    | " + line));
            }
        } else {
            List<Measurement> figures = Measurement.fromJmh(result.getParams(), result.getPrimaryResult(),
                    result.getSecondaryResults());
            StringBuilder b = new StringBuilder();
            for (Measurement m : figures) {
                b.append(b.isEmpty() ? "" : "; ").append(m.id()).append("  ").append(BenchReport.value(m));
            }
            what = b.toString();
        }
        long elapsed = (System.nanoTime() - startNanos) / 1_000_000_000L;
        Duration left = perFork.multipliedBy(Math.max(0, total - done));
        String counter = "[%" + Integer.toString(total).length() + "d/%d]";
        progress.printf(Locale.ROOT, counter + " %s   (%s elapsed, about %s left)%n",
                done, total, what, clock(elapsed), clock(left.toSeconds()));
        progress.flush();
    }

    static String clock(long seconds) {
        return String.format(Locale.ROOT, "%d:%02d", seconds / 60, seconds % 60);
    }

    @Override
    public void iteration(BenchmarkParams benchParams, IterationParams params, int iteration) {
        if (jmh != null) {
            jmh.iteration(benchParams, params, iteration);
        }
    }

    @Override
    public void iterationResult(BenchmarkParams benchParams, IterationParams params, int iteration,
                                IterationResult data) {
        if (jmh != null) {
            jmh.iterationResult(benchParams, params, iteration, data);
        }
    }

    @Override
    public void startRun() {
        if (jmh != null) {
            jmh.startRun();
        }
    }

    @Override
    public void endRun(Collection<RunResult> result) {
        if (jmh != null) {
            jmh.endRun(result);
        }
    }

    @Override
    public void print(String s) {
        if (jmh != null) {
            jmh.print(s);
        } else {
            keep(s);
        }
    }

    @Override
    public void println(String s) {
        if (jmh != null) {
            jmh.println(s);
        } else {
            keep(s + "\n");
        }
    }

    @Override
    public void verbosePrintln(String s) {
        if (jmh != null) {
            jmh.verbosePrintln(s);
        }
    }

    @Override
    public void write(int b) {
        if (jmh != null) {
            jmh.write(b);
        } else {
            keep(String.valueOf((char) b));
        }
    }

    @Override
    public void write(byte[] b) throws java.io.IOException {
        if (jmh != null) {
            jmh.write(b);
        } else {
            keep(new String(b, java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Override
    public void flush() {
        if (jmh != null) {
            jmh.flush();
        }
        progress.flush();
    }

    @Override
    public void close() {
        flush();  // the progress stream is the caller's
    }

    /** Keeps the last {@value #KEPT_LINES} lines of JMH's silent output. */
    private void keep(String text) {
        for (char c : text.toCharArray()) {
            if (c == '\n') {
                recent.addLast(partial.toString());
                partial.setLength(0);
                if (recent.size() > KEPT_LINES) {
                    recent.removeFirst();
                }
            } else {
                partial.append(c);
            }
        }
    }

    /** JMH's kept lines (for a run that threw before its benchmarks ended). */
    List<String> recentLines() {
        return List.copyOf(recent);
    }
}
