package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command in-process (no System.exit); the end-to-end case runs one tiny JMH fork. */
class BenchMainTest {

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    private int run(Path dir, String... args) {
        try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            return BenchMain.run(List.of(args), out, err, dir);
        }
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpPrintsTheUsageAndRunsNothing(@TempDir Path dir) {
        assertThat(run(dir, "--help")).isZero();
        assertThat(out()).contains("usage: jrcu bench", "--full", "--liburcu", "--out DIR", "--quick");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void unknownOptionIsAUsageErrorWithExit2(@TempDir Path dir) {
        assertThat(run(dir, "--quick", "--frobnicate")).isEqualTo(2);
        assertThat(err()).contains("jrcu bench: unknown option: --frobnicate", "usage: jrcu bench");
        assertThat(out()).isEmpty();
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void onlyThatMatchesNothingIsAUsageError(@TempDir Path dir) {
        assertThat(run(dir, "--only", "NoSuchBenchmark")).isEqualTo(2);
        assertThat(err()).contains("--only NoSuchBenchmark matches no planned benchmark");
    }

    @Test
    void theTablePrintsTheWorkloadTableAfterTheTargetsWhenTheRunMeasuredWorkloads() {
        Map<String, String> about = Map.of("date", "2026-12-07T19:00:00", "machine", "a CPU, 2 cores, Linux amd64",
                "jvm", "a JVM", "run", "curated", "elapsedSeconds", "60");
        List<Measurement> figures = new ArrayList<>(SyntheticRun.figures());
        figures.addAll(WorkloadTableTest.figures());

        String table = BenchMain.table(about, BenchReport.of(figures), figures);
        String withoutWorkloads = BenchMain.table(about, BenchReport.of(SyntheticRun.figures()),
                SyntheticRun.figures());

        assertThat(table).startsWith("jrcu bench, 2026-12-07 19:00:00, a CPU, 2 cores").contains("Targets (issues");
        assertThat(table.indexOf("Which configuration for which workload")).isGreaterThan(table.indexOf("Targets"));
        assertThat(table).contains("read-mostly: 2 readers", "update-heavy: 1 reader");
        assertThat(withoutWorkloads).doesNotContain("Which configuration").contains("Targets (issues");
    }

    @Test
    @Timeout(120)
    void quickRunOfOneBenchmarkWritesTheTableTheJsonAndTheChart(@TempDir Path dir) throws Exception {
        // other JMH runs on a shared machine hold JMH's lock; a smoke run does not need it
        System.setProperty("jmh.ignoreLock", "true");
        Path results = dir.resolve("results");
        int code;
        try {
            code = run(dir, "--quick", "--only", "CallbackThroughput\\.intrusive", "--out", results.toString());
        } finally {
            System.clearProperty("jmh.ignoreLock");
        }

        assertThat(code).as(err()).isZero();
        assertThat(err()).contains("3 measurements", "[1/3] CallbackThroughput.intrusive flavor=memb t=1",
                "[3/3] CallbackThroughput.intrusive flavor=bp t=1");
        assertThat(out()).contains("jrcu memb call() through barrier(), intrusive", "Targets (issues 5, 13, 14 and 15)",
                "results: " + results);
        assertThat(Files.readString(results.resolve("jmh-results.json")))
                .contains("\"benchmark\" : \"io.jrcu.bench.CallbackThroughput.intrusive\"");
        assertThat(Files.readString(results.resolve("summary.json")))
                .contains("\"id\": \"CallbackThroughput.intrusive flavor=memb t=1\"");
        assertThat(results.resolve("table.txt")).isNotEmptyFile();
        assertThat(results.resolve("callbacks.png")).isNotEmptyFile();
    }
}
