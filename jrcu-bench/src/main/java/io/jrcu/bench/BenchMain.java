package io.jrcu.bench;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.BenchmarkList;
import org.openjdk.jmh.runner.BenchmarkListEntry;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code bin/jrcu bench}: runs a curated subset of the benchmarks of this module (or all of them with
 * {@code --full}) through JMH's Runner API, one fork per figure, and prints one table of every jrcu figure beside
 * its peers' with the ratios, then whether each target of issue 5 is met, then which configuration wins which
 * workload ({@link WorkloadTable}). See {@link BenchOptions#USAGE}.
 *
 * <pre>
 * bin/jrcu bench                     # the curated run, about 6 minutes on 2 cores
 * bin/jrcu bench --liburcu           # and liburcu's figures in the same table (needs liburcu-dev and gcc)
 * java --enable-native-access=ALL-UNNAMED -cp jrcu-bench/target/benchmarks.jar io.jrcu.bench.BenchMain --quick
 * </pre>
 *
 * <p>A results folder receives {@code jmh-results.json} (JMH's own JSON of every run), {@code summary.json} (the
 * table's rows and the targets, see {@link SummaryJson}), {@code table.txt} and the PNG charts; with
 * {@code --liburcu} also the C program, its build log and its output under {@code liburcu/}.
 *
 * <p>Exit codes: 0 the run completed (targets may be missed: they are reported, not enforced), 1 a benchmark
 * failed or nothing could run, 2 a usage error.
 */
public final class BenchMain {

    /** The forked JVMs' flags when a step adds its own (JMH then ignores the annotation's jvmArgsAppend). */
    private static final List<String> FORK_FLAGS = List.of("--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow");

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int code = run(Arrays.asList(args), System.out, System.err, Path.of("").toAbsolutePath());
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /**
     * Runs one command line; never calls {@link System#exit}.
     *
     * @param out        the table and the results folder
     * @param err        the plan, progress and diagnostics
     * @param workingDir where the default results folder goes
     * @return the exit code
     */
    static int run(List<String> args, PrintStream out, PrintStream err, Path workingDir) {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (BenchOptions.UsageException e) {
            err.println("jrcu bench: " + e.getMessage());
            err.println();
            err.print(BenchOptions.USAGE);
            return 2;
        }
        if (options.help()) {
            out.print(BenchOptions.USAGE);
            return 0;
        }
        System.setProperty("java.awt.headless", "true");
        BenchPlan.Timing timing = options.quick() ? BenchPlan.Timing.QUICK
                : options.full() ? BenchPlan.Timing.FULL : BenchPlan.Timing.CURATED;
        BenchPlan plan = options.full() ? BenchPlan.full(timing) : BenchPlan.curated(timing);
        List<String> missing = new ArrayList<>();
        List<BenchPlan.Resolved> steps = plan.resolve(availableBenchmarks(), options.only(), missing);
        if (!missing.isEmpty()) {
            err.println("not in this build, skipped: " + String.join(", ", missing));
        }
        if (steps.isEmpty() && options.only().isPresent()) {
            err.println("jrcu bench: --only " + options.only().get() + " matches no planned benchmark");
            err.println();
            err.print(BenchOptions.USAGE);
            return 2;
        }
        int forks = steps.stream().mapToInt(BenchPlan.Resolved::forks).sum();
        Duration estimate = plan.estimate(steps);
        if (options.liburcu()) {
            estimate = estimate.plus(LiburcuPeer.estimate(timing));
        }
        printPlan(err, options, timing, steps, forks, estimate);

        Path folder = options.resultsFolder(workingDir, LocalDateTime.now()).toAbsolutePath();
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            err.println("jrcu bench: cannot create " + folder + ": " + e.getMessage());
            return 1;
        }
        long start = System.nanoTime();
        ProgressFormat progress = new ProgressFormat(err, forks, timing.perFork(), options.verbose());
        List<RunResult> results = new ArrayList<>();
        boolean aborted = false;
        for (BenchPlan.Resolved step : steps) {
            try {
                results.addAll(new Runner(jmhOptions(step, step.timing(timing)), progress).run());
            } catch (RunnerException | RuntimeException e) {
                aborted = true;
                err.println("jrcu bench: JMH stopped in " + step.benchmarks() + ": " + e.getMessage());
                if (String.valueOf(e.getMessage()).contains("Unable to acquire the JMH lock")) {
                    err.println("    another JMH run is going on (figures taken together would disturb each other);"
                            + " wait for it, or set JRCU_JAVA_OPTS=-Djmh.ignoreLock=true");
                }
                progress.recentLines().forEach(line -> err.println("    | " + line));
            }
        }
        List<Measurement> measurements = new ArrayList<>();
        results.forEach(r -> measurements.addAll(Measurement.fromJmh(r)));
        if (options.liburcu()) {
            err.println("liburcu: building and running " + LiburcuPeer.SOURCE + " …");
            List<Measurement> liburcu = LiburcuPeer.run(folder.resolve("liburcu"), timing, err);
            liburcu.forEach(m -> err.println("liburcu: " + m.id() + "  " + BenchReport.value(m)));
            measurements.addAll(liburcu);
        }
        BenchReport report = BenchReport.of(measurements);
        long elapsed = (System.nanoTime() - start) / 1_000_000_000L;
        Map<String, String> about = about(options, estimate, elapsed);
        String table = table(about, report, measurements);
        try {
            writeResults(folder, results, report, about, table);
            List<Path> charts = BenchChart.writeAll(report, folder);
            out.println();
            out.print(table);
            out.println();
            out.println("charts: " + String.join(", ", charts.stream().map(p -> p.getFileName().toString()).toList()));
            out.println("results: " + folder);
        } catch (IOException e) {
            out.print(table);
            err.println("jrcu bench: writing results to " + folder + " failed: " + e.getMessage());
            return 1;
        }
        int failed = progress.failed() + (aborted ? 1 : 0);
        if (failed > 0) {
            err.println("jrcu bench: " + failed + " benchmark run(s) failed; their figures are missing");
            return 1;
        }
        return steps.isEmpty() && measurements.isEmpty() ? 1 : 0;
    }

    /** The benchmarks of this jar, from JMH's generated list. */
    static List<BenchPlan.Available> availableBenchmarks() {
        List<BenchPlan.Available> available = new ArrayList<>();
        var silent = OutputFormatFactory.createFormatInstance(new PrintStream(OutputStream.nullOutputStream()),
                VerboseMode.SILENT);
        for (BenchmarkListEntry e : BenchmarkList.defaultList().find(silent, List.of(".*"), List.of())) {
            String name = e.getUsername();
            if (!name.startsWith(BenchPlan.PACKAGE)) {
                continue;
            }
            Map<String, List<String>> params = new LinkedHashMap<>();
            e.getParams().orElse(Map.of()).forEach((k, v) -> params.put(k, Arrays.asList(v)));
            available.add(new BenchPlan.Available(name.substring(BenchPlan.PACKAGE.length()), params));
        }
        return available;
    }

    private static org.openjdk.jmh.runner.options.Options jmhOptions(BenchPlan.Resolved step,
                                                                     BenchPlan.Timing timing) {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(step.includeRegex())
                .forks(1)
                .warmupIterations(timing.warmupIterations())
                .warmupTime(TimeValue.milliseconds(timing.warmupTime().toMillis()))
                .measurementIterations(timing.measurementIterations())
                .measurementTime(TimeValue.milliseconds(timing.measurementTime().toMillis()))
                .shouldFailOnError(false);
        if (step.step().threads() > 0) {
            b.threads(step.step().threads());
        }
        step.step().params().forEach((k, v) -> b.param(k, v.toArray(String[]::new)));
        if (step.step().gcProfiler()) {
            b.addProfiler(GCProfiler.class);
        }
        if (!step.step().jvmArgs().isEmpty()) {
            List<String> flags = new ArrayList<>(FORK_FLAGS);
            flags.addAll(step.step().jvmArgs());
            b.jvmArgsAppend(flags.toArray(String[]::new));
        }
        return b.build();
    }

    private static void printPlan(PrintStream err, BenchOptions options, BenchPlan.Timing timing,
                                  List<BenchPlan.Resolved> steps, int forks, Duration estimate) {
        err.printf("jrcu bench: %s run, %d measurements (one JMH fork each)%n",
                options.full() ? "full" : "curated", forks);
        for (BenchPlan.Resolved s : steps) {
            StringBuilder b = new StringBuilder("  ").append(String.join(", ", s.benchmarks()));
            s.step().params().forEach((k, v) -> b.append(' ').append(k).append('=').append(String.join(",", v)));
            b.append(s.step().threads() > 0 ? " -t " + s.step().threads() : "");
            b.append(s.step().gcProfiler() ? " -prof gc" : "");
            b.append(s.step().jvmArgs().isEmpty() ? "" : " " + String.join(" ", s.step().jvmArgs()));
            BenchPlan.Timing brief = s.timing(timing);
            b.append(s.step().brief() ? " (brief: warm-up " + brief.warmupIterations() + " × + measurement "
                    + brief.measurementIterations() + " ×)" : "");
            err.println(b.append(": ").append(s.forks()));
        }
        err.printf("time: %d × (warm-up %d × %s + measurement %d × %s + ~%s fork start), brief steps less%s ≈ %s%n",
                forks, timing.warmupIterations(), seconds(timing.warmupTime()), timing.measurementIterations(),
                seconds(timing.measurementTime()), seconds(timing.forkOverhead()),
                options.liburcu() ? " + liburcu" : "", ProgressFormat.clock(estimate.toSeconds()));
        err.flush();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static Map<String, String> about(BenchOptions options, Duration estimate, long elapsedSeconds) {
        Map<String, String> about = new LinkedHashMap<>();
        about.put("date", LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 19));
        about.put("machine", cpuModel() + ", " + Runtime.getRuntime().availableProcessors() + " cores, "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        about.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        about.put("run", (options.full() ? "full" : "curated") + (options.quick() ? ", quick (smoke) iterations" : "")
                + (options.liburcu() ? ", with liburcu" : ""));
        about.put("estimatedSeconds", Long.toString(estimate.toSeconds()));
        about.put("elapsedSeconds", Long.toString(elapsedSeconds));
        return about;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown CPU");
        } catch (IOException | RuntimeException e) {
            return "unknown CPU";
        }
    }

    private static String header(Map<String, String> about) {
        return "jrcu bench, " + about.get("date").replace('T', ' ') + ", " + about.get("machine") + "\n"
                + about.get("jvm") + "; " + about.get("run") + "; " + about.get("elapsedSeconds") + " s\n\n";
    }

    /** What the run prints and writes to table.txt: the header, the main table, the workload table. */
    static String table(Map<String, String> about, BenchReport report, List<Measurement> measurements) {
        String workloads = WorkloadTable.render(measurements);
        return header(about) + report.render() + (workloads.isEmpty() ? "" : "\n" + workloads);
    }

    private static void writeResults(Path folder, List<RunResult> results, BenchReport report,
                                     Map<String, String> about, String table) throws IOException {
        try (PrintStream json = new PrintStream(Files.newOutputStream(folder.resolve("jmh-results.json")), false,
                StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, json).writeOut(results);
        }
        Files.writeString(folder.resolve("summary.json"), SummaryJson.write(about, report));
        Files.writeString(folder.resolve("table.txt"), table);
    }
}
