package io.jrcu;

import io.jrcu.RcuConformanceTest.Flavor;
import io.jrcu.TestThreads.Agent;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;

/** The RcuArena suite against {@link BulletProofRcu}: a reader that blocks grace periods holds an open section. */
class BulletProofRcuArenaTest extends RcuArenaConformanceTest {

    @Override
    Flavor flavor() {
        return Flavor.BULLET_PROOF;
    }

    /**
     * close() waits for the grace periods of outstanding frees, which wait for every open token section: a caller
     * holding a token it opened is refused as inside a read section, and the arena stays usable. The holder is an
     * agent whose calls have a deadline, so a close() that waits for itself fails the test instead of hanging it.
     */
    @Test
    void closeByACallerHoldingATokenItOpenedThrowsAndTheArenaStaysUsable() throws Exception {
        BulletProofRcu rcu = (BulletProofRcu) domain();
        RcuArena arena = arena(rcu);
        MemorySegment s = arena.allocate(64);
        try (TestThreads threads = new TestThreads(); Agent holder = threads.agent(false, "token-holder")) {
            long token = holder.call(rcu::readLockToken);
            try {
                holder.run(() -> arena.free(arena.allocate(64)));  // an outstanding free: close() must wait for it
                assertThat(holder.thrown(arena::close)).as("close() while holding a token it opened")
                        .isInstanceOf(IllegalStateException.class).hasMessageContaining("token");
            } finally {
                rcu.readUnlock(token);
            }
        }
        fill(s, 5);
        verify(s, 5, "a segment after the refused close()");
        arena.free(s);
        assertThat(quiescentStats(arena).bytesInUse()).isZero();
        arena.close();
        assertThat(arena.stats()).isEqualTo(ZERO);
    }
}
