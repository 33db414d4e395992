package io.jrcu.tools.torture;

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
 * @param updates            writer replacements, each followed by a grace period and an aging pass
 * @param gracePeriodsByPath grace periods the writers waited for, by the path they used
 * @param firstError         the earliest oracle error, if any
 * @param threadFailures     torture threads (or the domain) that threw
 */
public record TortureResult(TortureConfig config, Duration elapsed, AgeHistogram ages, long updates,
                            Map<GracePeriodPath, Long> gracePeriodsByPath, Optional<OracleError> firstError,
                            List<ThreadFailure> threadFailures) {

    public TortureResult {
        gracePeriodsByPath = Map.copyOf(gracePeriodsByPath);
        threadFailures = List.copyOf(threadFailures);
    }

    /** Observations made by all readers. */
    public long reads() {
        return ages.observations();
    }

    /** Grace periods the writers waited for, all paths together. */
    public long gracePeriods() {
        return gracePeriodsByPath.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Observations that prove a grace period too short. */
    public long errors() {
        return ages.errors();
    }

    /** No oracle error and no failed thread. */
    public boolean passed() {
        return errors() == 0 && threadFailures.isEmpty();
    }
}
