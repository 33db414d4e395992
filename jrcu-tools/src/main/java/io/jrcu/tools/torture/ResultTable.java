package io.jrcu.tools.torture;

import io.jrcu.arena.ArenaStats;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders torture results as a plain-text table, one row per flavor and mode, with notes on failures below it.
 */
final class ResultTable {

    private static final String[] HEADER = {"flavor", "mode", "readers p/v", "writers", "seconds", "reads", "age 1",
            "updates", "grace periods", "cb queued", "cb invoked", "early", "lost", "twice", "errors", "result"};
    /** Text columns are left-aligned; the others (numbers) right-aligned. */
    private static final boolean[] LEFT = {true, true, false, false, false, false, false, false, false, false, false,
            false, false, false, false, true};

    private ResultTable() {
    }

    static String render(List<TortureResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (TortureResult r : results) {
            TortureConfig c = r.config();
            boolean callbacks = c.mode().callbacks();
            rows.add(new String[]{
                    c.flavor().shortName() + (c.skipReaderWait() ? " *" : ""),
                    c.mode().cliName(),
                    c.platformReaders() + "/" + c.virtualReaders(),
                    Integer.toString(c.writers()),
                    String.format(Locale.ROOT, "%.1f", r.elapsed().toNanos() / 1e9),
                    count(r.reads()),
                    count(r.ages().age1()),
                    count(r.updates()),
                    count(r.gracePeriods()),
                    count(r.stats().callbacksQueued()),
                    count(r.stats().callbacksInvoked()),
                    count(r.early()),
                    callbacks ? count(r.callbacks().lost()) : "-",
                    callbacks ? count(r.callbacks().twice()) : "-",
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
        boolean anyCallbacks = false;
        boolean anyArena = false;
        boolean anyMisuse = false;
        for (TortureResult r : results) {
            faulted |= r.config().skipReaderWait();
            anyCallbacks |= r.config().mode().callbacks();
            anyArena |= r.arena().isPresent();
            anyMisuse |= r.misuse().isPresent();
            String run = r.config().flavor().shortName() + "/" + r.config().mode().cliName();
            if (r.early() > 0 && r.arena().isPresent()) {
                out.append(run).append(": early = ").append(count(r.ages().freed()))
                        .append(" segments poisoned or overwritten under a reader\n");
            } else if (r.early() > 0) {
                AgeHistogram a = r.ages();
                out.append(run).append(": early = ").append(count(a.age2OrMore())).append(" age >=2 + ")
                        .append(count(a.freed())).append(" freed");
                if (r.config().mode().callbacks()) {
                    out.append(" + ").append(count(r.callbacks().premature()))
                            .append(" callbacks before their grace period");
                }
                out.append('\n');
            }
            r.firstError().ifPresent(e -> out.append(run).append(": first error ").append(e.describe())
                    .append('\n'));
            r.callbacks().firstError().ifPresent(e -> out.append(run).append(": first callback error ").append(e)
                    .append('\n'));
            if (!r.statsAgree()) {
                out.append(run).append(": the domain's stats disagree with the ledgers: ")
                        .append(count(r.callbacks().issued())).append(" callbacks issued, stats say ")
                        .append(count(r.stats().callbacksQueued())).append(" queued, ")
                        .append(count(r.stats().callbacksInvoked())).append(" invoked, ")
                        .append(count(r.stats().pendingCallbacks())).append(" pending after close\n");
            }
            r.arena().ifPresent(a -> arenaNote(run, a, out));
            for (String problem : r.arenaProblems()) {
                out.append(run).append(": ARENA ").append(problem).append('\n');
            }
            r.misuse().ifPresent(m -> misuseNote(run, m, out));
            for (ThreadFailure f : r.threadFailures()) {
                out.append(run).append(": thread '").append(f.thread()).append("' failed: ").append(f.cause())
                        .append('\n');
            }
        }
        if (faulted) {
            out.append("* fault injected (skip-reader-wait): grace periods do not wait for readers, so these runs"
                    + " must FAIL; that proves the oracle catches a broken grace period\n");
        }
        out.append("age 1: reads of an object already removed (legal: readers race removals). early: a reader saw an"
                + " object after a grace period\nor callback had ended (age >=2 or freed)");
        out.append(anyCallbacks ? ", or a callback ran before its grace period" : "")
                .append(anyArena ? ", or a segment's bytes were poisoned or overwritten" : "").append(".\n");
        if (anyCallbacks) {
            out.append("call/retire/defer: writers hand the old object to the library; its callback ages and frees"
                    + " it. lost: issued before a\nbarrier() checkpoint, not run after it. twice: run again (or after"
                    + " being counted lost). cb queued/invoked: rcu.stats().\n");
        }
        if (anyArena) {
            out.append("arena: writers publish segments of an RcuArena (debug: freed memory is poisoned before reuse)"
                    + " and free the ones they\nreplace; readers check every byte. arena-fast: the same without debug,"
                    + " through the per-thread caches (no\npoison: memory reused too early holds another generation's"
                    + " bytes). age 1: a segment replaced while read (legal).\nARENA: the arena broke its stats"
                    + " contract.\n");
        }
        if (anyMisuse) {
            out.append("misuse: as sync, with " + Torture.MISUSE_THREADS + " more readers that misuse the domain inside"
                    + " and outside their sections; each misuse call must\nthrow its documented exception (MISUSE:"
                    + " accepted), and a grace period or close() that takes " + TortureWriter.STALL_LIMIT.toSeconds()
                    + " s is a stalled domain.\n");
        }
    }

    /** Misuse mode: the calls refused and accepted, and the legal callbacks made inside sections. */
    private static void misuseNote(String run, MisuseOutcome m, StringBuilder out) {
        long kindsRefused = m.refused().values().stream().filter(n -> n > 0).count();
        out.append(run).append(": ").append(count(m.refusedTotal())).append(" misuse calls of ")
                .append(kindsRefused).append(" kinds refused, ").append(count(m.acceptedTotal()))
                .append(" accepted; ").append(count(m.callbacksIssued())).append(" callbacks made inside sections")
                .append(m.domainClosed() ? ", " + count(m.callbacksRan()) + " runs" : " (not counted: the domain"
                        + " did not close)").append('\n');
        m.firstAcceptance().ifPresent(a -> out.append(run).append(": first accepted misuse ").append(a)
                .append('\n'));
        for (String problem : m.problems()) {
            out.append(run).append(": MISUSE ").append(problem).append('\n');
        }
    }

    /** One line about the arena of an arena run: use, peak, and the stats once all was freed and once closed. */
    private static void arenaNote(String run, ArenaOutcome a, StringBuilder out) {
        out.append(run).append(": ").append(count(a.segments())).append(" segments (")
                .append(count(a.largeSegments())).append(" above the chunk size), ")
                .append(count(a.gracePeriods())).append(" writer grace periods")
                .append(a.cacheFlushes() > 0 ? ", " + count(a.cacheFlushes()) + " thread-cache flushes" : "")
                .append("; bytesReserved peak ")
                .append(kib(a.peakReserved())).append(" (bound ").append(kib(a.reservedBound())).append(")\n")
                .append(" ".repeat(run.length() + 2)).append("all freed: ").append(stats(a.quiescent()))
                .append("; closed: ").append(stats(a.closed())).append('\n');
    }

    private static String stats(ArenaStats s) {
        return "reserved " + kib(s.bytesReserved()) + " = in use " + kib(s.bytesInUse()) + " + pending "
                + kib(s.bytesPendingFree()) + " + free " + kib(s.bytesFree());
    }

    private static String kib(long bytes) {
        return String.format(Locale.ROOT, "%,.1f KiB", bytes / 1024.0);
    }

    private static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }
}
