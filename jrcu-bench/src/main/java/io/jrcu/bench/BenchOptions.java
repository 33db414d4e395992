package io.jrcu.bench;

import java.io.Serial;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The command line of {@code bin/jrcu bench}; see {@link #USAGE}.
 *
 * @param full     run every benchmark with all its parameters and longer iterations instead of the curated subset
 * @param quick    tiny iterations (a smoke run: the figures mean little)
 * @param liburcu  also build and run the liburcu program when the system has liburcu
 * @param verbose  show JMH's own output besides the one progress line per measurement
 * @param help     print the usage and run nothing
 * @param out      the results folder, if given; else {@link #resultsFolder}'s default
 * @param only     keep only the planned benchmarks whose name ({@code ReadSide.read}) this finds, if given
 */
public record BenchOptions(boolean full, boolean quick, boolean liburcu, boolean verbose, boolean help,
                           Optional<Path> out, Optional<Pattern> only) {

    public static final String USAGE = """
            usage: jrcu bench [--full] [--quick] [--liburcu] [--out DIR] [--only REGEX] [--verbose]

            Runs jrcu's benchmarks and its peers' in one JMH session and prints one table: each figure, its ratio
            to the limit (a plain volatile read, for the read side) and jrcu's ratio to each peer, then whether
            each target is met, and which configuration wins which workload. Writes the raw JMH results (JSON), a
            summary (JSON) and charts (PNG) to a results folder and prints its name. The default, curated run
            takes about 6 minutes on 2 cores.

            options:
              --full        every benchmark, every parameter, longer iterations (tens of minutes)
              --quick       tiny iterations: a smoke run whose figures mean little
              --liburcu     also measure the system's liburcu (Debian: liburcu-dev; needs gcc) in the same table
              --out DIR     results folder (default: bench-results/<yyyyMMdd-HHmmss>/ under the current folder)
              --only REGEX  run only the planned benchmarks whose name (e.g. ReadSide.read) matches REGEX
              --verbose     show JMH's own output as well
              -h, --help    show this message
            """;

    /** A command line the bench command refuses; the caller prints the message and {@link #USAGE}, exits 2. */
    public static final class UsageException extends Exception {
        @Serial
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** Parses the arguments after {@code bench}. */
    public static BenchOptions parse(List<String> args) throws UsageException {
        boolean full = false;
        boolean quick = false;
        boolean liburcu = false;
        boolean verbose = false;
        boolean help = false;
        Path out = null;
        Pattern only = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--full" -> full = true;
                case "--quick" -> quick = true;
                case "--liburcu" -> liburcu = true;
                case "--verbose", "-v" -> verbose = true;
                case "--help", "-h" -> help = true;
                case "--out" -> out = Path.of(value(args, ++i, arg));
                case "--only" -> {
                    String regex = value(args, ++i, arg);
                    try {
                        only = Pattern.compile(regex);
                    } catch (PatternSyntaxException e) {
                        throw new UsageException("--only: not a regular expression: " + regex);
                    }
                }
                default -> throw new UsageException("unknown option: " + arg);
            }
        }
        return new BenchOptions(full, quick, liburcu, verbose, help, Optional.ofNullable(out),
                Optional.ofNullable(only));
    }

    private static String value(List<String> args, int index, String option) throws UsageException {
        if (index >= args.size() || args.get(index).startsWith("--")) {
            throw new UsageException(option + " needs a value");
        }
        return args.get(index);
    }

    /** {@code --out}, or {@code bench-results/<yyyyMMdd-HHmmss>} under {@code workingDir}, stamped with {@code now}. */
    public Path resultsFolder(Path workingDir, LocalDateTime now) {
        return out.orElseGet(() -> workingDir.resolve("bench-results")
                .resolve(now.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))));
    }
}
