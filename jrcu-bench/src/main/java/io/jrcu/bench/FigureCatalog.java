package io.jrcu.bench;

import java.util.List;
import java.util.Map;

/**
 * How the table names and compares each figure: its section, label and kind, the jrcu figure a peer is compared
 * with, and the limit a read-side figure is divided by. Figures the catalog does not know (new benchmarks in a
 * {@code --full} run) are still shown, under their id, in the section of their class.
 */
final class FigureCatalog {

    private FigureCatalog() {
    }

    /** The table's sections, in print order. */
    enum Section {
        READ("Read side: time per read section (lower is better)"),
        GRACE("Grace periods: time per grace period, p50 of sampled calls (lower is better)"),
        RECLAIM("Reclamation: time per operation (lower is better), callbacks per second (higher is better)"),
        MAP("Maps (memb): lookups or writes per second, all measuring threads together (higher is better)"),
        OTHER("Other figures");

        final String title;

        Section(String title) {
            this.title = title;
        }
    }

    /** What a figure is: the limit (the best any implementation can do), jrcu, a Java peer, or liburcu. */
    enum Kind {
        LIMIT("limit"), JRCU("jrcu"), PEER("peer"), LIBURCU("liburcu"), OTHER("");

        final String tag;

        Kind(String tag) {
            this.tag = tag;
        }
    }

    /**
     * @param shortLabel  a few words naming a jrcu figure in a peer's "jrcu … N× faster" cell
     * @param comparedWith the id of the jrcu figure a peer is compared with, or null
     * @param limit        the id of the figure this one is divided by in the "× limit" column, or null
     * @param order        sort key within the section
     */
    record Figure(Section section, Kind kind, String label, String shortLabel, String comparedWith, String limit,
                  int order) {
    }

    private static final Map<String, String> READ_LABELS = Map.ofEntries(
            Map.entry("volatileRead", "plain volatile read (the limit)"),
            Map.entry("membHandle", "jrcu memb, kept RcuReader handle"),
            Map.entry("membImplicit", "jrcu memb, rcu.read()"),
            Map.entry("qsbrHandle", "jrcu qsbr, kept RcuReader handle"),
            Map.entry("qsbrImplicit", "jrcu qsbr, rcu.read()"),
            Map.entry("bpHandle", "jrcu bulletProof, kept RcuReader handle"),
            Map.entry("bpImplicit", "jrcu bulletProof, rcu.read()"),
            Map.entry("bpToken", "jrcu bulletProof, readLockToken() + readUnlock(token)"),
            Map.entry("rwLock", "ReentrantReadWriteLock read lock + unlock"),
            Map.entry("stampedRead", "StampedLock readLock + unlock"),
            Map.entry("stampedOptimistic", "StampedLock optimistic read + validate"),
            Map.entry("refCount", "AtomicInteger reference count inc + dec"),
            Map.entry("arenaShared", "Arena.ofShared() segment read"),
            Map.entry("opOrder", "Cassandra OpOrder start + close"));

    private static final Map<String, Integer> READ_ORDER = Map.ofEntries(
            Map.entry("volatileRead", 0), Map.entry("qsbrHandle", 1), Map.entry("qsbrImplicit", 2),
            Map.entry("membHandle", 3), Map.entry("membImplicit", 4), Map.entry("bpHandle", 5),
            Map.entry("bpImplicit", 6), Map.entry("stampedOptimistic", 20), Map.entry("stampedRead", 21),
            Map.entry("rwLock", 22), Map.entry("refCount", 23), Map.entry("opOrder", 24),
            Map.entry("arenaShared", 25), Map.entry("bpToken", 7));

