package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;
import io.jrcu.TestThreads.Agent;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The DeferQueue suite against {@link BulletProofRcu}: a reader that has not reported holds an open section. */
class BulletProofDeferQueueTest extends DeferQueueConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }

    /**
     * close() waits for grace periods, which wait for every open token section: a caller holding a token it opened
     * is refused as inside a read section, and a later close() frees everything. The holder is an agent whose calls
     * have a deadline, so a close() that waits for itself fails the test instead of hanging it.
     */
    @Test
    void closeByACallerHoldingATokenItOpenedThrowsInsteadOfWaitingForItself() throws Exception {
        BulletProofRcu rcu = (BulletProofRcu) domain();
        Frees frees = frees(rcu);
        DeferQueue<Res> q = quietQueue(rcu, frees);
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "token-holder")) {
            long token = holder.call(rcu::readLockToken);
            try {
                enqueueAll(q, frees, 0, 3);
                assertThat(holder.thrown(q::close)).as("close() while holding a token it opened")
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
                assertThat(frees.count()).as("freed while the token section is open").isZero();
            } finally {
                rcu.readUnlock(token);
            }
        }
        q.close();
        assertThat(frees.order()).containsExactly(0, 1, 2);
    }
}
