package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;
import io.jrcu.TestThreads.Held;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The callback conformance suite against {@link BulletProofRcu}: readers need nothing (no registration). Also the
 * bulletProof part of stall reports: token sections belong to no thread, so a report gives the open sections per
 * stripe, and names the thread that opened a token section when debug checks track them.
 */
class BulletProofCallbackConformanceTest extends CallbackConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }

    @ParameterizedTest(name = "debug checks: {0}")
    @ValueSource(booleans = {false, true})
    void aStalledTokenSectionIsReportedPerStripeAndWithDebugChecksByItsOpener(boolean debug) {
        String domainName = unique("bp-token-stall");
        BulletProofRcu rcu = (BulletProofRcu) domain(b -> b.name(domainName).stallTimeout(STALL).debugChecks(debug));
        Probe p = new Probe(rcu);
        AtomicLong token = new AtomicLong();
        String opener;
        try (LogCapture log = LogCapture.start(); TestThreads threads = new TestThreads()) {
            Held holder = threads.hold(false, unique("token-opener"), () -> token.set(rcu.readLockToken()),
                    () -> {
                    });
            opener = holder.thread().getName();
            holder.release();  // the opener ends; its token section stays open
            threads.join();
            try {
                rcu.call((Runnable) p);
                awaitCondition("a stall report of " + domainName, Duration.ofSeconds(5),
                        () -> log.text().contains(" of " + domainName + " has waited"));
                String text = log.text();
                assertThat(text).containsPattern("stripe \\d+: 1 open section");
                if (debug) {
                    assertThat(text).contains("token section opened by '" + opener + "'");
                }
                assertThat(p.runs()).isZero();
            } finally {
                rcu.readUnlock(token.get());  // from another thread than the opener
            }
        }
        rcu.barrier();
        assertRanOnceInTime(p);
    }
}
