package io.jrcu.tools.torture;

import io.jrcu.arena.RcuArena;

import java.time.Duration;
import java.util.HexFormat;

/**
 * The first observation of one reader that proves a grace period too short: an aged or freed object
 * ({@link Age}), an off-heap segment whose bytes were poisoned or overwritten under the reader ({@link Segment}), or
 * an {@link io.jrcu.map.RcuLongMap} lookup that returned what was never stored for its key ({@link MapValue}), or an
 * {@link io.jrcu.map.RcuBytesMap} read whose bytes were not exactly a value stored for its key ({@link BytesMapValue}).
 */
public sealed interface OracleError {

    /** The reader thread's name. */
    String reader();

    /** When, counted from the start of the run. */
    Duration after();

    /** One readable line. */
    String describe();

    /**
     * A torture object seen at age 2 or more, or freed ({@code sync}, {@code call}, {@code retire}, {@code defer}).
     *
     * @param reader   the reader thread's name
     * @param after    when, counted from the start of the run
     * @param objectId the object it held
     * @param first    the age it read at the start of the observation
     * @param last     the age it read at the end
     */
    record Age(String reader, Duration after, int objectId, int first, int last) implements OracleError {

        @Override
        public String describe() {
            return "after " + after.toMillis() + " ms, reader '" + reader + "' held object #" + objectId
                    + " and read age " + ageText(first) + " at the start, " + ageText(last) + " at the end";
        }

        private static String ageText(int age) {
            return age == TortureObject.FREED ? "FREED" : Integer.toString(age);
        }
    }

    /**
     * An arena segment whose bytes broke their pattern while a reader held it ({@code arena}): the arena poisoned
     * it (freed), handed its memory out again and a writer filled it (reused), or released it to the system so that
     * the FFM runtime refused the read (released).
     *
     * @param reader     the reader thread's name
     * @param after      when, counted from the start of the run
     * @param slot       the slot the reader loaded the segment from
     * @param generation the generation the reader read in the segment's header at the start of the observation, or
     *                   {@link #UNKNOWN_GENERATION}
     * @param byteSize   the segment's size
     * @param offset     the first offset whose byte broke the pattern, or {@link #RELEASED}
     * @param expected   the byte the pattern of {@code generation} has there (0 if released)
     * @param seen       the byte the reader read there (0 if released)
     */
    record Segment(String reader, Duration after, int slot, long generation, long byteSize, long offset,
                   byte expected, byte seen) implements OracleError {

        /** {@code offset} when the FFM runtime refused the access: the memory was released under the reader. */
        public static final long RELEASED = -1;
        /** {@code generation} when the header could not be read (released). */
        public static final long UNKNOWN_GENERATION = -1;

        /** Whether the byte seen is the arena's poison: the memory was freed (and not yet reused) under the reader. */
        public boolean poisoned() {
            return offset != RELEASED && seen == RcuArena.POISON;
        }

        /** Whether the segment's memory was released (an access threw IllegalStateException) under the reader. */
        public boolean released() {
            return offset == RELEASED;
        }

        @Override
        public String describe() {
            String held = "after " + after.toMillis() + " ms, reader '" + reader + "' held a " + byteSize
                    + "-byte segment of slot " + slot + ", generation " + (generation == UNKNOWN_GENERATION
                    ? "unknown" : SegmentPattern.generationText(generation));
            if (released()) {
                return held + ", and the FFM runtime refused to read it (IllegalStateException): its memory was"
                        + " released under the reader";
            }
            HexFormat hex = HexFormat.of();
            return held + ", and read 0x" + hex.toHexDigits(seen) + " at offset " + offset + " where the pattern has"
                    + " 0x" + hex.toHexDigits(expected) + (poisoned()
                    ? ": POISON, the segment was freed under the reader"
                    : ": overwritten, the segment was freed and reused under the reader");
        }
    }

    /**
     * A lookup or traversal of the {@code map} mode's {@link io.jrcu.map.RcuLongMap} that saw another key's value, a
     * value never stored for its key, or a table whose memory was released under the reader.
     *
     * @param reader        the reader thread's name
     * @param after         when, counted from the start of the run
     * @param key           the key looked up (or the key the traversal reported)
     * @param value         the value seen ({@link MapCheck#value} encodes a key and a generation), 0 if released
     * @param maxGeneration the newest generation any writer had stored for {@code key} when the reader checked
     * @param released      whether the FFM runtime refused the read (the table's memory was released)
     */
    record MapValue(String reader, Duration after, long key, long value, long maxGeneration, boolean released)
            implements OracleError {

        @Override
        public String describe() {
            String held = "after " + after.toMillis() + " ms, reader '" + reader + "' looked up key " + key;
            if (released) {
                return held + " and the FFM runtime refused to read the table (IllegalStateException): its memory"
                        + " was released under the reader";
            }
            long owner = MapCheck.keyOf(value);
            return held + " and read key " + owner + "'s generation " + MapCheck.generationOf(value) + (owner != key
                    ? ": another key's value (the entry was reused under the reader)"
                    : ": a value never stored (newest generation stored " + maxGeneration + ")");
        }
    }

    /**
     * A lookup, held view or traversal of the {@code bytesmap} mode's {@link io.jrcu.map.RcuBytesMap} whose bytes were
     * not exactly a value stored for its key: another key's, torn, poisoned (freed under the reader), or refused.
     *
     * @param reader        the reader thread's name
     * @param after         when, counted from the start of the run
     * @param key           the key read (or the key the traversal reported; -1 if none)
     * @param what          what was wrong, with the first bytes seen
     * @param maxGeneration the newest generation stored for {@code key} when the reader checked, -1 if not read
     */
    record BytesMapValue(String reader, Duration after, long key, String what, long maxGeneration)
            implements OracleError {

        @Override
        public String describe() {
            return "after " + after.toMillis() + " ms, reader '" + reader + "' read key " + key + " and saw " + what;
        }
    }
}
