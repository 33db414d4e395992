package io.jrcu.tools.torture;

import io.jrcu.testkit.Flavor;
import io.jrcu.tools.Command;
import io.jrcu.tools.UsageException;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code jrcu torture}: a short torture run of each selected flavor in each selected reclamation mode, live progress
 * on stderr, a table on stdout, exit 1 if any run had an error.
 */
public final class TortureCommand implements Command {

    /** The one fault {@code --inject-fault} knows. */
    static final String SKIP_READER_WAIT = "skip-reader-wait";
    private static final double MAX_SECONDS = 86_400;

    @Override
    public String name() {
        return "torture";
    }

    @Override
    public String summary() {
        return "rcutorture-style check of every flavor: no reader may see an object a grace period after its removal";
    }

    @Override
    public void printUsage(PrintStream out) {
        out.println("usage: jrcu torture [--flavor memb|qsbr|bp|all] [--mode " + ReclaimMode.cliNames() + "|all]");
        out.println("                    [--seconds N] [--readers N] [--virtual-readers N] [--writers N]");
        out.println("                    [--barrier-every N] [--inject-fault " + SKIP_READER_WAIT + "]");
        out.println();
        out.println("Writers keep replacing a shared object and age every object they removed by one per grace");
        out.println("period; readers record the ages they see while protected. Age >= 2, or a freed object, means a");
        out.println("grace period ended under a reader: an error. In the callback modes the writer does not wait:");
        out.println("it hands the old object to the library, whose callback ages and frees it after a grace period;");
        out.println("each callback has an id, and at every barrier() checkpoint each id issued before must have run");
        out.println("exactly once (lost and twice are errors too).");
        out.println();
        out.println("The arena modes torture RcuArena, off-heap memory whose free waits for readers: writers allocate");
        out.println("segments of 16 B to 4 KiB (now and then one larger than the arena's chunk), fill each with a");
        out.println("pattern derived from a generation number, publish it in one of a few RcuReference slots and free");
        out.println("the segment they replaced. In arena the arena runs in debug mode, which fills freed memory with");
        out.println("POISON (0xA5) after its grace period, before reuse. In arena-fast it does not: writers allocate");
        out.println("and free through their per-thread caches (one writer also hands its cache back now and then),");
        out.println("and memory reused too early holds another generation's bytes. Readers check every byte of the");
        out.println("segment they hold: POISON or another generation's bytes mean memory was freed or reused under a");
        out.println("reader, an error. At the end the arena's stats must stay within a bound, add up, and show");
        out.println("nothing in use after close().");
        out.println();
        out.println("The misuse mode runs sync beside two more readers that misuse the domain inside and outside");
        out.println("their sections (readUnlock() without readLock(), synchronize(), barrier() or close() inside a");
        out.println("section, a callback queued twice; qsbr: quiescent() or offline() inside one; bp: a token");
        out.println("unlocked twice, forged, or of another domain): each call must throw its documented exception");
        out.println("(one that does not is an error), no reader may see an aged object, and a grace period or");
        out.println("close() that takes " + TortureWriter.STALL_LIMIT.toSeconds()
                + " s is a stalled domain, a failure.");
        out.println();
        out.println("The map mode tortures RcuLongMap: each value names its key and a generation; writers overwrite,");
        out.println("remove and reinsert their keys at full speed and now and then insert and remove a burst of 2048");
        out.println("more (the table grows and shrinks); readers look keys up and now and then traverse the map,");
        out.println("lingering. Another key's value, a value never stored, or a table released under a reader is an");
        out.println("error; the map's off-heap bytes must stay within a bound, and be 0 once it is closed.");
        out.println("The bytesmap mode does the same to an RcuBytesMap with a debug arena: 16-byte keys, 100-byte");
        out.println("values embedding their key and a generation, checked byte for byte (copied out, or held as a");
        out.println("view across a linger inside a section); poison, torn or foreign bytes are an error.");
        out.println("Progress on stderr, a table on stdout; exit 1 on any error.");
        out.println();
        out.println("options:");
        out.println("  --flavor F           memb, qsbr, bp, a comma-separated list, or all (default: all)");
        out.println("  --mode M             how writers reclaim, a comma-separated list, or all (default: sync);");
        out.println("                       all runs every mode in turn for each flavor, --seconds each");
        for (ReclaimMode m : ReclaimMode.values()) {
            out.printf(Locale.ROOT, "                         %-10s %s%n", m.cliName(), m.description());
        }
        out.println("  --seconds N          seconds per flavor and mode, fractions allowed (default: "
                + TortureConfig.DEFAULT_DURATION.toSeconds() + ")");
        out.println("  --readers N          platform reader threads (default: " + TortureConfig.DEFAULT_PLATFORM_READERS
                + ")");
        out.println("  --virtual-readers N  virtual reader threads for memb and bp (default: "
                + TortureConfig.DEFAULT_VIRTUAL_READERS + "); qsbr refuses");
        out.println("                       them: its readers are registered online threads that report quiescent");
        out.println("                       states (with 'all', qsbr runs without them)");
        out.println("  --writers N          writer threads (default: " + TortureConfig.DEFAULT_WRITERS + ")");
        out.println("  --barrier-every N    call/retire/defer: each writer calls barrier() after N callbacks");
        out.println("                       and checks them (default: " + TortureConfig.DEFAULT_BARRIER_EVERY
                + "; this also bounds the garbage in flight)");
        out.println("  --inject-fault " + SKIP_READER_WAIT);
        out.println("                       for proving the oracle works: grace periods stop waiting for readers,");
        out.println("                       so the run must FAIL (exit 1)");
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        List<TortureConfig> configs = parse(args);
        if (configs.stream().anyMatch(c -> c.skipReaderWait() && (c.mode().map() || c.mode().bytesMap()))) {
            // before the first map is built: a table the fault frees under a reader then fails that reader's load
            // with an IllegalStateException (an error the oracle reports) instead of reading freed memory. Read once,
            // when the map's table class is first used: in a JVM that used a map before this call it comes too late
            // (the tools' test JVM sets it on its command line for that reason)
            System.setProperty("jrcu.map.checkedReads", "true");
        }
        err.printf(Locale.ROOT, "jrcu torture: %s; mode %s; %s s each, on Java %s with %d CPUs%n",
                String.join(", ", configs.stream().map(c -> c.flavor().shortName()).distinct().toList()),
                String.join(", ", configs.stream().map(c -> c.mode().cliName()).distinct().toList()),
                seconds(configs.getFirst().duration()), Runtime.version(),
                Runtime.getRuntime().availableProcessors());
        List<TortureResult> results = new ArrayList<>();
        for (TortureConfig config : configs) {
            err.printf(Locale.ROOT, "%s %s: %d platform + %d virtual readers, %d writer%s%s%s%n",
                    config.flavor().shortName(), config.mode().cliName(), config.platformReaders(),
                    config.virtualReaders(), config.writers(), config.writers() == 1 ? "" : "s",
                    config.mode().callbacks() ? ", barrier every " + config.barrierEvery() + " callbacks" : "",
                    config.skipReaderWait() ? ", FAULT INJECTED: " + SKIP_READER_WAIT : "");
            TortureResult result;
            try {
                result = Torture.run(config, p -> printProgress(p, err));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println("jrcu torture: interrupted");
                return EXIT_FAILED;
            } catch (IllegalStateException hang) {
                err.println("jrcu torture: " + config.flavor().shortName() + " " + config.mode().cliName()
                        + " did not finish: " + hang.getMessage());
                return EXIT_FAILED;
            }
            for (ThreadFailure f : result.threadFailures()) {
                err.println("jrcu torture: thread '" + f.thread() + "' failed:");
                f.cause().printStackTrace(err);
            }
            results.add(result);
        }
        out.println();
        out.print(ResultTable.render(results));
        out.flush();
        return results.stream().allMatch(TortureResult::passed) ? EXIT_OK : EXIT_FAILED;
    }

