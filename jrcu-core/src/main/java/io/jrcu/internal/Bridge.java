package io.jrcu.internal;

import io.jrcu.Rcu;

import java.util.Objects;

/**
 * The access bridge from {@code io.jrcu.internal} to the flavors' package-private machinery, as the JDK's
 * {@code jdk.internal.access.SharedSecrets}: the flavors' package registers an {@link Access} once, when its first
 * domain class initializes, and libraries built on a domain reach the domain's {@link LibraryFlavor} through it. No
 * public method of an exported type is needed for that. Not API: this package is exported to no module.
 */
public final class Bridge {

    /** What the flavors' package offers the internal package. */
    public interface Access {

        /** The library view of {@code rcu}. */
        LibraryFlavor flavorOf(Rcu rcu);

        /** Turns {@code fault} on or off in {@code rcu}. */
        void inject(Rcu rcu, Faults.Fault fault, boolean on);
    }

    /** Set once; every Rcu instance's class initialization happens-before its construction, so it is set. */
    private static volatile Access access;

    private Bridge() {
    }

    /**
     * Registers the flavors' access. Called once, by the flavors' package.
     *
     * @throws IllegalStateException if an access was registered before
     */
    public static synchronized void register(Access a) {
        Objects.requireNonNull(a, "access");
        if (access != null) {
            throw new IllegalStateException("jrcu's internal access is registered already");
        }
        access = a;   // volatile; partner: the volatile load in access()
    }

    /**
     * The library view of a domain.
     *
     * @param rcu a domain, not null
     * @return its view; the same object for the life of the domain
     */
    public static LibraryFlavor flavorOf(Rcu rcu) {
        return access().flavorOf(Objects.requireNonNull(rcu, "rcu"));
    }

    static Access access() {
        Access a = access;   // volatile; partner: the volatile store in register
        if (a == null) {   // no domain class has initialized, so no Rcu exists that one could pass in
            throw new IllegalStateException("jrcu's internal access is not registered");
        }
        return a;
    }
}