    static Figure describe(Measurement m) {
        String flavor = m.params().getOrDefault("flavor", "memb");
        int t = m.threads();
        String busyMemb = Measurement.id("GracePeriod.synchronize", Map.of("flavor", "memb", "readers", "busy"), 1);
        return switch (m.benchmark()) {
            case "liburcu.read_pair" -> new Figure(Section.READ, Kind.LIBURCU,
                    "liburcu " + flavor + " rcu_read_lock + unlock", null,
                    Measurement.id("ReadSide.read", Map.of("impl", flavor + "Handle"), t),
                    Measurement.id("ReadSide.read", Map.of("impl", "volatileRead"), t), 30 + flavorOrder(flavor));
            case "GracePeriod.synchronize" -> new Figure(Section.GRACE, Kind.JRCU,
                    "jrcu " + flavorName(flavor) + " synchronize(), readers: " + m.params().get("readers"),
                    flavor + " synchronize()", null, null, flavorOrder(flavor) + readersOrder(m));
            case "GracePeriodVirtual.synchronize" -> new Figure(Section.GRACE, Kind.JRCU,
                    "jrcu bulletProof synchronize(), 100,000 parked virtual threads", "bp synchronize()", null,
                    null, 9);
            case "GracePeriodPeers.opOrderBarrier" -> new Figure(Section.GRACE, Kind.PEER,
                    "Cassandra OpOrder barrier (issue + await), busy reader", null, busyMemb, null, 20);
            case "GracePeriodPeers.arenaClose" -> new Figure(Section.GRACE, Kind.PEER,
                    "Arena.ofShared() allocate 64 B + close, busy reader", null, busyMemb, null, 21);
            case "liburcu.synchronize" -> new Figure(Section.GRACE, Kind.LIBURCU,
                    "liburcu " + flavor + " synchronize_rcu, busy reader", null,
                    Measurement.id("GracePeriod.synchronize", Map.of("flavor", flavor, "readers", "busy"), 1), null,
                    30 + flavorOrder(flavor));
            case "CallLatency.callToInvocation" -> new Figure(Section.GRACE, Kind.JRCU,
                    "jrcu " + flavorName(flavor) + " call() until the callback runs", null, null, null,
                    40 + flavorOrder(flavor));
            case "Reclamation.rcuArena" -> new Figure(Section.RECLAIM, Kind.JRCU,
                    "jrcu RcuArena allocate(64) + free (" + flavor + ")", "RcuArena", null, null,
                    flavorOrder(flavor));
            case "Reclamation.deferQueue" -> new Figure(Section.RECLAIM, Kind.JRCU,
                    "jrcu DeferQueue enqueue + reclaim (" + flavor + ")", "DeferQueue", null, null,
                    5 + flavorOrder(flavor));
            case "ReclamationScaling.rcuArena" -> new Figure(Section.RECLAIM, Kind.JRCU,
                    "jrcu RcuArena allocate(64) + free (" + flavor + "), no reader", "RcuArena, no reader", null, null,
                    60 + flavorOrder(flavor));
            case "ReclamationScaling.malloc" -> new Figure(Section.RECLAIM, Kind.PEER,
                    "malloc(64) + free (FFM downcalls), no reader", null, scalingArena(flavor, t), null, 65);
            case "Reclamation.sharedArena" -> new Figure(Section.RECLAIM, Kind.PEER,
                    "Arena.ofShared() allocate(64) + close", null, rcuArena(flavor, t), null, 10);
            case "Reclamation.malloc" -> new Figure(Section.RECLAIM, Kind.PEER,
                    "malloc(64) + free (FFM downcalls)", null, rcuArena(flavor, t), null, 11);
            case "liburcu.call_batch" -> new Figure(Section.RECLAIM, Kind.LIBURCU,
                    "liburcu " + flavor + " call_rcu, 10,000 per rcu_barrier", null, intrusive(flavor), null,
                    40 + flavorOrder(flavor));
            case "liburcu.call_bulk" -> new Figure(Section.RECLAIM, Kind.LIBURCU,
                    "liburcu " + flavor + " call_rcu, all then one rcu_barrier", null, intrusive(flavor), null,
                    45 + flavorOrder(flavor));
            case "QsbrQuiescent.volatileRead" -> new Figure(Section.READ, Kind.LIMIT,
                    "plain volatile read (the limit of the QSBR pattern)", null, null, null, 50);
            case "QsbrQuiescent.online" -> new Figure(Section.READ, Kind.JRCU,
                    "jrcu qsbr online, no section, quiescent() every " + m.params().get("quiescentEvery") + " reads",
                    "qsbr online", null, Measurement.id("QsbrQuiescent.volatileRead", Map.of(), t),
                    51 + m.params().getOrDefault("quiescentEvery", "").length()); // 1, 16, 1024 in that order
            case "MapLookup.read", "MapLookup.readWithWriter", "MapWrite.putRemove" -> describeMap(m);
            case "BytesMapLookup.read", "BytesMapLookup.readWithWriter", "BytesMapWrite.putRemove" ->
                    describeBytesMap(m);
            default -> describeByClass(m, flavor);
        };
    }

