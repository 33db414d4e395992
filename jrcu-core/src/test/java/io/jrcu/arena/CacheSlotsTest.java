package io.jrcu.arena;

import io.jrcu.Rcu;
import io.jrcu.TestThreads;
import io.jrcu.TestThreads.Agent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The arena's lookup of a thread's cache by thread id ({@link CacheSlots}): threads whose ids share a slot each use
 * their own cache, the first live thread keeps the slot, an ended thread's slot goes to the next thread of that slot,
 * and a retired cache leaves its slot. The flavor does not matter here (no reader is involved): memb.
 */
class CacheSlotsTest {

    private final Rcu rcu = Rcu.memb();
    private final RcuArena arena = RcuArena.builder(rcu).name("slots").build();

    @AfterEach
    void close() {
        arena.close();
        rcu.close();
    }

    /** Allocates and frees one block: the caller's cache collects the free. */
    void allocateAndFree() {
        MemorySegment s = arena.allocate(64);
        arena.free(s);
    }

    @Test
    void threadsSharingASlotEachUseTheirOwnCacheAndTheFirstKeepsTheSlot() throws Exception {
        Thread main = Thread.currentThread();
        allocateAndFree();
        assertThat(arena.collectedFrees()).as("the main thread's cache").isEqualTo(1);
        assertThat(arena.cacheSlotOwner(main)).isSameAs(main);
        try (TestThreads threads = new TestThreads();
                Agent other = threads.agentSharingSlotWith(main, CacheSlots.SLOTS)) {
            int collected = other.call(() -> {
                allocateAndFree();
                allocateAndFree();
                return arena.collectedFrees();
            });
            assertThat(collected).as("the other thread's own cache collected its two frees").isEqualTo(2);
            assertThat(arena.collectedFrees()).as("the main thread's cache, untouched").isEqualTo(1);
            assertThat(arena.cacheSlotOwner(other.thread())).as("the live first thread keeps the slot")
                    .isSameAs(main);
        }
    }

    @Test
    void theSlotOfAnEndedThreadGoesToTheNextThreadOfThatSlot() throws Exception {
        try (TestThreads threads = new TestThreads()) {
            Agent first = threads.agent(false, "first");
            Thread firstThread = first.thread();
            first.run(this::allocateAndFree);
            assertThat(arena.cacheSlotOwner(firstThread)).isSameAs(firstThread);
            first.end();
            try (Agent next = threads.agentSharingSlotWith(firstThread, CacheSlots.SLOTS)) {
                next.run(this::allocateAndFree);
                assertThat(arena.cacheSlotOwner(firstThread)).as("taken over from the ended thread")
                        .isSameAs(next.thread());
            }
        }
    }

    @Test
    void aRetiredCacheLeavesItsSlot() throws Exception {
        try (TestThreads threads = new TestThreads()) {
            Agent first = threads.agent(false, "first");
            Thread firstThread = first.thread();
            MemorySegment kept = first.call(() -> arena.allocate(64));   // a cache with nothing queued
            assertThat(arena.cacheSlotOwner(firstThread)).isSameAs(firstThread);
            first.end();
            // a new thread registers: the ended thread's cache is recovered and, its queue empty, retired
            try (Agent next = threads.agent(false, "next")) {
                assumeTrue((next.thread().threadId() - firstThread.threadId()) % CacheSlots.SLOTS != 0,
                        "the next thread's id shares the slot: it would take the slot over");
                next.run(this::allocateAndFree);
            }
            assertThat(arena.cacheSlotOwner(firstThread)).as("the retired cache's slot").isNull();
            arena.free(kept);
        }
    }
}
