package io.jrcu;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Regression tests from a concurrency review. Each one fails on the reviewed code.
 *
 * <p>Tests that demonstrate a hang leave their stuck threads behind (daemon threads of a private domain): nothing
 * in the library can unblock them.
 */
class ReviewRegressionTest {

    private static final long WAIT_SECONDS = 10;

    private static Thread daemon(String name, Runnable body) {
        Thread t = Thread.ofPlatform().daemon().name(name).unstarted(body);
        t.start();
        return t;
    }

    private static Object field(Object target, Class<?> declaring, String name) throws Exception {
        Field f = declaring.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(target);
    }

    /**
     * Found by the RcuArena suite: once any domain had debug checks on, RcuReference.get() threw inside a valid
     * section of a domain without them (only debug domains' sections were counted, and a reference does not know
     * its domain). Sections of every domain count from then on; entry and exit stay paired across the switch.
     *
     * <p>The switch is global and never turns off, and another test of this JVM may have built a debug domain
     * already: it is turned off for this test (restored after it), which starts as if none existed.
     */
    @Test
    void getInsideASectionOfADomainWithoutDebugChecksAfterADebugDomainExists() {
        boolean wasEnabled = DebugProtection.enabled;
        DebugProtection.enabled = false;
        Rcu plain = Rcu.memb();
        RcuReference<String> ref = new RcuReference<>("v");
        try {
            plain.readLock();             // entered before any debug domain exists: not counted
            try (Rcu debug = MembRcu.builder().name("debug-on").debugChecks(true).build()) {
                plain.readUnlock();       // the matching exit must not uncount anything
                try (Rcu bp = Rcu.bulletProof(); Rcu qsbr = Rcu.qsbr()) {
                    for (Rcu rcu : new Rcu[] {plain, bp}) {
                        try (ReadSection s = rcu.read()) {
                            assertThat(ref.get()).isEqualTo("v");
                        }
                    }
                    qsbr.registerThread();    // QSBR: protected while online
                    try {
                        assertThat(ref.get()).isEqualTo("v");
                    } finally {
                        qsbr.unregisterThread();
                    }
                }
                try (ReadSection s = debug.read()) {
                    assertThat(ref.get()).isEqualTo("v");
                }
                assertThatThrownBy(ref::get).as("outside every section, with a debug domain around")
                        .isInstanceOf(IllegalStateException.class);
            }
        } finally {
            plain.close();
            if (wasEnabled) {
                DebugProtection.enable();
            }
        }
    }

    /**
     * AbstractRcu.close() runs callbacks.close() (which joins the workers, which wait for grace periods) before
     * beforeBlocking() marks an online QSBR caller offline: the workers' grace period waits for the closing thread,
     * which waits for the workers. close() is a waiting call and must be a quiescent state of the caller (as barrier,
     * synchronize, and the second close() already are).
     */
    @Test
    void qsbrCloseFromOnlineThreadWithPendingCallbackDoesNotHang() throws Exception {
        QsbrRcu rcu = QsbrRcu.builder().name("review-qsbr-close").build();
        CountDownLatch ran = new CountDownLatch(1);
        CountDownLatch closed = new CountDownLatch(1);
        daemon("review-qsbr-closer", () -> {
            rcu.registerThread();          // online
            rcu.call(ran::countDown);
            rcu.close();                   // must not wait for this very thread's quiescent state
            closed.countDown();
        });
        assertThat(closed.await(WAIT_SECONDS, TimeUnit.SECONDS))
                .as("close() from an online QSBR thread with a pending callback returned (it hangs: the worker's"
                        + " grace period waits for the closing thread)")
                .isTrue();
        assertThat(ran.getCount()).isZero();
    }

    /**
     * Worker.closeWorker() has no checkCanBlock/beforeBlocking: closed inside a read section (memb) with work pending,
     * the worker's grace period waits for the caller's section while the caller joins the worker. barrier() inside a
     * section throws IllegalStateException; CallbackWorker.close() must not hang either.
     */
    @Test
    void workerCloseInsideReadSectionThrowsInsteadOfHanging() throws Exception {
        MembRcu rcu = MembRcu.builder().name("review-memb-worker-close").build();
        AtomicReference<Object> outcome = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        daemon("review-memb-worker-closer", () -> {
            CallbackWorker w = rcu.workers().newWorker(WorkerOptions.defaults());
            try (ReadSection s = rcu.read()) {
                w.call(() -> { });
                try {
                    w.close();
                    outcome.set("returned");
                } catch (Throwable e) {
                    outcome.set(e);
                }
            }
            done.countDown();
        });
        assertThat(done.await(WAIT_SECONDS, TimeUnit.SECONDS))
                .as("CallbackWorker.close() inside a read section with a pending callback finished (it hangs)")
                .isTrue();
        assertThat(outcome.get()).isInstanceOf(IllegalStateException.class);
        rcu.close();
    }

    /**
     * DeferBatches.drainIdle() (and flushAll()) detach a batch under the slot claim but route it to a worker only
     * after releasing the slot. A barrier() whose flushAll claims the slot in between finds it empty, posts its
     * markers and returns while the detached batch -- deferred before the barrier started -- has not been queued,
     * let alone run. Made deterministic by stalling the grace-period thread's route on the workers lock (the
     * default worker does not exist yet, so route takes that lock to create it); in production, preemption of the
     * domain thread (or of a concurrent barrier's flush) at the same point has the same effect.
     */
    @Test
    void barrierCoversDeferBatchDetachedByIdleDrain() throws Exception {
        MembRcu rcu = MembRcu.builder().name("review-defer-barrier").build();
        Object workersLock = field(rcu.callbacks, Callbacks.class, "workersLock");
        CountDownLatch ran = new CountDownLatch(1);
        AtomicBoolean barrierResult = new AtomicBoolean();
        AtomicReference<Long> pendingAtBarrierReturn = new AtomicReference<>();
        synchronized (workersLock) {
            rcu.defer(ran::countDown);  // starts the domain thread's idle drain (100 ms period)
            Thread gp = (Thread) field(rcu, AbstractRcu.class, "domainThread");
            assertThat(gp).isNotNull();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (!(gp.getState() == Thread.State.BLOCKED && stackHas(gp, "drainIdle"))) {
                assertThat(System.nanoTime() - deadline < 0).as("domain thread reached drainIdle's route").isTrue();
                Thread.sleep(5);
            }
            // The batch is detached and not queued anywhere. The defer() above returned long ago.
            CountDownLatch barrierDone = new CountDownLatch(1);
            daemon("review-barrier", () -> {
                barrierResult.set(rcu.barrier(Duration.ofSeconds(WAIT_SECONDS)));
                pendingAtBarrierReturn.set(ran.getCount());
                barrierDone.countDown();
            });
            boolean returned = barrierDone.await(2, TimeUnit.SECONDS);
            if (returned) {
                assertThat(barrierResult.get()).isTrue();
                // barrier() returned true: every callback deferred before it must have run.
                assertThat(pendingAtBarrierReturn.get())
                        .as("deferred callback still not run when barrier() returned true")
                        .isZero();
            }
            // (if barrier() is still waiting, it correctly waits for the detached batch: fixed behaviour)
        }
        assertThat(ran.await(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        rcu.close();
    }

    private static boolean stackHas(Thread t, String method) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }
}
