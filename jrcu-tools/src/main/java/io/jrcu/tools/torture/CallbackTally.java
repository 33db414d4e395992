package io.jrcu.tools.torture;

import java.util.Optional;

/**
 * What the ledgers of the asynchronous writers saw (all zero in {@code sync} mode).
 *
 * @param issued     callbacks handed to the library, each with its own id
 * @param ran        callback runs recorded (twice-run ones counted each time)
 * @param barriers   barrier checkpoints passed (the last one at the end of the run)
 * @param lost       ids issued before a checkpoint that had not run when its barrier returned — an ERROR
 * @param twice      ids run a second time (or run after their checkpoint had counted them lost) — an ERROR
 * @param premature  callbacks that ran before the grace period of the cookie taken at their removal had
 *                   completed — an ERROR (early, seen by the callback itself rather than by a reader)
 * @param firstError the first of these errors, described
 */
public record CallbackTally(long issued, long ran, long barriers, long lost, long twice, long premature,
                            Optional<String> firstError) {

    public static final CallbackTally EMPTY = new CallbackTally(0, 0, 0, 0, 0, 0, Optional.empty());

    /** Lost, twice and premature callbacks. */
    public long errors() {
        return lost + twice + premature;
    }

    /** Both tallies; the first error of this one if it has one, else the other's. */
    public CallbackTally plus(CallbackTally other) {
        return new CallbackTally(issued + other.issued, ran + other.ran, barriers + other.barriers,
                lost + other.lost, twice + other.twice, premature + other.premature,
                firstError.isPresent() ? firstError : other.firstError);
    }
}
