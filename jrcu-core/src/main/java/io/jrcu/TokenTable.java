package io.jrcu;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * The open token sections of one bulletProof domain ({@link BulletProofRcu#readLockToken()}): a table of slots, one
 * per open section, that grows and never moves a slot. A token names its slot and the stamp of its section, so
 * closing it is one compare-and-set that only the live token can win: a token that already ended, a token of another
 * domain and a long that never was a token all fail it, whatever else is open.
 */
final class TokenTable {
    /*
     * Overview.
     *
     * A slot is two longs, `state` and `owner`:
     *   state = stamp << 2 | phase << 1 | OPEN   while a section holds it
     *           stamp << 2                       while free (the stamp of its last section, 0 if it never had one)
     *   owner = opener's thread id ^ mix(stamp)  written by the opener once it holds the slot
     *   token = slot << 40 | stamp << 1 | phase  (slot: 24 bits, stamp: 39 bits, phase: 1 bit)
     *
     *   open(phase, thread):  slot = the thread's hint slot (a hash of its id) if free, else one of up to PROBES
     *                         random slots of the whole table that is free, else the table doubles and the search
     *                         goes on; claim: CAS state free(last) -> open(next stamp, phase); owner = (thread, stamp)
     *   close(token):         CAS state open(stamp, phase) -> free(stamp)
     *   firstOpen(phase, from): volatile loads of the slots' states from slot `from` on, up to the first open one
     *                         of phase; a grace period resumes at the slot it found (below)
     *   openedBy(thread):     every open slot whose owner is (thread, its stamp); O(table size)
     *
     * Stamps: a slot takes a block of BLOCK consecutive stamps from a process-wide counter (one atomic add per BLOCK
     * sections of that slot, and one for its first section) and counts through it; stamp 0 is never issued. So the
     * stamps of all domains are unique until 2^39 (5.5 * 10^11) of them have been handed out, and the CAS of close()
     * succeeds only for the token of the section that holds the slot now: a token that ended carries an older stamp
     * (or the same one, on a free slot: "already ended"), a token of another domain a stamp this table never issued —
     * however many domains there are. 2^39 is not "never": it lasts about 3 hours at 50 million token sections a
     * second on one thread, minutes when many cores open them at that rate. Once the counter has wrapped, a stale or
     * foreign token is still refused unless its exact stamp and phase are those of the section open in its slot at
     * that moment. Only a long equal to a live token (a forged one) closes a section, and that is closing it.
     *
     * The owner word makes openedBy exact without ordering it against the claim: the opener stores it (opaque) after
     * its CAS, so a scan may still see the previous section's word; mix is a bijection, so a thread's word for an
     * older stamp never equals its word for the current one (another thread's word only by a 64-bit coincidence of
     * ids and stamps), and a thread's own word is visible to it. That needs the previous opener's word to come
     * before the next one's, and it does when the token reached its closer with happens-before (as every object
     * handed between threads must): the owner store happens-before the close, whose CAS the next claim reads, which
     * precedes the next owner store. A racy handoff gives no such order, and no mode of the owner store restores it
     * (a release store orders what comes before it, not itself before the handoff after it; only a fence after it
     * would, at a cost on every open). Then the older word may land last and the next opener, not finding its own
     * token, waits for itself where it would have been refused; the domain itself is not harmed.
     *
     * Layout and growth: chunk 0 has FIRST slots (the domain's stripe count), each padded to 128 bytes like the
     * counters' cells, so the hint slots of different threads share no cache line; chunk k >= 1 has FIRST << (k-1)
     * slots of 16 bytes (four to a line: they are reached by random probes, and padding would multiply both the
     * memory and the grace period's scan). Every chunk has 128 bytes of padding before its first slot and after its
     * last (PAD), so the array's length (read by every bounds check) shares no line with a slot. Slot i: chunk 0 if
     * i < FIRST, else chunk k = 32 - nlz(i / FIRST) at offset i - (FIRST << (k-1)).
     * The table doubles only when PROBES random probes all find open slots, which at a fill ratio f happens with
     * probability f^PROBES: with N sections open at once it settles at 2 to 4 times N slots (at f = 1/2 one open in
     * 65,536 grows it, at f = 1/4 one in 4 * 10^9), and it never shrinks. Memory: 128 bytes for each of the FIRST
     * slots of chunk 0, 16 bytes for every other slot — a million token sections open at once leave up to 64 MiB.
     *
     * Grace periods: a wait for phase p scans from slot 0 to the first slot a section of p holds and stops there;
     * after a wake-up it resumes at that slot, not at 0 (BulletProofRcu.drained). That misses nothing: every slot
     * before the resume point was seen, with a volatile load after the grace period's fence, free or of the other
     * phase; a section that holds it now claimed it with a CAS that read a later state than that load saw, so its
     * CAS (a full fence) comes after the load, and its reads see the writer's unlinks (store buffering) — the same
     * case as a section that claims an already-scanned slot during one long scan. So a grace period costs one pass
     * over the table per phase it waits for, O(table size), however often it wakes; its cost follows the most token
     * sections that were open at once, not the number ever opened.
     *
     * Memory ordering (partners):
     *   open's CAS (volatile RMW, a full fence: SRCU's barrier B)  <->  firstOpen's volatile loads after the grace
     *     period's fence: a section is either seen open, or its reads follow the writer's unlinks (store buffering)
     *   close's CAS (volatile: the section's accesses happen-before it)  <->  firstOpen's volatile load that sees the
     *     slot free, or open again (the reopening CAS read the free state)
     *   owner: opaque store by the opener  <->  opaque loads in openedBy and describeOpen, each after the volatile
     *     load of the slot's state; ordered before the next opener's store by the token's handoff (see above)
     *   chunks: volatile; a new array is published under `this` when the table grows (slots never move)
     */

    static final int OPEN = 1;
    /** Stamps are 39 bits; 0 is never issued. */
    static final int STAMP_BITS = 39;
    static final long STAMP_MASK = (1L << STAMP_BITS) - 1;
    static final int SLOT_SHIFT = STAMP_BITS + 1;
    /** Slots a table holds at most: 2^24, so that a token holds a slot number. */
    static final int MAX_SLOTS = 1 << (64 - SLOT_SHIFT);
    /** What {@link #openedBy} returns when the thread holds no token: never a token (stamp 0). */
    static final long NO_TOKEN = 0;

    private static final int BLOCK_BITS = 10;
    private static final long BLOCK = 1L << BLOCK_BITS;
    /** Random slots an open() tries when its hint slot is taken, before it doubles the table. */
    private static final int PROBES = 16;
    /** longs per slot in chunk 0 (128 bytes) and in the other chunks (16 bytes). */
    private static final int FIRST_STRIDE = 16, STRIDE = 2;
    /**
     * longs of padding before the first slot and after the last of every chunk (128 bytes): the array's header (its
     * length, read by every bounds check) and the neighbouring objects share no line with a slot.
     */
    private static final int PAD = 16;
    private static final int STATE = 0, OWNER = 1;

    /** Process-wide: the next block of stamps. */
    private static final AtomicLong NEXT_BLOCK = new AtomicLong(1);
    private static final VarHandle SLOTS = MethodHandles.arrayElementVarHandle(long[].class);

    private final String domainName;
    /** Slots in chunk 0; a power of two. */
    private final int firstSlots;
    private final int firstBits;
    /** Chunk 0 (also chunks[0]). */
    private final long[] first;
    /** Chunk k >= 1 holds slots [firstSlots << (k-1), firstSlots << k). Replaced (copied) under `this`. */
    private volatile long[][] chunks;

    TokenTable(String domainName, int firstSlots) {
        if (Integer.bitCount(firstSlots) != 1 || firstSlots > MAX_SLOTS) {
            throw new IllegalArgumentException("first chunk of " + firstSlots + " slots");
        }
        this.domainName = domainName;
        this.firstSlots = firstSlots;
        this.firstBits = Integer.numberOfTrailingZeros(firstSlots);
        this.first = new long[PAD + firstSlots * FIRST_STRIDE + PAD];
        this.chunks = new long[][] {first};
    }

    // ------------------------------------------------------------------ slot words

    private static long lvState(long[] chunk, int at) {
        return (long) SLOTS.getVolatile(chunk, at + STATE);
    }

    /** Opaque: the claim's CAS checks it. */
    private static long loState(long[] chunk, int at) {
        return (long) SLOTS.getOpaque(chunk, at + STATE);
    }

    private static boolean casState(long[] chunk, int at, long expected, long value) {
        return SLOTS.compareAndSet(chunk, at + STATE, expected, value);
    }

    private static void soOwner(long[] chunk, int at, long value) {
        SLOTS.setOpaque(chunk, at + OWNER, value);
    }

    private static long loOwner(long[] chunk, int at) {
        return (long) SLOTS.getOpaque(chunk, at + OWNER);
    }

    private static long openState(long stamp, int phase) {
        return stamp << 2 | (long) phase << 1 | OPEN;
    }

    private static long token(int slot, long stamp, int phase) {
        return (long) slot << SLOT_SHIFT | stamp << 1 | phase;
    }

    static int slotOf(long token) {
        return (int) (token >>> SLOT_SHIFT);
    }

    static long stampOf(long token) {
        return (token >>> 1) & STAMP_MASK;
    }

    static int phaseOf(long token) {
        return (int) token & 1;
    }

    /** A bijection of the stamp, so that (thread, stamp) words of different stamps never match. */
    private static long ownerWord(long threadId, long stamp) {
        return threadId ^ (stamp * 0x9E3779B97F4A7C15L);
    }

    /** The stamp after {@code last} in its block, or the first of a new block (also for a slot never used). */
    private static long nextStamp(long last) {
        long next = last + 1;
        if (last != 0 && (next & (BLOCK - 1)) != 0) {
            return next;
        }
        long start;
        do {
            start = (NEXT_BLOCK.getAndIncrement() << BLOCK_BITS) & STAMP_MASK;  // wraps after 2^39 stamps
        } while (start == 0);
        return start;
    }

    // ------------------------------------------------------------------ chunks

    private int size(long[][] chunks) {
        return firstSlots << (chunks.length - 1);
    }

    private int chunkOf(int slot) {
        return slot < firstSlots ? 0 : 32 - Integer.numberOfLeadingZeros(slot >>> firstBits);
    }

    /** Index of slot {@code slot}'s state in chunk {@code k}. */
    private int indexIn(int k, int slot) {
        return PAD + (k == 0 ? slot * FIRST_STRIDE : (slot - (firstSlots << (k - 1))) * STRIDE);
    }

    /** The slot whose state is at index {@code at} of chunk {@code k}. */
    private int slotAt(int k, int at) {
        return k == 0 ? (at - PAD) / FIRST_STRIDE : (firstSlots << (k - 1)) + (at - PAD) / STRIDE;
    }

    /** Slots the table has now (it only grows). */
    int size() {
        return size(chunks);
    }

    /** Adds a chunk as large as the table, unless another thread did since {@code seen} was read. */
    private synchronized void grow(long[][] seen) {
        long[][] now = chunks;
        if (now != seen) {
            return;
        }
        int size = size(now);
        long[][] grown = Arrays.copyOf(now, now.length + 1);
        grown[now.length] = new long[PAD + size * STRIDE + PAD];
        chunks = grown;  // volatile: publishes the new chunk (zero: every slot free, never used)
    }

    // ------------------------------------------------------------------ open, close

    /**
     * Opens a section of {@code phase} for thread {@code threadId} and returns its token. Lock-free, except when the
     * table grows (crowded): the first opener whose probes failed allocates and zeroes a chunk as large as the table
     * under {@code this}, and the others whose probes fail meanwhile wait for it; at the maximum size an open whose
     * probes fail scans the table linearly.
     *
     * @throws IllegalStateException if {@value #MAX_SLOTS} sections are open
     */
    long open(int phase, long threadId) {
        int hint = (int) (threadId * 0x9E3779B97F4A7C15L >>> 32) & (firstSlots - 1);
        long t = tryClaim(first, PAD + hint * FIRST_STRIDE, hint, phase, threadId);
        return t != NO_TOKEN ? t : openElsewhere(phase, threadId);
    }

    /** Claims slot {@code slot} (state at {@code at} of {@code chunk}) if it is free; else returns NO_TOKEN. */
    private static long tryClaim(long[] chunk, int at, int slot, int phase, long threadId) {
        long free = loState(chunk, at);
        if ((free & OPEN) != 0) {
            return NO_TOKEN;
        }
        long stamp = nextStamp(free >>> 2);
        if (!casState(chunk, at, free, openState(stamp, phase))) {  // volatile RMW: a full fence (SRCU barrier B)
            return NO_TOKEN;
        }
        soOwner(chunk, at, ownerWord(threadId, stamp));  // opaque; partners: openedBy, describeOpen (overview)
        return token(slot, stamp, phase);
    }

    private long openElsewhere(int phase, long threadId) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (true) {
            long[][] cs = chunks;
            int size = size(cs);
            for (int probe = 0; probe < PROBES; probe++) {
                int slot = random.nextInt(size);
                int k = chunkOf(slot);
                long t = tryClaim(cs[k], indexIn(k, slot), slot, phase, threadId);
                if (t != NO_TOKEN) {
                    return t;
                }
            }
            if (size < MAX_SLOTS) {
                grow(cs);
                continue;
            }
            for (int slot = 0; slot < size; slot++) {   // full size: every slot once
                int k = chunkOf(slot);
                long t = tryClaim(cs[k], indexIn(k, slot), slot, phase, threadId);
                if (t != NO_TOKEN) {
                    return t;
                }
            }
            throw new IllegalStateException("readLockToken() on " + domainName + ": " + MAX_SLOTS
                    + " token sections are open, the most a domain holds");
        }
    }

    /**
     * Ends the section of {@code token} if it is open now; {@code false} (and nothing changed) for any other long.
     * Lock-free: one CAS.
     */
    boolean close(long token) {
        int slot = slotOf(token);
        long expected = openState(stampOf(token), phaseOf(token));
        if (slot < firstSlots) {
            // volatile CAS: the section's accesses happen-before it
            return casState(first, PAD + slot * FIRST_STRIDE, expected, expected & ~3L);
        }
        return closeElsewhere(slot, expected);
    }

    private boolean closeElsewhere(int slot, long expected) {
        long[][] cs = chunks;
        int k = chunkOf(slot);
        return k < cs.length && casState(cs[k], indexIn(k, slot), expected, expected & ~3L);  // as in close
    }

    /** Why {@code token} is not a live token of this table, for a misuse message (racy: a snapshot). */
    String whyNotLive(long token) {
        int slot = slotOf(token);
        long[][] cs = chunks;
        int k = chunkOf(slot);
        if (k >= cs.length) {
            return "slot " + slot + " does not exist: the table has " + size(cs) + " slots";
        }
        long s = lvState(cs[k], indexIn(k, slot));
        long stamp = stampOf(token);
        if ((s & OPEN) == 0) {
            return s >>> 2 == stamp
                    ? "already ended: its slot " + slot + " is free since"
                    : "its slot " + slot + " is free, last used by stamp " + (s >>> 2) + ", not " + stamp
                            + ": ended long ago, of another domain, or no token";
        }
        return s >>> 2 == stamp
                ? "its section in slot " + slot + " is of phase " + ((s >>> 1) & 1) + ", not " + phaseOf(token)
                        + ": an altered token"
                : "its slot " + slot + " holds another section now (stamp " + (s >>> 2) + ", not " + stamp
                        + "): ended, of another domain, or no token";
    }

    // ------------------------------------------------------------------ scans (grace periods, slow paths)

    /**
     * The first slot at or after {@code from} that a section of {@code phase} holds, or, if there is none, the
     * complement ({@code ~size}) of the number of slots the table had when the scan began. One volatile load per slot
     * from {@code from} on; a grace period resumes where the previous scan stopped (see the overview).
     */
    int firstOpen(int phase, int from) {
        long want = (long) phase << 1 | OPEN;
        long[][] cs = chunks;
        for (int k = chunkOf(from); k < cs.length; k++) {
            long[] chunk = cs[k];
            int stride = k == 0 ? FIRST_STRIDE : STRIDE;
            for (int at = Math.max(PAD, indexIn(k, from)); at < chunk.length - PAD; at += stride) {
                if ((lvState(chunk, at) & 3) == want) {  // volatile; partners: the CASes of open and close
                    return slotAt(k, at);
                }
            }
        }
        return ~size(cs);
    }

    /**
     * A token thread {@code threadId} opened whose section is still open, or {@link #NO_TOKEN}. O(table size); a
     * thread always sees its own open sections (its owner words are its own stores). Allocates nothing: a full defer
     * batch asks it.
     */
    long openedBy(long threadId) {
        long[][] cs = chunks;
        for (int k = 0; k < cs.length; k++) {
            long[] chunk = cs[k];
            int stride = k == 0 ? FIRST_STRIDE : STRIDE;
            for (int at = PAD; at < chunk.length - PAD; at += stride) {
                long s = lvState(chunk, at);  // volatile; partners: the CASes of open and close
                if ((s & OPEN) != 0 && loOwner(chunk, at) == ownerWord(threadId, s >>> 2)) { // opaque: see overview
                    return token(slotAt(k, at), s >>> 2, (int) (s >>> 1) & 1);
                }
            }
        }
        return NO_TOKEN;
    }

    /**
     * Appends one line for each of the first {@code limit} open sections of {@code phase} (stall reports): its token,
     * slot and opener's thread id; then one line with the number of the others, if any.
     */
    void describeOpen(int phase, StringBuilder out, int limit, LongFunction<String> detail) {
        long[][] cs = chunks;
        int found = 0;
        for (int k = 0; k < cs.length; k++) {
            long[] chunk = cs[k];
            int stride = k == 0 ? FIRST_STRIDE : STRIDE;
            for (int at = PAD; at < chunk.length - PAD; at += stride) {
                long s = lvState(chunk, at);  // volatile; partners: the CASes of open and close
                if ((s & 3) == ((long) phase << 1 | OPEN) && found++ < limit) {
                    long token = token(slotAt(k, at), s >>> 2, phase);
                    out.append("\n\ttoken section 0x").append(Long.toHexString(token)).append(" (slot ")
                            .append(slotAt(k, at)).append(") opened by thread #")
                            .append(loOwner(chunk, at) ^ ownerWord(0, s >>> 2))  // opaque: see the overview
                            .append(detail.apply(token));
                }
            }
        }
        if (found > limit) {
            out.append("\n\tand ").append(found - limit).append(" more token section(s) of phase ").append(phase);
        }
    }
}
