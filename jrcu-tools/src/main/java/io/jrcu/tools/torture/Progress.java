package io.jrcu.tools.torture;

import io.jrcu.testkit.Flavor;

import java.time.Duration;

/**
 * A live sample of a run, taken about once a second.
 *
 * @param flavor           the flavor under test
 * @param mode             how the writers reclaim
 * @param elapsed          since the run started
 * @param reads            observations so far
 * @param readsPerSecond   observations per second since the previous sample
 * @param updates          writer replacements so far
 * @param gracePeriods     grace periods the domain completed so far
 * @param callbacksInvoked callbacks the domain ran so far
 * @param errors           oracle errors of the readers so far (lost and twice callbacks are counted at the end)
 */
public record Progress(Flavor flavor, ReclaimMode mode, Duration elapsed, long reads, long readsPerSecond,
                       long updates, long gracePeriods, long callbacksInvoked, long errors) {
}
