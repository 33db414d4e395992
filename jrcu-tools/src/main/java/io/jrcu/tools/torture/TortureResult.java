package io.jrcu.tools.torture;

import io.jrcu.RcuStats;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The outcome of one run.
 *
 * @param config             what ran
 * @param elapsed            how long readers and writers ran
 * @param ages               every reader's histogram, merged
 * @param updates            writer replacements: each followed by a grace period and an aging pass (sync), by a
 *                           callback handed to the library (call, retire, defer), or by an arena free (arena,
 *                           arena-fast)
 * @param gracePeriodsByPath sync: grace periods the writers waited for, by the path they used (empty otherwise)
 * @param callbacks          asynchronous modes: what the writers' ledgers saw (empty in sync mode)
 * @param stats              the domain's statistics after the run, once the domain was closed
 * @param arena              {@code arena} and {@code arena-fast}: the arena's use and statistics (empty otherwise)
 * @param misuse             {@code misuse}: what the misuse threads saw (empty otherwise)
 * @param firstError         the earliest oracle error of a reader, if any
 * @param threadFailures     torture threads (or the domain) that threw
 */
public record TortureResult(TortureConfig config, Duration elapsed, AgeHistogram ages, long updates,
                            Map<GracePeriodPath, Long> gracePeriodsByPath, CallbackTally callbacks, RcuStats stats,
                            Optional<ArenaOutcome> arena, Optional<MisuseOutcome> misuse,
                            Optional<OracleError> firstError,
                            List<ThreadFailure> threadFailures) {

    public TortureResult {
        gracePeriodsByPath = Map.copyOf(gracePeriodsByPath);
        threadFailures = List.copyOf(threadFailures);
    }

    /** Observations made by all readers. */
    public long reads() {
        return ages.observations();
    }

    /** Grace periods the domain completed during the run (its closing one included). */
    public long gracePeriods() {
        return stats.gracePeriodsCompleted();
    }

    /** Sync mode: grace periods the writers waited for, all paths together. */
    public long writerGracePeriods() {
        return gracePeriodsByPath.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * Reclamation too early: observations that prove a grace period (or a callback) ended under a reader, plus
     * callbacks that ran before their grace period had completed.
     */
    public long early() {
        return ages.errors() + callbacks.premature();
    }

    /**
     * Every error: early, lost and run-twice callbacks, in the arena modes each arena problem, in misuse mode each
     * accepted misuse and each callback made inside a section that did not run exactly once.
     */
    public long errors() {
        return early() + callbacks.lost() + callbacks.twice() + arenaProblems().size()
                + misuse.map(MisuseOutcome::errors).orElse(0L);
    }

    /** Arena modes: what contradicts the arena's contract ({@link ArenaOutcome#problems()}). */
    public List<String> arenaProblems() {
        return arena.map(ArenaOutcome::problems).orElse(List.of());
    }

    /**
     * Asynchronous modes: whether the domain's own counters agree with the ledgers (every callback issued was queued
     * and invoked once). They are exact after close; a mismatch is a note, the ledgers are the oracle.
     */
    public boolean statsAgree() {
        return !config.mode().callbacks() || (stats.callbacksQueued() == callbacks.issued()
                && stats.callbacksInvoked() == callbacks.issued() && stats.pendingCallbacks() == 0);
    }

    /** No error and no failed thread. */
    public boolean passed() {
        return errors() == 0 && threadFailures.isEmpty();
    }
}
