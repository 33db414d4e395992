package io.jrcu;

import io.jrcu.TestThreads.Agent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * How a call without a handle finds the caller's record ({@link ThreadReaders}): threads whose ids share a slot each
 * get their own record and the first live thread keeps the slot, an ended thread's slot goes to the next thread of
 * that slot, and a thread that unregisters leaves its slot, so that its next registration is found there and its
 * retired record never is.
 */
class ThreadReadersTest {

    private final MembRcu memb = MembRcu.builder().name("thread-readers").build();
    private final QsbrRcu qsbr = QsbrRcu.builder().name("thread-readers-qsbr").build();
    private final BulletProofRcu bp = BulletProofRcu.builder().name("thread-readers-bp").build();

    @AfterEach
    void close() {
        qsbr.unregisterThread();
        memb.close();
        qsbr.close();
        bp.close();
    }

    /** The owner of the record a reader lookup would find first for {@code t} in {@code rcu}. */
    static Thread slotOwner(Rcu rcu, Thread t) {
        return switch (rcu) {
            case CounterRcu<?> c -> c.readers.ownerAt(t);
            case BulletProofRcu b -> b.readers.ownerAt(t);
            default -> throw new AssertionError(rcu);
        };
    }

    @Test
    void threadsSharingASlotEachFindTheirOwnRecordAndTheFirstKeepsTheSlot() throws Exception {
        for (Rcu rcu : new Rcu[] {memb, bp}) {
            Thread main = Thread.currentThread();
            RcuReader mine = rcu.reader();
            assertThat(slotOwner(rcu, main)).as("%s: the main thread's slot", rcu).isSameAs(main);
            try (TestThreads threads = new TestThreads();
                    Agent other = threads.agentSharingSlotWith(main, ThreadReaders.SLOTS)) {
                RcuReader theirs = other.call(() -> {
                    RcuReader r = rcu.reader();
                    try (ReadSection s = rcu.read()) {
                        assertThat(r.inReadSection()).as("the section went to the thread's own record").isTrue();
                    }
                    return r;
                });
                assertThat(theirs).as("%s: the other thread's own record", rcu).isNotSameAs(mine);
                assertThat(theirs.toString()).contains(other.thread().getName());
                assertThat(mine.inReadSection()).isFalse();
                assertThat(slotOwner(rcu, other.thread())).as("%s: the live first thread keeps the slot", rcu)
                        .isSameAs(main);
                assertThat(other.call(rcu::reader)).as("%s: found again through the ThreadLocal", rcu)
                        .isSameAs(theirs);
            }
            assertThat(rcu.reader()).isSameAs(mine);
        }
    }

    @Test
    void theSlotOfAnEndedThreadGoesToTheNextThreadOfThatSlot() throws Exception {
        // a memb platform thread, whose record the registry retires; a bulletProof virtual thread, whose is not
        for (Rcu rcu : new Rcu[] {memb, bp}) {
            try (TestThreads threads = new TestThreads()) {
                Agent first = threads.agent(rcu == bp, "first");
                Thread firstThread = first.thread();
                first.run(rcu::reader);
                assertThat(slotOwner(rcu, firstThread)).isSameAs(firstThread);
                first.close();
                firstThread.join(TestThreads.WAIT.toMillis());
                assertThat(firstThread.isAlive()).isFalse();
                try (Agent next = threads.agentSharingSlotWith(firstThread, ThreadReaders.SLOTS)) {
                    RcuReader r = next.call(rcu::reader);
                    assertThat(r.toString()).contains(next.thread().getName());
                    assertThat(slotOwner(rcu, firstThread)).as("%s: taken over from the ended thread", rcu)
                            .isSameAs(next.thread());
                }
            }
        }
    }

    @Test
    void aThreadThatUnregistersLeavesItsSlotAndItsRetiredRecordIsNeverFound() {
        Thread main = Thread.currentThread();
        qsbr.registerThread();
        RcuReader first = qsbr.reader();
        assertThat(slotOwner(qsbr, main)).isSameAs(main);
        qsbr.unregisterThread();
        assertThat(slotOwner(qsbr, main)).as("the slot after unregisterThread()").isNull();
        assertThatThrownBy(qsbr::readLock).as("an unregistered QSBR thread").isInstanceOf(IllegalStateException.class);
        qsbr.registerThread();
        RcuReader second = qsbr.reader();
        assertThat(second).isNotSameAs(first);
        assertThat(slotOwner(qsbr, main)).isSameAs(main);
        try (ReadSection s = qsbr.read()) {
            assertThat(second.inReadSection()).as("sections go to the new record").isTrue();
        }

        memb.reader();
        memb.unregisterThread();
        assertThat(slotOwner(memb, main)).as("memb: the slot after unregisterThread()").isNull();
        RcuReader again = memb.reader();
        assertThat(again.toString()).doesNotContain("unregistered");
        assertThat(slotOwner(memb, main)).isSameAs(main);
    }
}
