package io.jrcu.testkit;

import io.jrcu.BulletProofRcu;
import io.jrcu.MembRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuBuilder;
import io.jrcu.internal.Faults;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * The jrcu flavors as the bench, torture and JCStress modules see them: every flavor, how it builds a domain, what a
 * reader thread of it does, and its deliberately broken twin. Adding a flavor is one constant here (and one case in
 * each switch the compiler then points to). A flavor's short name ({@code memb}, {@code qsbr}, {@code bp}) is the
 * one the command lines, JMH's {@code -p flavor=} and the result tables use.
 *
 * <p>A reader thread, on its own thread: {@link #becomeReader} once; then read sections, with
 * {@link #betweenSections} between them (QSBR: a quiescent state); {@link #pause} and {@link #resume} around a stretch
 * without sections (QSBR: offline and online, so that a reader that stops running sections, blocked or not, does not
 * hold up grace periods); {@link #leaveReader} at the end. The calls are no-ops where a flavor needs nothing, so the
 * same reader code serves every flavor. Each call takes the domain and refuses, with an
 * {@link IllegalArgumentException}, a domain of another flavor.
 *
 * <p>The core's own suites have their own fixture, {@code io.jrcu.TestFlavor} in jrcu-core's test sources: they
 * cannot depend on this module, which depends on jrcu-core (a reactor cycle).
 */
public enum Flavor {
    /** memb: a read section holds up grace periods; a reader registers on its first section if not before. */
    MEMB("memb"),
    /**
     * QSBR: a registered thread that is online holds up grace periods until it reports a quiescent state or goes
     * offline; a reader must be registered before its first section.
     */
    QSBR("qsbr"),
    /** bulletProof: a read section holds up grace periods, a token section may be closed by another thread. */
    BULLET_PROOF("bp");

    private final String shortName;

    Flavor(String shortName) {
        this.shortName = shortName;
    }

    /** The name on command lines, in JMH parameters and in tables: {@code memb}, {@code qsbr}, {@code bp}. */
    public String shortName() {
        return shortName;
    }

    /**
     * The flavor whose {@link #shortName()} is {@code name}.
     *
     * @throws IllegalArgumentException if no flavor has that name; the message lists the known names
     */
    public static Flavor named(String name) {
        for (Flavor f : values()) {
            if (f.shortName.equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown flavor '" + name + "' (known: " + shortNames() + ")");
    }

    /** The short names of every flavor, in declaration order: {@code "memb|qsbr|bp"}. */
    public static String shortNames() {
        return Arrays.stream(values()).map(Flavor::shortName).collect(Collectors.joining("|"));
    }

    /** The flavor of the domain {@code rcu}. */
    public static Flavor of(Rcu rcu) {
        return switch (Objects.requireNonNull(rcu, "rcu")) {
            case MembRcu _ -> MEMB;
            case QsbrRcu _ -> QSBR;
            case BulletProofRcu _ -> BULLET_PROOF;
        };
    }

    /** A new domain of this flavor with default settings; the caller closes it. */
    public Rcu build() {
        return build(_ -> { });
    }

    /**
     * A new domain of this flavor, built by its builder after {@code config} has configured it; the caller closes it.
     */
    public Rcu build(Consumer<? super RcuBuilder<?>> config) {
        RcuBuilder<?> builder = switch (this) {
            case MEMB -> MembRcu.builder();
            case QSBR -> QsbrRcu.builder();
            case BULLET_PROOF -> BulletProofRcu.builder();
        };
        config.accept(builder);
        return switch (builder) {
            case MembRcu.Builder b -> b.build();
            case QsbrRcu.Builder b -> b.build();
            case BulletProofRcu.Builder b -> b.build();
        };
    }

    /**
     * The deliberately broken twin of {@link #build(Consumer)}: the same real domain with
     * {@link Faults.Fault#SKIP_READER_WAIT} injected, so that its grace periods end without waiting for readers. The
     * proofs that an oracle or a litmus test can fail run against it.
     */
    public Rcu buildBroken(Consumer<? super RcuBuilder<?>> config) {
        Rcu rcu = build(config);
        Faults.inject(rcu, Faults.Fault.SKIP_READER_WAIT, true);
        return rcu;
    }

    /**
     * Whether a reader may block (park) while it holds up grace periods. QSBR's may not: its readers are registered
     * threads that stay online between quiescent states, and an online reader that parks (a virtual thread that
     * unmounts) holds up every grace period meanwhile; memb and bulletProof sections are built to allow it.
     */
    public boolean readersMayBlock() {
        return this != QSBR;
    }

    /**
     * Makes the calling thread a reader of {@code rcu} ahead of its first section ({@link Rcu#registerThread()}):
     * memb registers it, QSBR registers it and brings it online, bulletProof needs nothing. Idempotent.
     *
     * @throws IllegalArgumentException if {@code rcu} is not of this flavor
     * @throws IllegalStateException    if the domain is closed
     */
    public void becomeReader(Rcu rcu) {
        own(rcu).registerThread();
    }

    /**
     * What a busy reader does between two sections: QSBR reports a quiescent state (the thread must be online and
     * outside any section); memb and bulletProof do nothing.
     *
     * @throws IllegalArgumentException if {@code rcu} is not of this flavor
     * @throws IllegalStateException    QSBR: if the thread is not online or is inside a section
     */
    public void betweenSections(Rcu rcu) {
        if (own(rcu) instanceof QsbrRcu qsbr) {
            qsbr.quiescent();
        }
    }

    /**
     * The calling reader stops running sections for a while: QSBR goes offline (it no longer holds up grace periods,
     * and may block); memb and bulletProof do nothing (a reader outside a section holds up nothing).
     *
     * @throws IllegalArgumentException if {@code rcu} is not of this flavor
     * @throws IllegalStateException    QSBR: if the thread is not registered or is inside a section
     */
    public void pause(Rcu rcu) {
        if (own(rcu) instanceof QsbrRcu qsbr) {
            qsbr.offline();
        }
    }

    /**
     * Undoes {@link #pause}: QSBR comes back online; memb and bulletProof do nothing.
     *
     * @throws IllegalArgumentException if {@code rcu} is not of this flavor
     * @throws IllegalStateException    QSBR: if the thread is not registered
     */
    public void resume(Rcu rcu) {
        if (own(rcu) instanceof QsbrRcu qsbr) {
            qsbr.online();
        }
    }

    /**
     * The calling thread stops being a reader of {@code rcu} ({@link Rcu#unregisterThread()}; QSBR: which takes it
     * offline). Idempotent; harmless once the domain is closed.
     *
     * @throws IllegalArgumentException if {@code rcu} is not of this flavor
     * @throws IllegalStateException    if the thread is inside a section of {@code rcu}
     */
    public void leaveReader(Rcu rcu) {
        own(rcu).unregisterThread();
    }

    /** {@code rcu}, checked to be of this flavor. */
    private Rcu own(Rcu rcu) {
        Flavor actual = of(rcu);
        if (actual != this) {
            throw new IllegalArgumentException("a " + this + " reader call on a " + actual + " domain: " + rcu);
        }
        return rcu;
    }

    /** The {@link #shortName()}, as the tables and test names show the flavor. */
    @Override
    public String toString() {
        return shortName;
    }
}
