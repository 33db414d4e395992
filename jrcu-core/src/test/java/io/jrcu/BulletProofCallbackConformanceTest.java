package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;
import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Held;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The callback conformance suite against {@link BulletProofRcu}: readers need nothing (no registration). Also the
 * bulletProof part of stall reports (a token section outlives the thread that opened it: a report names it by its
 * token and its opener's thread id, and with debug checks also by the opener's name), and the callback calls of a
 * thread that holds a token section it opened.
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

    // ------------------------------------------------------------------ a caller holding a token it opened

    /*
     * A thread that holds a token section it opened is treated like one inside a read section wherever a callback
     * call could wait for a grace period (that grace period would wait for the caller's own token). The holder is an
     * agent whose calls have a deadline, and the test thread closes the token at the end: a call that waits for
     * itself fails the test instead of hanging it.
     */

    @Test
    void aFullDeferBatchOfACallerHoldingATokenItOpenedDoesNotBlockAndCountsAnOvershoot() throws Exception {
        BulletProofRcu rcu = (BulletProofRcu) domain();
        int capacity = DeferBatches.CAPACITY;
        List<Probe> probes = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "token-holder")) {
            long token = holder.call(rcu::readLockToken);
            try {
                long before = rcu.stats().overshoots();
                holder.run(() -> {
                    for (int i = 0; i < 4 * capacity && rcu.stats().overshoots() == before; i++) {
                        Probe p = new Probe(rcu);
                        probes.add(p);
                        rcu.defer(p);
                    }
                });
                assertThat(rcu.stats().overshoots()).as("a full batch handed on by the holder of a token")
                        .isGreaterThan(before);
                assertThat(probes).as("nothing can have run: the caller's own token blocks the grace period")
                        .allSatisfy(p -> assertThat(p.runs()).isZero());
            } finally {
                rcu.readUnlock(token);
            }
        }
        assertThat(probes).hasSizeGreaterThanOrEqualTo(DeferBatches.CAPACITY);
        rcu.barrier();
        assertRanOnceInTime(probes);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(Backpressure.class)
    void aCallerHoldingATokenItOpenedIsNeverBlockedOverBudgetItsCallbacksAreQueued(Backpressure policy)
            throws Exception {
        int budget = 2;
        BulletProofRcu rcu = (BulletProofRcu) domain(b -> b.callbackBudget(budget).backpressure(policy));
        List<Probe> probes = new CopyOnWriteArrayList<>();
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "token-holder")) {
            long token = holder.call(rcu::readLockToken);
            try {
                holder.run(() -> {
                    for (int i = 0; i < 10; i++) {
                        Probe p = new Probe(rcu);
                        probes.add(p);
                        submit(rcu, Form.values()[i % 4], p);  // never blocks, never throws
                    }
                });
                RcuStats s = rcu.stats();
                assertThat(s.overshoots()).isGreaterThanOrEqualTo(10 - budget);
                assertThat(s.pendingCallbacks()).isEqualTo(10);
                assertThat(probes).allSatisfy(p -> assertThat(p.runs()).isZero());
            } finally {
                rcu.readUnlock(token);
            }
        }
        rcu.barrier();
        assertRanOnceInTime(probes);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"barrier()", "barrier(Duration)", "CallbackWorker.close()"})
    void barrierAndWorkerCloseOfACallerHoldingATokenItOpenedThrowInsteadOfWaitingForItself(String call)
            throws Exception {
        BulletProofRcu rcu = (BulletProofRcu) domain();
        CallbackWorker worker = rcu.workers().newWorker(WorkerOptions.defaults());
        Probe p = new Probe(rcu);
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "token-holder")) {
            long token = holder.call(rcu::readLockToken);
            worker.call((Runnable) p);  // pending on the worker until the token closes: its grace period waits for it
            try {
                Throwable thrown = holder.thrown(() -> {
                    switch (call) {
                        case "barrier()" -> rcu.barrier();
                        case "barrier(Duration)" -> rcu.barrier(LONG);
                        default -> worker.close();
                    }
                });
                assertThat(thrown).as("%s while holding a token it opened", call)
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
                assertThat(p.runs()).isZero();
            } finally {
                rcu.readUnlock(token);
            }
            holder.run(worker::close);  // once the token is closed
        }
        rcu.barrier();
        assertRanOnceInTime(p);
    }
}
