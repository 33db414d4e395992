package io.jrcu.tools.torture;

import java.time.Duration;

/**
 * A live sample of a run, taken about once a second.
 *
 * @param flavor         the flavor under test
 * @param elapsed        since the run started
 * @param reads          observations so far
 * @param readsPerSecond observations per second since the previous sample
 * @param updates        writer replacements so far
 * @param gracePeriods   grace periods the writers waited for so far
 * @param errors         oracle errors so far
 */
public record Progress(Flavor flavor, Duration elapsed, long reads, long readsPerSecond, long updates,
                       long gracePeriods, long errors) {
}
