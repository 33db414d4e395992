package io.jrcu.tools.torture;

import io.jrcu.Rcu;
import io.jrcu.RcuCallback;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * How a torture writer reclaims what it replaced: by waiting for a grace period itself ({@link #SYNC}), by handing
 * the object to the library's callback machinery and moving on ({@link #CALL}, {@link #RETIRE}, {@link #DEFER}), or
 * by freeing an off-heap segment into an {@link io.jrcu.arena.RcuArena} ({@link #ARENA} with debug checks,
 * {@link #ARENA_FAST} through its per-thread caches); or, in {@link #MISUSE}, as in {@code sync} on one bounded path
 * (startPoll and a timed await) while other threads misuse the domain; or, in {@link #MAP}, by removing entries of
 * an {@link io.jrcu.map.RcuLongMap} ({@link #BYTES_MAP}: of an {@link io.jrcu.map.RcuBytesMap}). {@code sync} and
 * {@code misuse} run {@link TortureWriter}, the callback modes {@link CallbackWriter}, the arena modes
 * {@link ArenaWriter}, {@code map} {@link MapWriter}, {@code bytesmap} {@link ByteMapWriter}.
 */
public enum ReclaimMode {
    /** The writer waits for every grace period itself (the paths of {@link GracePeriodPath} in turn). */
    SYNC("sync", "the writer waits for each grace period (synchronize, poll, await)"),
    /** {@code call_rcu} with an intrusive callback: the object itself is the {@link io.jrcu.RcuCallback}. */
    CALL("call", "rcu.call(RcuCallback): the object is its own intrusive callback") {
        @Override
        void hand(Rcu rcu, TortureObject removed) {
            rcu.call((RcuCallback) removed); // the cast: TortureObject is a Runnable too (for defer)
        }
    },
    /** {@code rcu.retire(object, reclaimer)} (folly {@code rcu_retire}). */
    RETIRE("retire", "rcu.retire(object, reclaimer)") {
        @Override
        void hand(Rcu rcu, TortureObject removed) {
            rcu.retire(removed, TortureObject.RECLAIMER);
        }
    },
    /** {@code defer_rcu}: per-thread batches, the writer runs a full batch itself after a grace period. */
    DEFER("defer", "rcu.defer(Runnable): batches; a full batch costs the writer a grace period") {
        @Override
        void hand(Rcu rcu, TortureObject removed) {
            rcu.defer(removed);
        }
    },
    /**
     * Off-heap memory: writers publish {@link java.lang.foreign.MemorySegment}s from an
     * {@link io.jrcu.arena.RcuArena} in debug mode and free the ones they replace; readers check every byte (runs
     * {@link ArenaWriter}).
     */
    ARENA("arena", "RcuArena.free(segment): readers check every byte; freed memory is poisoned"),
    /**
     * As {@link #ARENA}, with an arena without debug checks, so that writers allocate and free through their
     * per-thread caches (magazines and collected frees; one writer also flushes its cache now and then). Nothing is
     * poisoned: memory reused too early shows as another generation's bytes.
     */
    ARENA_FAST("arena-fast", "as arena, without debug: through per-thread caches, no poison"),
    /**
     * As {@link #SYNC} (each grace period bounded: one that does not end within {@link TortureWriter#STALL_LIMIT}
     * is a stalled domain, a failure), beside {@link MisuseReader}s that misuse the domain inside and outside their
     * own read sections: every {@link Misuse} must be refused with its documented exception.
     */
    MISUSE("misuse", "the writer waits startPoll()+await(10 s) for each grace period (longer is a stall), beside"
            + " threads misusing the domain: each misuse refused"),
    /**
     * An {@link io.jrcu.map.RcuLongMap}: writers overwrite, remove and reinsert keys whose values name the key and a
     * generation, and make the table grow and shrink; readers look keys up and traverse the map, and must see only
     * values stored for their key (runs {@link MapWriter}, readers check with {@link MapCheck}).
     */
    MAP("map", "RcuLongMap: values name their key; writers churn keys, grow and shrink the table"),
    /**
     * An {@link io.jrcu.map.RcuBytesMap} with a debug arena: writers overwrite, remove and reinsert 16-byte keys whose
     * 100-byte values embed the key and a generation, and make the index grow and shrink; readers copy values out,
     * hold views across a linger, and traverse, checking every byte (runs {@link ByteMapWriter}, readers check with
     * {@link ByteMapCheck}).
     */
    BYTES_MAP("bytesmap", "RcuBytesMap: values embed key and generation, checked byte for byte; freed records"
            + " poisoned");

    private final String cliName;
    private final String description;

    ReclaimMode(String cliName, String description) {
        this.cliName = cliName;
        this.description = description;
    }

    /**
     * Hands {@code removed} to the library, which must run its {@link TortureObject#reclaim() reclaim} exactly once,
     * after a grace period. Callback modes only.
     */
    void hand(Rcu rcu, TortureObject removed) {
        throw new UnsupportedOperationException(this + " does not hand objects to the library");
    }

    /** Whether the writer hands reclamation to the library instead of waiting. */
    public boolean async() {
        return this != SYNC && this != MISUSE;
    }

    /** Whether misuse threads race the correct readers and writers (runs {@link MisuseReader}s). */
    public boolean misuse() {
        return this == MISUSE;
    }

    /** Whether writers free off-heap segments into an {@link io.jrcu.arena.RcuArena} (runs {@link ArenaWriter}). */
    public boolean arena() {
        return this == ARENA || this == ARENA_FAST;
    }

    /** Whether writers churn an {@link io.jrcu.map.RcuLongMap} (runs {@link MapWriter}). */
    public boolean map() {
        return this == MAP;
    }

    /** Whether writers churn an {@link io.jrcu.map.RcuBytesMap} (runs {@link ByteMapWriter}). */
    public boolean bytesMap() {
        return this == BYTES_MAP;
    }

    /** Whether reclamation runs through callbacks, each checked by a {@link CallbackLedger}. */
    public boolean callbacks() {
        return this == CALL || this == RETIRE || this == DEFER;
    }

    /** The name on the command line and in the table. */
    public String cliName() {
        return cliName;
    }

    /** One line for the usage text. */
    String description() {
        return description;
    }

    /** The mode called {@code name} on the command line. */
    public static ReclaimMode byCliName(String name) {
        for (ReclaimMode m : values()) {
            if (m.cliName.equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown mode '" + name + "' (known: " + cliNames() + ")");
    }

    /** "sync|call|retire|defer|arena|arena-fast|misuse|map|bytesmap". */
    public static String cliNames() {
        return Arrays.stream(values()).map(ReclaimMode::cliName).collect(Collectors.joining("|"));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
