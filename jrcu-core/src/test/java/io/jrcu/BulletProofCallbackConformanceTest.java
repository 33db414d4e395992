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
 * bulletProof part of stall reports (a token section outlives the thread that opened it: a report names it by its
 * token and its opener's thread id, and with debug checks also by the opener's name).
 */
class BulletProofCallbackConformanceTest extends CallbackConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }

    @ParameterizedTest(name = "debug checks: {0}")
    @ValueSource(booleans = {false, true})
    void aStalledTokenSectionIsReportedWithItsOpenersThreadIdAndWithDebugChecksItsName(boolean debug) {
        String domainName = unique("bp-token-stall");
        BulletProofRcu rcu = (BulletProofRcu) domain(b -> b.name(domainName).stallTimeout(STALL).debugChecks(debug));
        Probe p = new Probe(rcu);
        AtomicLong token = new AtomicLong();
        String opener;
        long openerId;
        try (LogCapture log = LogCapture.start(); TestThreads threads = new TestThreads()) {
            Held holder = threads.hold(false, unique("token-opener"), () -> token.set(rcu.readLockToken()),
                    () -> {
                    });
            opener = holder.thread().getName();
            openerId = holder.thread().threadId();
            holder.release();  // the opener ends; its token section stays open
            threads.join();
            try {
                rcu.call((Runnable) p);
                awaitCondition("a stall report of " + domainName, Duration.ofSeconds(5),
                        () -> log.text().contains(" of " + domainName + " has waited"));
                String text = log.text();
                assertThat(text).contains("token section 0x" + Long.toHexString(token.get()) + " (slot "
                        + TokenTable.slotOf(token.get()) + ") opened by thread #" + openerId
                        + (debug ? ", '" + opener + "', " : ""));
                assertThat(p.runs()).isZero();
            } finally {
                rcu.readUnlock(token.get());  // from another thread than the opener
            }
        }
        rcu.barrier();
        assertRanOnceInTime(p);
    }
}
