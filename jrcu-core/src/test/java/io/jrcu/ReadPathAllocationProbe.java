package io.jrcu;

import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link ReadPathAllocationTest}: counts the bytes the main thread allocates over a million read
 * sections of every flavor, on every read path, and exits 0 only if every count is zero. Meant to run with
 * {@code -XX:-DoEscapeAnalysis} (checked by {@link ThreadAllocation}, which counts), so that nothing the JIT could
 * scalar-replace hides an allocation. Each count is the best of up to {@value #ATTEMPTS} windows: a section that
 * allocates does so in every window, while the JVM's own allocations on the thread (see {@link DeferAllocationProbe})
 * are once per class.
 *
 * <p>Each read path is one static method whose call sites see all three {@link Rcu} / {@link RcuReader}
 * implementations (the warm-up interleaves the flavors), so the measured code is the megamorphic code a program
 * using more than one flavor runs, not code specialised to one receiver class.
 */
public final class ReadPathAllocationProbe {

    static final int SECTIONS = 1_000_000;
    static final int WARMUP_ROUNDS = 15;
    static final int WARMUP_SECTIONS = 20_000;
    /** Windows per measurement, the best counts: see {@link DeferAllocationProbe} for the JVM's own allocations. */
    static final int ATTEMPTS = 5;

    /** Keeps the JIT from removing the loops. */
    static volatile long sink;

    /** One read path: runs {@code n} sections on {@code rcu} and returns how many saw the published object. */
    @FunctionalInterface
    private interface Loop {
        long run(Rcu rcu, int n);  // primitive int: no boxing inside the measured window
    }

    private record Path(String name, Loop loop) {
    }

    public static void main(String[] args) throws Throwable {
        ThreadAllocation counter = ThreadAllocation.start();

        MembRcu memb = Rcu.memb();
        QsbrRcu qsbr = Rcu.qsbr();
        BulletProofRcu bp = Rcu.bulletProof();
        memb.registerThread();
        qsbr.registerThread();
        Rcu[] flavors = {memb, qsbr, bp};
        RcuReference<Object> ref = new RcuReference<>(new Object());

        Path[] paths = {
                new Path("Rcu.read()", (rcu, n) -> readSections(rcu, ref, n)),
                new Path("Rcu.readLock()/readUnlock()", (rcu, n) -> lockUnlock(rcu, ref, n)),
                new Path("Rcu.reader().read()", (rcu, n) -> readerLookupSections(rcu, ref, n)),
                new Path("kept RcuReader read()+readLock()", (rcu, n) -> keptReaderSections(rcu.reader(), ref, n)),
                new Path("nested Rcu.read()", (rcu, n) -> nestedSections(rcu, ref, n)),
                new Path("BulletProofRcu.readLockToken()/readUnlock(long)",
                        (rcu, n) -> rcu instanceof BulletProofRcu b ? tokenSections(b, ref, n) : 0),
                new Path("QsbrRcu.quiescent()/offline()/online()",
                        (rcu, n) -> rcu instanceof QsbrRcu q ? quiescentStates(q, ref, n) : 0),
        };

        for (int round = 0; round < WARMUP_ROUNDS; round++) {
            for (Path p : paths) {
                for (Rcu rcu : flavors) {
                    sink += p.loop().run(rcu, WARMUP_SECTIONS);
                }
            }
        }

        boolean ok = counter.calibrate();

        for (Path p : paths) {
            for (Rcu rcu : flavors) {
                if (p.name().startsWith("BulletProofRcu.") && !(rcu instanceof BulletProofRcu)
                        || p.name().startsWith("QsbrRcu.") && !(rcu instanceof QsbrRcu)) {
                    continue;
                }
                List<Long> windows = new ArrayList<>();
                long result = 0;
                boolean pass = false;
                for (int attempt = 0; attempt < ATTEMPTS && !pass; attempt++) {
                    long start = counter.bytes();
                    result = p.loop().run(rcu, SECTIONS);
                    long end = counter.bytes();
                    sink += result;
                    long bytes = end - start - counter.overhead;
                    windows.add(bytes);
                    pass = bytes <= 0 && result == SECTIONS;
                }
                ok &= pass;
                System.out.printf("%-4s %-14s %-48s %,d sections: %s bytes%n", pass ? "ok" : "FAIL",
                        rcu.getClass().getSimpleName(), p.name(), result, windows);
            }
        }
        for (Rcu rcu : flavors) {
            if (rcu instanceof QsbrRcu q) {
                q.unregisterThread();
            }
            rcu.close();
        }
        System.out.println(ok ? "PASS" : "FAIL");
        System.exit(ok ? 0 : 1);
    }

    static long readSections(Rcu rcu, RcuReference<Object> ref, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            try (ReadSection s = rcu.read()) {
                if (ref.get() != null) {
                    seen++;
                }
            }
        }
        return seen;
    }

    static long lockUnlock(Rcu rcu, RcuReference<Object> ref, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            rcu.readLock();
            if (ref.get() != null) {
                seen++;
            }
            rcu.readUnlock();
        }
        return seen;
    }

    static long readerLookupSections(Rcu rcu, RcuReference<Object> ref, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            try (ReadSection s = rcu.reader().read()) {
                if (ref.get() != null && rcu.inReadSection()) {
                    seen++;
                }
            }
        }
        return seen;
    }

    static long keptReaderSections(RcuReader reader, RcuReference<Object> ref, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            if ((i & 1) == 0) {
                try (ReadSection s = reader.read()) {
                    if (ref.get() != null && reader.inReadSection()) {
                        seen++;
                    }
                }
            } else {
                reader.readLock();
                if (ref.get() != null) {
                    seen++;
                }
                reader.readUnlock();
            }
        }
        return seen;
    }

    static long nestedSections(Rcu rcu, RcuReference<Object> ref, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            try (ReadSection outer = rcu.read()) {
                try (ReadSection inner = rcu.read()) {
                    if (ref.get() != null) {
                        seen++;
                    }
                }
            }
        }
        return seen;
    }

    static long tokenSections(BulletProofRcu bp, RcuReference<Object> ref, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            long token = bp.readLockToken();
            if (ref.get() != null) {
                seen++;
            }
            bp.readUnlock(token);
        }
        return seen;
    }

    static long quiescentStates(QsbrRcu qsbr, RcuReference<Object> ref, int n) {
        long seen = 0;
        for (int i = 0; i < n; i++) {
            if (ref.get() != null) {
                seen++;
            }
            if ((i & 1023) == 0) {
                qsbr.offline();
                qsbr.online();
            }
            qsbr.quiescent();
        }
        return seen;
    }
}