    private static Figure describeByClass(Measurement m, String flavor) {
        String b = m.benchmark();
        if (b.startsWith("ReadSide.")) {
            String impl = m.params().getOrDefault("impl", "");
            String method = b.substring("ReadSide.".length());
            String label = READ_LABELS.getOrDefault(impl, impl);
            Kind kind = impl.equals("volatileRead") ? Kind.LIMIT
                    : impl.startsWith("memb") || impl.startsWith("qsbr") || impl.startsWith("bp") ? Kind.JRCU
                    : Kind.PEER;
            String shortLabel = kind == Kind.JRCU ? impl.replace("Handle", " handle").replace("Implicit", " read()")
                    .replace("Token", " token") : null;
            String sameMethod = b.equals("ReadSide.read") ? ""
                    : ", " + (method.equals("readVirtual") ? "on a virtual thread" : method);
            // a read on a virtual thread is divided by the same limit: the volatile read on a JMH thread
            String limitMethod = method.equals("readVirtual") ? "ReadSide.read" : b;
            return new Figure(Section.READ, kind, label + sameMethod, shortLabel,
                    kind == Kind.PEER ? Measurement.id(b, Map.of("impl", "membHandle"), m.threads()) : null,
                    Measurement.id(limitMethod, Map.of("impl", "volatileRead"), m.threads()),
                    READ_ORDER.getOrDefault(impl, 29) + (b.equals("ReadSide.read") ? 0 : 100));
        }
        if (b.startsWith("CallbackThroughput.")) {
            String method = b.substring("CallbackThroughput.".length());
            return new Figure(Section.RECLAIM, Kind.JRCU,
                    "jrcu " + flavorName(flavor) + " call() through barrier(), " + method,
                    flavor + " " + method + " call()", null, null,
                    (method.equals("intrusive") ? 20 : 30) + flavorOrder(flavor));
        }
        Section section = b.startsWith("GracePeriod") || b.startsWith("CallLatency") ? Section.GRACE
                : b.startsWith("Reclamation") ? Section.RECLAIM : Section.OTHER;
        return new Figure(section, Kind.OTHER, m.id(), null, null, null, 90);
    }

    private static final Map<String, String> MAP_LABELS = Map.of(
            "jrcuGet", "jrcu RcuLongMap", "jrcuReader", "jrcu RcuLongMap, kept RcuReader",
            "chm", "ConcurrentHashMap<Long, Long>", "agronaStamped", "Agrona Long2LongHashMap, StampedLock optimistic",
            "agronaRwLock", "Agrona Long2LongHashMap, ReentrantReadWriteLock",
            "ceiling", "ceiling (a heap table probed with plain loads, no protection)");

    private static final Map<String, String> MAP_CASES = Map.of(
            "MapLookup.read", "get, 2 readers", "MapLookup.readWithWriter", "get, 1 reader + writer 100k/s",
            "MapWrite.putRemove", "put + remove");

