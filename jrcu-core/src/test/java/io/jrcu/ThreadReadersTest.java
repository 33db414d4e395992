package io.jrcu;

import io.jrcu.TestThreads.Agent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.concurrent.Callable;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * How a call without a handle finds the caller's record ({@link ThreadReaders}): threads whose ids share a slot each
 * get their own record and the first live thread keeps the slot; an ended thread's slot goes to the next thread of
 * that slot that looks, and is cleared when the registry drops the record; a thread that unregisters leaves its slot,
 * so that its next registration is found there and its retired record never is; virtual threads take no slot.
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
    void theSlotOfAThreadThatEndedGoesToTheNextLookupOfAThreadOfThatSlot() throws Exception {
        try (TestThreads threads = new TestThreads()) {
            Agent first = threads.agent(false, "first");
            Thread firstThread = first.thread();
            first.run(memb::reader);
            try (Agent next = threads.agentSharingSlotWith(firstThread, ThreadReaders.SLOTS)) {
                RcuReader r = next.call(memb::reader);   // registered while the first thread is alive
                assertThat(slotOwner(memb, firstThread)).as("the live first thread keeps the slot")
                        .isSameAs(firstThread);
                first.end();
                assertThat(next.call(() -> {
                    try (ReadSection s = memb.read()) {   // no registration: the record comes from the ThreadLocal
                        return memb.reader();
                    }
                })).isSameAs(r);
                assertThat(slotOwner(memb, firstThread)).as("taken over from the ended thread")
                        .isSameAs(next.thread());
            }
        }
    }

    @Test
    void theRegistryDroppingAnEndedThreadsRecordClearsItsSlot() throws Exception {
        try (TestThreads threads = new TestThreads()) {
            Agent first = threads.agent(false, "first");
            Thread firstThread = first.thread();
            first.run(memb::reader);
            assertThat(slotOwner(memb, firstThread)).isSameAs(firstThread);
            first.end();
            try (Agent other = threads.agent(false, "other")) {
                assumeTrue((other.thread().threadId() - firstThread.threadId()) % ThreadReaders.SLOTS != 0,
                        "the other thread's id shares the slot: it would take the slot over");
                other.run(memb::reader);   // its registration sweeps the registry and drops the ended thread's record
            }
            assertThat(slotOwner(memb, firstThread)).as("the dropped record's slot").isNull();
        }
    }

    @Test
    void virtualThreadsTakeNoSlot() throws Exception {
        try (TestThreads threads = new TestThreads(); Agent virtual = threads.agent(true, "virtual")) {
            RcuReader r = virtual.call(() -> {
                RcuReader mine = bp.reader();
                try (ReadSection s = bp.read()) {
                    assertThat(mine.inReadSection()).isTrue();
                }
                return mine;
            });
            assertThat(virtual.call(bp::reader)).isSameAs(r);
            assertThat(slotOwner(bp, virtual.thread())).as("the fresh domain's slot of the virtual thread").isNull();
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

        RcuReader retired = memb.reader();
        memb.unregisterThread();
        assertThat(slotOwner(memb, main)).as("memb: the slot after unregisterThread()").isNull();
        RcuReader again = memb.reader();
        assertThat(again).isNotSameAs(retired);
        assertThat(slotOwner(memb, main)).isSameAs(main);
    }

    @Test
    void threadsSharingSlotsWhileTheyRegisterAndUnregisterOnlyEverGetTheirOwnRecord() throws Exception {
        Thread main = Thread.currentThread();
        try (TestThreads threads = new TestThreads();
                Agent a = threads.agentSharingSlotWith(main, ThreadReaders.SLOTS);
                Agent b = threads.agentSharingSlotWith(main, ThreadReaders.SLOTS)) {
            Callable<Integer> churn = () -> {
                int sections = 0;
                for (int i = 0; i < 20_000; i++) {
                    RcuReader r = memb.reader();
                    try (ReadSection s = memb.read()) {   // another thread's record would throw here
                        assertThat(r.inReadSection()).isTrue();
                        sections++;
                    }
                    if (i % 97 == 0) {
                        memb.unregisterThread();   // the slot is freed and retaken
                    }
                }
                memb.unregisterThread();
                return sections;
            };
            // a and b run it at the same time as this thread; closing the TestThreads joins the drivers and rethrows
            threads.platform("drive-a", () -> assertThat(a.call(churn)).isEqualTo(20_000));
            threads.platform("drive-b", () -> assertThat(b.call(churn)).isEqualTo(20_000));
            assertThat(churn.call()).isEqualTo(20_000);
        }
    }
}
