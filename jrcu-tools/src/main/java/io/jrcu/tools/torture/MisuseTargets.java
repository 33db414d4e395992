package io.jrcu.tools.torture;

import io.jrcu.BulletProofRcu;
import io.jrcu.Rcu;
import io.jrcu.RcuReader;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * What the {@link MisuseReader}s of one run share: each one's reader handle, published for the others to misuse, and
 * for a bulletProof domain two other bulletProof domains whose tokens they pass to it — the next one built, and the
 * one built 256 bulletProof domains after it: a token must be refused by every domain but its own, however many
 * domains were built in between (a domain number of a few bits would wrap here).
 */
final class MisuseTargets implements AutoCloseable {
    /** BulletProof domains built after the domain under test before the one its tokens must not be mistaken for. */
    static final int ALIAS_DISTANCE = 256;

    private final AtomicReferenceArray<RcuReader> handles;
    private final BulletProofRcu foreign;
    private final BulletProofRcu aliased;

    private MisuseTargets(int threads, BulletProofRcu foreign, BulletProofRcu aliased) {
        this.handles = new AtomicReferenceArray<>(threads);
        this.foreign = foreign;
        this.aliased = aliased;
    }

    /**
     * The targets for {@code threads} misuse threads of {@code rcu}. For a bulletProof domain this builds
     * {@value #ALIAS_DISTANCE} more bulletProof domains at once (closing all but the first and the last), so call it
     * right after building {@code rcu}, before any other bulletProof domain is built.
     */
    static MisuseTargets of(Rcu rcu, int threads) {
        if (!(rcu instanceof BulletProofRcu)) {
            return new MisuseTargets(threads, null, null);
        }
        BulletProofRcu foreign = BulletProofRcu.builder().name("misuse-foreign").build();
        for (int i = 2; i < ALIAS_DISTANCE; i++) {
            BulletProofRcu.builder().name("misuse-filler-" + i).build().close();
        }
        BulletProofRcu aliased = BulletProofRcu.builder().name("misuse-" + ALIAS_DISTANCE + "-later").build();
        return new MisuseTargets(threads, foreign, aliased);
    }

    /** Publishes misuse thread {@code index}'s handle. Volatile; read by the others in {@link #handleOtherThan}. */
    void publish(int index, RcuReader handle) {
        handles.set(index, handle);
    }

    /** The published handle of a misuse thread other than {@code index}, or null if none is published yet. */
    RcuReader handleOtherThan(int index) {
        for (int i = 0; i < handles.length(); i++) {
            RcuReader h = handles.get(i);   // volatile; pairs with the store in publish
            if (i != index && h != null) {
                return h;
            }
        }
        return null;
    }

    /** bulletProof: the domain built right after the one under test. */
    BulletProofRcu foreign() {
        return foreign;
    }

    /** bulletProof: the domain built {@value #ALIAS_DISTANCE} bulletProof domains after the one under test. */
    BulletProofRcu aliased() {
        return aliased;
    }

    /** Closes the other domains (their token sections all ended: each misuse ends its own). */
    @Override
    public void close() {
        if (foreign != null) {
            foreign.close();
            aliased.close();
        }
    }
}
