package io.jrcu.tools.torture;

import io.jrcu.BulletProofRcu;
import io.jrcu.MembRcu;
import io.jrcu.QsbrRcu;
import io.jrcu.Rcu;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/** The RCU flavors the torture test knows, with the name the command line uses for each. */
public enum Flavor {
    MEMB("memb", true) {
        @Override
        Rcu newDomain(String name, Consumer<Throwable> errorHandler) {
            return MembRcu.builder().name(name).errorHandler(errorHandler).build();
        }
    },
    QSBR("qsbr", false) {
        @Override
        Rcu newDomain(String name, Consumer<Throwable> errorHandler) {
            return QsbrRcu.builder().name(name).errorHandler(errorHandler).build();
        }
    },
    BULLET_PROOF("bp", true) {
        @Override
        Rcu newDomain(String name, Consumer<Throwable> errorHandler) {
            return BulletProofRcu.builder().name(name).errorHandler(errorHandler).build();
        }
    };

    /** Virtual readers a flavor that allows them gets unless told otherwise. */
    public static final int DEFAULT_VIRTUAL_READERS = 1000;

    private final String cliName;
    private final boolean allowsVirtualReaders;

    Flavor(String cliName, boolean allowsVirtualReaders) {
        this.cliName = cliName;
        this.allowsVirtualReaders = allowsVirtualReaders;
    }

    /** A new domain of this flavor. */
    abstract Rcu newDomain(String name, Consumer<Throwable> errorHandler);

    /** The name on the command line and in the table: {@code memb}, {@code qsbr}, {@code bp}. */
    public String cliName() {
        return cliName;
    }

    /**
     * Whether readers may be virtual threads. QSBR may not: its readers are registered threads that stay online and
     * report quiescent states, and an online reader must not block (park) — a parked virtual thread would hold up
     * every grace period, which is what memb and bulletProof sections are built to allow.
     */
    public boolean allowsVirtualReaders() {
        return allowsVirtualReaders;
    }

    /** {@link #DEFAULT_VIRTUAL_READERS} where virtual readers are allowed, else 0. */
    public int defaultVirtualReaders() {
        return allowsVirtualReaders ? DEFAULT_VIRTUAL_READERS : 0;
    }

    /** The flavor called {@code name} on the command line. */
    public static Flavor byCliName(String name) {
        for (Flavor f : values()) {
            if (f.cliName.equals(name)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown flavor '" + name + "' (known: " + cliNames() + ")");
    }

    /** "memb|qsbr|bp". */
    public static String cliNames() {
        return Arrays.stream(values()).map(Flavor::cliName).collect(Collectors.joining("|"));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
