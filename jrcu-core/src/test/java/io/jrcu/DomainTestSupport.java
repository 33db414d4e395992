package io.jrcu;

import org.junit.jupiter.api.AfterEach;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Closes every domain a test built, after the test. The test thread first leaves any section it left open and
 * unregisters (a QSBR test thread left online would otherwise hold the final grace period forever), then the domain
 * is closed on a helper thread with a bounded wait, so that a test that failed with a reader still stuck does not
 * turn into a hang of the whole run.
 */
public abstract class DomainTestSupport {
    public static final Duration SHORT = Duration.ofMillis(200);
    public static final Duration LONG = TestThreads.WAIT;

    private final List<Rcu> domains = new ArrayList<>();

    /** Registers {@code rcu} to be closed after the test. */
    public final <D extends Rcu> D track(D rcu) {
        domains.add(rcu);
        return rcu;
    }

    /** Stops closing {@code rcu} after the test (a test that knows it left the domain unclosable). */
    public final void abandon(Rcu rcu) {
        domains.remove(rcu);
    }

    @AfterEach
    public final void closeDomains() {
        List<Rcu> toClose = new ArrayList<>(domains);
        domains.clear();
        for (Rcu rcu : toClose) {
            try {
                while (rcu.inReadSection()) {
                    rcu.readUnlock();
                }
                rcu.unregisterThread();
            } catch (RuntimeException ignored) {
                // best effort: the test itself reports what went wrong
            }
        }
        try (TestThreads closer = new TestThreads(Duration.ofSeconds(5))) {
            for (Rcu rcu : toClose) {
                closer.platform("after-test-close", rcu::close);
            }
        }
    }
}