    /**
     * A map figure: jrcu's get(key) is what each peer (and get(reader, key)) is compared with; the ceiling, which is
     * no map, is compared with nothing.
     */
    private static Figure describeMap(Measurement m) {
        String impl = m.params().getOrDefault("impl", "");
        String entries = m.params().getOrDefault("entries", "");
        String size = entries.endsWith("000000") ? entries.substring(0, entries.length() - 6) + " M" : entries;
        Kind kind = impl.startsWith("jrcu") ? Kind.JRCU : impl.equals("ceiling") ? Kind.LIMIT : Kind.PEER;
        String jrcuGet = Measurement.id(m.benchmark(), Map.of("impl", "jrcuGet", "entries", entries), m.threads());
        int order = (m.benchmark().equals("MapWrite.putRemove") ? 200 : m.benchmark().endsWith("Writer") ? 100 : 0)
                + (entries.length() > 7 ? 50 : 0) + mapOrder(impl);
        String shortLabel = m.benchmark().equals("MapWrite.putRemove") ? "RcuLongMap put + remove" : "RcuLongMap get";
        String compareWith = kind == Kind.LIMIT || impl.equals("jrcuGet") ? null : jrcuGet;
        return new Figure(Section.MAP, kind, MAP_LABELS.getOrDefault(impl, impl) + ", " + MAP_CASES.get(m.benchmark())
                + ", " + size + " entries", shortLabel, compareWith, null, order);
    }

    private static final Map<String, String> BYTES_MAP_LABELS = Map.of(
            "jrcu", "jrcu RcuBytesMap get(key, byte[])", "ohc", "OHC 0.7.4 getDirect, copied out",
            "chronicle", "Chronicle Map 3.27ea0 getUsing", "chm", "ConcurrentHashMap<ByteBuffer, byte[]>, copied out");

    private static final Map<String, String> BYTES_MAP_CASES = Map.of(
            "BytesMapLookup.read", "100-byte values, 2 readers",
            "BytesMapLookup.readWithWriter", "100-byte values, 1 reader + writer 100k/s",
            "BytesMapWrite.putRemove", "put + remove of 100-byte values");

    /** A byte-map figure: RcuBytesMap's copy-out get (or put + remove) is what each peer is compared with. */
    private static Figure describeBytesMap(Measurement m) {
        String impl = m.params().getOrDefault("impl", "");
        String entries = m.params().getOrDefault("entries", "");
        String size = entries.endsWith("000000") ? entries.substring(0, entries.length() - 6) + " M" : entries;
        Kind kind = impl.equals("jrcu") ? Kind.JRCU : Kind.PEER;
        String jrcu = Measurement.id(m.benchmark(), Map.of("impl", "jrcu", "entries", entries), m.threads());
        int order = 300 + (m.benchmark().equals("BytesMapWrite.putRemove") ? 20
                : m.benchmark().endsWith("Writer") ? 10 : 0) + List.of("jrcu", "ohc", "chronicle", "chm").indexOf(impl);
        String shortLabel = m.benchmark().equals("BytesMapWrite.putRemove") ? "RcuBytesMap put + remove"
                : "RcuBytesMap get";
        return new Figure(Section.MAP, kind, BYTES_MAP_LABELS.getOrDefault(impl, impl) + ", "
                + BYTES_MAP_CASES.get(m.benchmark()) + ", " + size + " entries", shortLabel,
                impl.equals("jrcu") ? null : jrcu, null, order);
    }

    private static int mapOrder(String impl) {
        return switch (impl) {
            case "jrcuGet" -> 0;
            case "jrcuReader" -> 1;
            case "chm" -> 2;
            case "agronaStamped" -> 3;
            default -> 4;
        };
    }

    private static String rcuArena(String flavor, int threads) {
        return Measurement.id("Reclamation.rcuArena", Map.of("flavor", flavor), threads);
    }

    private static String scalingArena(String flavor, int threads) {
        return Measurement.id("ReclamationScaling.rcuArena", Map.of("flavor", flavor), threads);
    }

    private static String intrusive(String flavor) {
        return Measurement.id("CallbackThroughput.intrusive", Map.of("flavor", flavor), 1);
    }

    static String flavorName(String flavor) {
        return flavor.equals("bp") ? "bulletProof" : flavor;
    }

    private static int flavorOrder(String flavor) {
        return switch (flavor) {
            case "qsbr" -> 0;
            case "memb" -> 1;
            default -> 2;
        };
    }

    private static int readersOrder(Measurement m) {
        return switch (m.params().getOrDefault("readers", "")) {
            case "busy" -> 0;
            case "none" -> 3;
            default -> 6;
        };
    }
}
