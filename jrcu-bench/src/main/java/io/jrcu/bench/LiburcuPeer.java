package io.jrcu.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * {@code --liburcu}: compiles {@code liburcu_peer.c} (shipped in the benchmark jar, source in
 * {@code jrcu-bench/src/main/c}) against the system's liburcu with gcc, runs it, and turns its
 * {@code liburcu metric=… key=value …} lines into {@link Measurement}s named {@code liburcu.<metric>}.
 */
final class LiburcuPeer {

    static final String SOURCE = "liburcu_peer.c";
    private static final List<String> LIBRARIES = List.of("-lurcu-memb", "-lurcu-qsbr", "-lurcu-bp",
            "-lurcu-common", "-lpthread");

    private LiburcuPeer() {
    }

    /** Where liburcu's headers are (Debian puts them under /usr/include/&lt;multiarch&gt;/), if anywhere. */
    static Optional<Path> findHeaders(Path include) {
        Path direct = include.resolve("urcu/urcu-memb.h");
        if (Files.isRegularFile(direct)) {
            return Optional.of(direct.getParent());
        }
        try (var dirs = Files.list(include)) {
            return dirs.map(d -> d.resolve("urcu/urcu-memb.h")).filter(Files::isRegularFile).map(Path::getParent)
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The seconds each figure runs for and the bulk callback count, for a plan's timing. */
    static List<String> arguments(BenchPlan.Timing timing) {
        double seconds = timing.measurementTime().toMillis() / 1000.0 * timing.measurementIterations();
        long bulk = seconds < 1 ? 200_000 : 2_000_000;
        return List.of(Double.toString(Math.min(seconds, 3)), Long.toString(bulk));
    }

    /** Rough wall time of the program with {@link #arguments}: per flavor four timed figures and the bulk one. */
    static Duration estimate(BenchPlan.Timing timing) {
        double seconds = Double.parseDouble(arguments(timing).get(0));
        return Duration.ofMillis((long) (3 * (4 * seconds + 0.5) * 1000) + 1000);
    }

    /**
     * Compiles and runs the program in {@code workDir}; returns its figures, or empty after saying on
     * {@code progress} why liburcu could not be measured (nothing here stops the rest of the run).
     */
    static List<Measurement> run(Path workDir, BenchPlan.Timing timing, PrintStream progress) {
        Optional<Path> headers = findHeaders(Path.of("/usr/include"));
        if (headers.isEmpty()) {
            progress.println("liburcu: not found (no urcu/urcu-memb.h under /usr/include); install liburcu-dev "
                    + "(Debian/Ubuntu) to compare with it. Continuing without it.");
            return List.of();
        }
        try {
            Files.createDirectories(workDir);
            Path source = workDir.resolve(SOURCE);
            try (InputStream in = LiburcuPeer.class.getResourceAsStream(SOURCE)) {
                if (in == null) {
                    progress.println("liburcu: " + SOURCE + " is missing from the benchmark jar; skipped");
                    return List.of();
                }
                Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            Path binary = workDir.resolve("liburcu_peer");
            List<String> gcc = new ArrayList<>(List.of("gcc", "-O2", "-o", binary.toString(), source.toString()));
            gcc.addAll(LIBRARIES);
            Result compiled = exec(gcc, workDir.resolve("gcc.log"), Duration.ofMinutes(2));
            if (compiled.exit != 0) {
                progress.println("liburcu: gcc failed (exit " + compiled.exit + "), see " + workDir.resolve("gcc.log")
                        + "; continuing without it");
                return List.of();
            }
            List<String> command = new ArrayList<>(List.of(binary.toString()));
            command.addAll(arguments(timing));
            Result ran = exec(command, workDir.resolve("liburcu_peer.out"), Duration.ofMinutes(5));
            if (ran.exit != 0) {
                progress.println("liburcu: the program failed (exit " + ran.exit + "), see "
                        + workDir.resolve("liburcu_peer.out") + "; continuing without it");
                return List.of();
            }
            return parse(ran.lines);
        } catch (IOException e) {
            progress.println("liburcu: " + e.getMessage() + "; continuing without it");
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    private record Result(int exit, List<String> lines) {
    }

    private static Result exec(List<String> command, Path log, Duration timeout)
            throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            p.waitFor();
            return new Result(-1, List.of());
        }
        return new Result(p.exitValue(), Files.readAllLines(log, StandardCharsets.UTF_8));
    }

    /**
     * The figures of the program's output: every line starting with {@code liburcu } is
     * {@code liburcu metric=M flavor=F threads=N mode=avgt|sample|thrpt score=X [p50=X p99=X] unit=U [key=value…]};
     * other lines are ignored. Extra keys (such as {@code readers}) become parameters.
     *
     * @throws IllegalArgumentException for a {@code liburcu} line that is not of that form
     */
    static List<Measurement> parse(List<String> lines) {
        List<Measurement> out = new ArrayList<>();
        for (String line : lines) {
            if (!line.startsWith("liburcu ")) {
                continue;
            }
            Map<String, String> fields = new HashMap<>();
            for (String token : line.substring("liburcu ".length()).trim().split("\\s+")) {
                int eq = token.indexOf('=');
                if (eq <= 0 || eq == token.length() - 1) {
                    throw new IllegalArgumentException("liburcu line: bad field '" + token + "' in: " + line);
                }
                fields.put(token.substring(0, eq), token.substring(eq + 1));
            }
            try {
                String metric = required(fields, "metric", line);
                String mode = required(fields, "mode", line);
                String unit = required(fields, "unit", line);
                int threads = Integer.parseInt(required(fields, "threads", line));
                double score = Double.parseDouble(required(fields, "score", line));
                Map<String, String> params = new HashMap<>(fields);
                for (String k : List.of("metric", "mode", "unit", "threads", "score", "p50", "p99")) {
                    params.remove(k);
                }
                String benchmark = "liburcu." + metric;
                out.add(switch (mode) {
                    case "thrpt" -> Measurement.throughput(benchmark, params, threads,
                            Measurement.toOpsPerSecond(score, unit));
                    case "avgt" -> Measurement.time(benchmark, params, threads, Measurement.toNanosPerOp(score, unit));
                    case "sample" -> Measurement.sampled(benchmark, params, threads,
                            Measurement.toNanosPerOp(score, unit),
                            Measurement.toNanosPerOp(Double.parseDouble(required(fields, "p50", line)), unit),
                            Measurement.toNanosPerOp(Double.parseDouble(required(fields, "p99", line)), unit));
                    default -> throw new IllegalArgumentException("liburcu line: unknown mode " + mode + ": " + line);
                });
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("liburcu line: bad number in: " + line, e);
            }
        }
        return out;
    }

    private static String required(Map<String, String> fields, String key, String line) {
        String v = fields.get(key);
        if (v == null) {
            throw new IllegalArgumentException("liburcu line: no " + key + "= in: " + line);
        }
        return v;
    }
}
