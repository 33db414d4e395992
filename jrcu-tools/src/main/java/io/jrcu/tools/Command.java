package io.jrcu.tools;

import java.io.PrintStream;
import java.util.List;

/**
 * One subcommand of {@code bin/jrcu} ({@code torture}, later {@code bench}). {@link Main} dispatches on
 * {@link #name()}; a new command is one more implementation listed in {@link Main}.
 */
public interface Command {

    /** Exit code: the command ran and everything it checked passed. */
    int EXIT_OK = 0;
    /** Exit code: the command ran and found a failure (for torture: an oracle error or a crashed thread). */
    int EXIT_FAILED = 1;
    /** Exit code: the command line was wrong; nothing ran. */
    int EXIT_USAGE = 2;

    /** The word that selects this command on the command line. */
    String name();

    /** One line for the list of commands in the main usage. */
    String summary();

    /** The command's own usage: synopsis and options. */
    void printUsage(PrintStream out);

    /**
     * Runs the command.
     *
     * @param args the arguments after the command name
     * @param out  results (tables)
     * @param err  progress and diagnostics
     * @return the process exit code, {@link #EXIT_OK} or {@link #EXIT_FAILED}
     * @throws UsageException if {@code args} are wrong; nothing has run then
     */
    int run(List<String> args, PrintStream out, PrintStream err) throws UsageException;
}
