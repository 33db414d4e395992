package io.jrcu.tools.torture;

/**
 * How old the objects readers saw were, one count per observation (rcutorture's pipe-count histogram, folded):
 * the largest age seen within the observation, or {@code freed} if the object was poisoned or reused meanwhile.
 *
 * @param age0       saw only age 0: the object was still published
 * @param age1       saw age 1: the object was removed while the reader held it, but no grace period had completed
 *                   since — legal, and evidence that readers do race removals
 * @param age2OrMore saw age 2 or more: a grace period completed while the reader still held the object — an ERROR
 * @param freed      saw the poison or a reset age: the object was reclaimed (and maybe reused) under the reader —
 *                   an ERROR
 */
public record AgeHistogram(long age0, long age1, long age2OrMore, long freed) {

    public static final AgeHistogram EMPTY = new AgeHistogram(0, 0, 0, 0);

    /** All observations. */
    public long observations() {
        return age0 + age1 + age2OrMore + freed;
    }

    /** Observations that prove a grace period was too short. */
    public long errors() {
        return age2OrMore + freed;
    }

    public AgeHistogram plus(AgeHistogram other) {
        return new AgeHistogram(age0 + other.age0, age1 + other.age1, age2OrMore + other.age2OrMore,
                freed + other.freed);
    }
}
