package io.jrcu.tools.torture;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the misuse threads of a {@code misuse} run saw: per kind of {@link Misuse}, the calls refused with the
 * documented exception and those accepted (each an error), and the legal calls they made inside sections, whose
 * callbacks must each have run once when the domain closed.
 *
 * @param refused          misuse calls refused, by kind
 * @param accepted         misuse calls that returned normally or threw another exception, by kind — ERRORS
 * @param firstAcceptance  the first accepted misuse, described
 * @param callbacksIssued  callbacks queued by legal {@code call} and {@code defer} inside sections
 * @param callbacksRan     runs of those callbacks, counted once the domain was closed
 * @param domainClosed     whether the domain's {@code close()} returned in time (else a grace period stalls, and
 *                         the callbacks are not counted)
 */
public record MisuseOutcome(Map<Misuse, Long> refused, Map<Misuse, Long> accepted, Optional<String> firstAcceptance,
                            long callbacksIssued, long callbacksRan, boolean domainClosed) {

    public MisuseOutcome {
        refused = Map.copyOf(refused);
        accepted = Map.copyOf(accepted);
    }

    /** Misuse calls refused, all kinds together. */
    public long refusedTotal() {
        return refused.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Misuse calls accepted, all kinds together. */
    public long acceptedTotal() {
        return accepted.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Accepted misuse, plus callbacks lost or run twice (counted only if the domain closed). */
    public long errors() {
        return acceptedTotal() + (domainClosed ? Math.abs(callbacksIssued - callbacksRan) : 0);
    }

    /** One line per kind of misuse accepted, and one if the callbacks did not all run once. */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        Map<Misuse, Long> sorted = new EnumMap<>(Misuse.class);
        sorted.putAll(accepted);
        sorted.forEach((kind, n) -> {
            if (n > 0) {
                problems.add(kind + ": accepted " + n + " time(s), refused " + refused.getOrDefault(kind, 0L));
            }
        });
        if (domainClosed && callbacksIssued != callbacksRan) {
            problems.add(callbacksIssued + " callbacks queued inside sections, " + callbacksRan
                    + " runs once the domain closed: lost or run twice");
        }
        return problems;
    }
}
