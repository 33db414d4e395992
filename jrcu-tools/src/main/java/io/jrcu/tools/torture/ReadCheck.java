package io.jrcu.tools.torture;

import java.util.concurrent.ThreadLocalRandom;

/**
 * What one observation of a {@link TortureReader} reads and checks: the age of a torture object ({@link AgeCheck}),
 * or every byte of an arena segment ({@link SegmentCheck}). The reader decides how it is protected around the
 * observation (a read section, or QSBR's online interval) and how it lingers inside it.
 */
interface ReadCheck {

    /**
     * One observation, made while {@code reader} is protected: loads the shared data, reads it, lingers through
     * {@link TortureReader#linger}, reads it again, and ends with exactly one {@link TortureReader#record} or
     * {@link TortureReader#recordError}.
     */
    void observe(TortureReader reader, ThreadLocalRandom random);
}
