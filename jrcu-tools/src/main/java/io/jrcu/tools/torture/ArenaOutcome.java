package io.jrcu.tools.torture;

import io.jrcu.arena.ArenaStats;

import java.util.ArrayList;
import java.util.List;

/**
 * What an {@code arena} or {@code arena-fast} run's {@link io.jrcu.arena.RcuArena} looked like: how much it was used,
 * how much native memory it reserved at most, and its statistics once every segment was freed and once it was closed.
 *
 * @param segments      segments published by the writers
 * @param largeSegments of which larger than a chunk (dedicated allocations)
 * @param gracePeriods  grace periods the writers waited for, one per {@link ArenaWriter#FREE_BUDGET} bytes freed
 * @param cacheFlushes  {@code arena-fast}: times writer 0 handed its thread cache back
 *                      ({@link io.jrcu.arena.RcuArena#flushThreadCache()}); 0 in {@code arena}
 * @param peakReserved  the largest {@code bytesReserved} the writers sampled during the run
 * @param reservedBound the most {@code bytesReserved} may reach ({@link SegmentSlots#reservedBound})
 * @param quiescent     the stats after every reader and writer was joined and every published segment freed (by a
 *                      new thread: on a non-debug arena its registration, at its first free of a small block,
 *                      recovered the ended writers' caches). On a non-debug arena {@code bytesPendingFree} includes
 *                      frees still collected in a thread cache (the last frees, in the cache of their thread, which
 *                      ended too), queued only by {@code close()}, and {@code bytesFree} the blocks in the magazines
 *                      of the thread that set up the slots
 * @param closed        the stats after {@code close()}
 * @param readableAfterClose of the segments published last (freed before close), how many could still be read
 *                      after {@code close()}, which must release all native memory (the FFM runtime then throws)
 */
public record ArenaOutcome(long segments, long largeSegments, long gracePeriods, long cacheFlushes,
                           long peakReserved, long reservedBound, ArenaStats quiescent, ArenaStats closed,
                           int readableAfterClose) {

    /**
     * Everything that contradicts the arena's contract, one line each: reserved memory above the bound, a stats
     * invariant broken at a quiescent moment ({@code bytesReserved == bytesInUse + bytesPendingFree + bytesFree}),
     * bytes still in use after every segment was freed, anything in use or pending after {@code close()}, or memory
     * still readable after it. Nothing is asked of {@code bytesPendingFree} before {@code close()}: frees wait for
     * a grace period and then for an allocation that reclaims them, and on a non-debug arena a cache's collected
     * frees also for their thread to queue them; {@code close()} must cover them all.
     */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (peakReserved > reservedBound) {
            problems.add("bytesReserved reached " + peakReserved + " during the run, above the bound "
                    + reservedBound);
        }
        if (quiescent.bytesReserved() > reservedBound) {
            problems.add("bytesReserved is " + quiescent.bytesReserved() + " after the run, above the bound "
                    + reservedBound);
        }
        checkInvariant("after every segment was freed", quiescent, problems);
        if (quiescent.bytesInUse() != 0) {
            problems.add("bytesInUse is " + quiescent.bytesInUse() + " after every segment was freed: " + quiescent);
        }
        checkInvariant("after close()", closed, problems);
        if (closed.bytesInUse() != 0 || closed.bytesPendingFree() != 0) {
            problems.add("close() left bytes in use or pending: " + closed);
        }
        if (readableAfterClose != 0) {
            problems.add(readableAfterClose + " segment(s) freed before close() could still be read after it:"
                    + " close() did not release their memory");
        }
        return problems;
    }

    private static void checkInvariant(String when, ArenaStats s, List<String> problems) {
        long sum = s.bytesInUse() + s.bytesPendingFree() + s.bytesFree();
        if (s.bytesReserved() != sum) {
            problems.add(when + ": bytesReserved " + s.bytesReserved() + " != bytesInUse + bytesPendingFree +"
                    + " bytesFree = " + sum + " (" + s + ")");
        }
    }
}
