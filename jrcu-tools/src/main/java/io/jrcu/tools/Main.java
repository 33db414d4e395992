package io.jrcu.tools;

import io.jrcu.tools.torture.TortureCommand;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of {@code bin/jrcu}: {@code jrcu <command> [options]}. The commands are listed in {@link #COMMANDS}
 * ({@code bench} is listed too, but {@code bin/jrcu} runs it from the jrcu-bench module's jar);
 * {@code help} or no arguments print the usage; an unknown command or a bad option prints the usage on stderr and
 * exits with {@link Command#EXIT_USAGE}.
 */
public final class Main {

    private static final List<Command> COMMANDS = List.of(new TortureCommand());
    /** Listed in the usage, but run by bin/jrcu from the jrcu-bench module's jar (io.jrcu.bench.BenchMain). */
    private static final String BENCH = "bench";

    private Main() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.err.flush();
        System.exit(code);
    }

    /** Runs one command line and returns the process exit code; never calls {@link System#exit}. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || isHelp(args[0])) {
            if (args.length > 1) {
                Command command = find(args[1]);
                if (command == null) {
                    return unknownCommand(args[1], err);
                }
                command.printUsage(out);
            } else {
                usage(out);
            }
            return Command.EXIT_OK;
        }
        Command command = find(args[0]);
        if (command == null) {
            return unknownCommand(args[0], err);
        }
        List<String> rest = Arrays.asList(args).subList(1, args.length);
        if (rest.contains("-h") || rest.contains("--help")) {
            command.printUsage(out);
            return Command.EXIT_OK;
        }
        try {
            return command.run(rest, out, err);
        } catch (UsageException e) {
            err.println("jrcu " + command.name() + ": " + e.getMessage());
            err.println();
            command.printUsage(err);
            return Command.EXIT_USAGE;
        }
    }

    private static boolean isHelp(String arg) {
        return arg.equals("help") || arg.equals("-h") || arg.equals("--help");
    }

    private static Command find(String name) {
        return COMMANDS.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }

    private static int unknownCommand(String name, PrintStream err) {
        if (name.equals(BENCH)) {
            err.println("jrcu: 'bench' lives in jrcu-bench's benchmarks.jar: run it as bin/jrcu bench");
            return Command.EXIT_USAGE;
        }
        err.println("jrcu: unknown command: " + name);
        err.println();
        usage(err);
        return Command.EXIT_USAGE;
    }

    private static void usage(PrintStream s) {
        s.println("usage: jrcu <command> [options]");
        s.println();
        s.println("commands:");
        for (Command c : COMMANDS) {
            s.printf("  %-10s %s%n", c.name(), c.summary());
        }
        s.printf("  %-10s %s%n", BENCH, "benchmarks beside the peers and liburcu in one table (bin/jrcu bench --help;");
        s.printf("  %-10s %s%n", "", "bin/jrcu runs it from jrcu-bench's benchmarks.jar, not from this jar)");
        s.printf("  %-10s %s%n", "help", "show this message; 'help <command>' shows the command's options");
    }
}