    private static void printProgress(Progress p, PrintStream err) {
        err.printf(Locale.ROOT, "  %-4s %-10s %3d s  reads %,13d (%,11d/s)  updates %,11d  grace periods %,9d"
                        + "  callbacks %,11d  errors %,d%n",
                p.flavor().shortName(), p.mode().cliName(), Math.round(p.elapsed().toMillis() / 1000.0), p.reads(),
                p.readsPerSecond(), p.updates(), p.gracePeriods(), p.callbacksInvoked(), p.errors());
        err.flush();
    }

    /** The runs {@code args} ask for, in order. */
    static List<TortureConfig> parse(List<String> args) throws UsageException {
        Set<Flavor> flavors = new LinkedHashSet<>(List.of(Flavor.values()));
        boolean flavorsNamed = false;
        Set<ReclaimMode> modes = new LinkedHashSet<>(List.of(ReclaimMode.SYNC));
        int barrierEvery = TortureConfig.DEFAULT_BARRIER_EVERY;
        Duration duration = TortureConfig.DEFAULT_DURATION;
        int platformReaders = TortureConfig.DEFAULT_PLATFORM_READERS;
        Integer virtualReaders = null;
        int writers = TortureConfig.DEFAULT_WRITERS;
        boolean skipReaderWait = false;

        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            String option = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                option = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!option.startsWith("--")) {
                throw new UsageException("unexpected argument '" + arg + "'");
            }
            if (value == null) {
                if (i + 1 >= args.size()) {
                    throw new UsageException(option + " needs a value");
                }
                value = args.get(++i);
            }
            switch (option) {
                case "--flavor" -> {
                    flavors = parseFlavors(value);
                    flavorsNamed = !value.equals("all");
                }
                case "--mode" -> modes = parseModes(value);
                case "--barrier-every" -> barrierEvery = parseCount(option, value);
                case "--seconds" -> duration = parseSeconds(value);
                case "--readers" -> platformReaders = parseCount(option, value);
                case "--virtual-readers" -> virtualReaders = parseCount(option, value);
                case "--writers" -> writers = parseCount(option, value);
                case "--inject-fault" -> {
                    if (!value.equals(SKIP_READER_WAIT)) {
                        throw new UsageException("unknown fault '" + value + "' (known: " + SKIP_READER_WAIT + ")");
                    }
                    skipReaderWait = true;
                }
                default -> throw new UsageException("unknown option '" + option + "'");
            }
        }

        List<TortureConfig> configs = new ArrayList<>();
        for (Flavor flavor : flavors) {
            int virtual;
            if (virtualReaders == null) {
                virtual = TortureConfig.defaultVirtualReaders(flavor);
            } else if (!flavor.readersMayBlock() && !flavorsNamed) {
                virtual = 0; // 'all': the option is for the flavors that take virtual readers
            } else {
                virtual = virtualReaders;
            }
            for (ReclaimMode mode : modes) {
                try {
                    configs.add(new TortureConfig(flavor, mode, duration, platformReaders, virtual, writers,
                            barrierEvery, skipReaderWait));
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
        }
        return configs;
    }

    private static Set<Flavor> parseFlavors(String value) throws UsageException {
        if (value.equals("all")) {
            return new LinkedHashSet<>(List.of(Flavor.values()));
        }
        Set<Flavor> flavors = new LinkedHashSet<>();
        for (String name : value.split(",", -1)) {
            try {
                flavors.add(Flavor.named(name.trim()));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--flavor: unknown flavor '" + name.trim() + "' (known: " + Flavor.shortNames()
                        + "|all)");
            }
        }
        return flavors;
    }

    private static Set<ReclaimMode> parseModes(String value) throws UsageException {
        if (value.equals("all")) {
            return new LinkedHashSet<>(List.of(ReclaimMode.values()));
        }
        Set<ReclaimMode> modes = new LinkedHashSet<>();
        for (String name : value.split(",", -1)) {
            try {
                modes.add(ReclaimMode.byCliName(name.trim()));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--mode: unknown mode '" + name.trim() + "' (known: "
                        + ReclaimMode.cliNames() + "|all)");
            }
        }
        return modes;
    }

    private static Duration parseSeconds(String value) throws UsageException {
        double seconds;
        try {
            seconds = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new UsageException("--seconds: not a number: '" + value + "'");
        }
        if (!(seconds > 0 && seconds <= MAX_SECONDS)) {
            throw new UsageException("--seconds must be above 0 and at most " + (long) MAX_SECONDS + " (got "
                    + value + ")");
        }
        return Duration.ofNanos(Math.round(seconds * 1e9));
    }

    private static int parseCount(String option, String value) throws UsageException {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new UsageException(option + ": not a whole number: '" + value + "'");
        }
    }

    private static String seconds(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 9).stripTrailingZeros().toPlainString();
    }
}
