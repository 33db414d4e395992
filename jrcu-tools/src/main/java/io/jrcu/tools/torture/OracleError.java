package io.jrcu.tools.torture;

import java.time.Duration;

/**
 * The first observation of one reader that proves a grace period too short.
 *
 * @param reader   the reader thread's name
 * @param after    when, counted from the start of the run
 * @param objectId the object it held
 * @param first    the age it read at the start of the observation
 * @param last     the age it read at the end
 */
public record OracleError(String reader, Duration after, int objectId, int first, int last) {

    /** One readable line. */
    public String describe() {
        return "after " + after.toMillis() + " ms, reader '" + reader + "' held object #" + objectId + " and read age "
                + ageText(first) + " at the start, " + ageText(last) + " at the end";
    }

    private static String ageText(int age) {
        return age == TortureObject.FREED ? "FREED" : Integer.toString(age);
    }
}
