package io.jrcu;

/**
 * A snapshot of a domain's counters, from {@link Rcu#stats()}. Counters are read one by one without a global lock,
 * so they may be mutually inconsistent by a few in-flight operations.
 *
 * <pre>{@code
 * RcuStats s = rcu.stats();
 * log.info(s.gracePeriodsCompleted() + " grace periods, mean " + s.meanGracePeriodNanos() + " ns, "
 *         + s.pendingCallbacks() + " callbacks pending");
 * }</pre>
 *
 * @param gracePeriodsCompleted grace periods completed since the domain was built (QSBR: one look at the readers
 *                              that completes several tokens counts once)
 * @param meanGracePeriodNanos  mean time from the start of a grace period to its end, over those whose start was
 *                              timed (QSBR: not tokens that only {@code poll} completed)
 * @param maxGracePeriodNanos   longest grace period (of those timed)
 * @param callbacksQueued       callbacks accepted ({@code call}, {@code retire}, {@code defer})
 * @param callbacksInvoked      callbacks that ran (including those that threw)
 * @param callbacksFailed       callbacks that threw (handed to the error handler)
 * @param pendingCallbacks      accepted and not yet run, now
 * @param peakPendingCallbacks  the highest {@code pendingCallbacks} seen
 * @param stallReports          stall reports logged
 * @param backpressureEvents    calls that found the domain over its callback budget
 * @param overshoots            of those, calls from inside a read section or from a callback that were queued
 *                              anyway instead of blocking (and full {@code defer} batches handed on for that reason)
 */
public record RcuStats(long gracePeriodsCompleted, long meanGracePeriodNanos, long maxGracePeriodNanos,
                       long callbacksQueued, long callbacksInvoked, long callbacksFailed, long pendingCallbacks,
                       long peakPendingCallbacks, long stallReports, long backpressureEvents, long overshoots) {
}
