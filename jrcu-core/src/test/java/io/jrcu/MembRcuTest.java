package io.jrcu;

import io.jrcu.MembRcu.ReaderFences;
import io.jrcu.TestThreads.Agent;
import io.jrcu.TestThreads.Held;
import io.jrcu.internal.Membarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jrcu.TestThreads.awaitBlockedIn;
import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What only {@link MembRcu} has: registration on first use, the process-wide {@link Rcu#defaultDomain()}, the
 * registry of reader records that follows the threads alive, and the choice of reader fences. The shared contract is
 * in {@link RcuConformanceTest}, which runs memb with the default fences (asymmetric where membarrier is available,
 * as under Maven); {@link #eitherReaderFencesKeepTheGuarantee} runs the guarantee with each choice.
 */
class MembRcuTest extends DomainTestSupport {

    /** Registered readers that stay alive (outside any section) while the churn tests run. */
    private static final int LIVE_READERS = 200;

    @Test
    void aThreadRegistersOnItsFirstSection() throws Exception {
        MembRcu rcu = track(Rcu.memb());
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(false, "unregistered-reader")) {
            reader.run(rcu::readLock);  // no registerThread() first
            assertThat(rcu.synchronize(SHORT)).as("the auto-registered reader is waited for").isFalse();
            reader.run(rcu::readUnlock);
            assertThat(rcu.synchronize(LONG)).isTrue();
            RcuReader first = reader.call(rcu::reader);
            assertThat(reader.call(rcu::reader)).as("one handle per thread").isSameAs(first);
            reader.run(() -> rcu.read().close());
            assertThat(reader.call(rcu::reader)).isSameAs(first);
        }
    }

    @Test
    void readerAndRegisterThreadRegisterAheadOfTheFirstSection() throws Exception {
        MembRcu rcu = track(Rcu.memb());
        try (TestThreads threads = new TestThreads(); Agent reader = threads.agent(true, "registers-ahead")) {
            RcuReader handle = reader.call(rcu::reader);
            reader.run(rcu::registerThread);
            assertThat(reader.call(rcu::reader)).isSameAs(handle);
            assertThat(rcu.synchronize(LONG)).as("a registered thread outside sections holds nothing").isTrue();
            reader.run(handle::readLock);
            assertThat(rcu.synchronize(SHORT)).isFalse();
            reader.run(handle::readUnlock);
            assertThat(rcu.synchronize(LONG)).isTrue();
        }
    }

    @Test
    void afterUnregisteringTheNextSectionRegistersAgainWithANewHandle() {
        MembRcu rcu = track(Rcu.memb());
        RcuReader first = rcu.reader();
        rcu.unregisterThread();
        assertThatThrownBy(first::read).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("unregistered");
        try (ReadSection s = rcu.read()) {
            assertThat(rcu.inReadSection()).isTrue();
        }
        RcuReader second = rcu.reader();
        assertThat(second).isNotSameAs(first);
        second.readLock();
        second.readUnlock();
    }

    @Test
    void theDefaultDomainIsOneProcessWideMembDomainThatCloseDoesNotEnd() {
        Rcu d = Rcu.defaultDomain();
        assertThat(Rcu.defaultDomain()).isSameAs(d);
        assertThat(d).isInstanceOf(MembRcu.class);
        long before = d.snapshot();
        d.close();
        d.close();
        assertThat(Rcu.defaultDomain()).isSameAs(d);
        try (ReadSection s = d.read()) {
            assertThat(d.inReadSection()).isTrue();
        }
        d.readLock();
        d.readUnlock();
        d.synchronize();
        assertThat(d.poll(before)).isTrue();
        long c = d.startPoll();
        awaitCondition("a polled grace period of the default domain completes", () -> d.poll(c));
        assertThat(d.synchronize(LONG)).isTrue();
    }

    // ------------------------------------------------------------------ records of threads that ended

    /**
     * A virtual thread per request, each reading once, and no grace period: the records of ended threads are dropped
     * as later threads register, so the heap after GC is the same after a fifth of the readers and after all of them
     * (100,000 and 500,000; a record and its dead thread kept would be about 700 bytes each), and the registry a
     * grace period scans stays sized by the readers alive ({@link #LIVE_READERS} registered threads alive all along),
     * not by the threads that ran. With no registrations after those readers end, the periodic prune of grace periods
     * drops them. {@code -Djrcu.churn.readers=N} runs N readers (the long tier: 10,000,000).
     */
    @Test
    void shortLivedVirtualThreadReadersLeaveNoRecordsBehind() throws Exception {
        MembRcu rcu = track(Rcu.memb());
        int readers = ReaderChurn.READERS;
        CountDownLatch registered = new CountDownLatch(LIVE_READERS);
        CountDownLatch end = new CountDownLatch(1);
        try (TestThreads threads = new TestThreads()) {
            try {
                for (int i = 0; i < LIVE_READERS; i++) {
                    threads.virtual("live-reader", () -> {
                        rcu.registerThread();
                        registered.countDown();
                        end.await();   // as long as the churn takes (the long tier's takes minutes); ended below
                    });
                }
                TestThreads.await(registered);
                ReaderChurn.run(readers / 5, () -> rcu.read().close());
                long heapAtOneFifth = ReaderChurn.heapUsedAfterGc();
                ReaderChurn.run(readers - readers / 5, () -> rcu.read().close());
                long heapAtAll = ReaderChurn.heapUsedAfterGc();
                assertThat(heapAtAll - heapAtOneFifth)
                        .as("heap after GC at %d readers (%s) and at %d (%s)", readers / 5,
                                ReaderChurn.mib(heapAtOneFifth), readers, ReaderChurn.mib(heapAtAll))
                        .isLessThanOrEqualTo(5L << 20);
                // the bounds of CounterRcu's overview, for at most this many threads alive at once
                int alive = LIVE_READERS + ReaderChurn.BATCH;
                assertThat(rcu.registeredReaders()).as("records in the registry").isLessThanOrEqualTo(3 * alive);
                assertThat(rcu.registrySlots()).as("slots a grace period scans").isLessThanOrEqualTo(4 * alive);
                assertThat(rcu.synchronize(LONG)).isTrue();
            } finally {
                end.countDown();
            }
        }
        for (int i = 0; i < ReaderRegistry.PRUNE_PERIOD; i++) {
            assertThat(rcu.synchronize(LONG)).isTrue();
        }
        assertThat(rcu.registeredReaders()).as("records left once every reader ended").isZero();
        assertThat(rcu.registrySlots()).as("slots a grace period scans, no reader alive").isEqualTo(16);
    }

    /**
     * Records are dropped and the registry array replaced by a compacted copy while grace periods run: a grace period
     * already waiting for a live reader keeps waiting, and one that starts on the compacted array waits for it too.
     */
    @Test
    void droppingRecordsOfEndedThreadsKeepsGracePeriodsWaitingForLiveReaders() throws Exception {
        MembRcu rcu = track(Rcu.memb());
        AtomicBoolean returned = new AtomicBoolean();
        try (TestThreads threads = new TestThreads()) {
            List<Held> ending = new ArrayList<>();
            for (int i = 0; i < LIVE_READERS; i++) {
                ending.add(threads.hold(true, "ends-soon", rcu::registerThread, () -> {
                }));
            }
            Held reader = threads.hold(false, "reader", rcu::readLock, rcu::readUnlock); // after them in the array
            int slotsBefore = rcu.registrySlots();
            Thread writer = threads.platform("writer", () -> {
                rcu.synchronize();
                returned.set(true);
            });
            try {
                awaitBlockedIn(writer, "synchronize");
                ending.forEach(Held::release);
                awaitCondition("the first readers ended", () -> ending.stream().noneMatch(h -> h.thread().isAlive()));
                ReaderChurn.run(2 * LIVE_READERS, () -> rcu.read().close());
                assertThat(rcu.registrySlots()).as("the array was compacted").isLessThan(slotsBefore);
                assertThat(returned).as("the waiting grace period still waits for the live reader").isFalse();
                assertThat(rcu.synchronize(SHORT)).as("a grace period on the compacted array waits for it").isFalse();
            } finally {
                reader.release();
            }
        }
        assertThat(returned).isTrue();
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    /**
     * A thread that ended inside its section is reported and released when later threads register, before any
     * grace period ran; grace periods then complete.
     */
    @Test
    void aReaderThatEndedInsideASectionIsReleasedWhenOtherThreadsRegister() throws Exception {
        MembRcu rcu = track(Rcu.memb());
        try (LogCapture log = LogCapture.start(); TestThreads threads = new TestThreads()) {
            Thread dead = threads.virtual("ends-inside-a-section", rcu::readLock);
            assertThat(dead.join(LONG)).as("the reader ended").isTrue();
            ReaderChurn.run(16, () -> rcu.read().close());  // the first registration's sweep finds it in slot 0
            assertThat(log.text()).contains("ends-inside-a-section").contains("terminated inside a read section");
            assertThat(rcu.stats().gracePeriodsCompleted()).as("no grace period ran").isZero();
        }
        assertThat(rcu.synchronize(LONG)).isTrue();
    }

    // ------------------------------------------------------------------ reader fences

    /**
     * The guarantee with each choice of reader fences, for a platform and a virtual reader: a grace period waits for
     * a section begun before it, in synchronize() and in a polled grace period, and ends once the section does.
     * ASYMMETRIC runs only where membarrier is available (under Maven it is, on Linux x86-64 or aarch64).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(ReaderFences.class)
    void eitherReaderFencesKeepTheGuarantee(ReaderFences fences) throws Exception {
        assumeTrue(fences == ReaderFences.FULL || Membarrier.AVAILABLE, "membarrier unavailable");
        MembRcu rcu = track(MembRcu.builder().name("fences").readerFences(fences).build());
        assertThat(rcu.readerFences()).isEqualTo(fences);
        assertThat(rcu.toString()).contains("fences, reader fences " + fences);
        assertThat(rcu.gracePeriodStartIsCheap()).as("cheap without membarrier").isEqualTo(fences == ReaderFences.FULL);
        try (TestThreads threads = new TestThreads()) {
            for (boolean virtual : new boolean[] {false, true}) {
                Held reader = threads.hold(virtual, "reader", rcu::readLock, rcu::readUnlock);
                long cookie;
                try {
                    cookie = rcu.startPoll();
                    assertThat(rcu.synchronize(SHORT)).as("a pre-existing section is open (virtual: %s)", virtual)
                            .isFalse();
                    assertThat(rcu.poll(cookie)).isFalse();
                } finally {
                    reader.release();
                }
                assertThat(rcu.synchronize(LONG)).isTrue();
                assertThat(rcu.poll(cookie)).isTrue();
            }
        }
        try (ReadSection s = rcu.read()) {
            assertThat(rcu.inReadSection()).isTrue();
        }
    }

    @Test
    void theDefaultReaderFencesAreAsymmetricWhereMembarrierIsAvailableElseFull() {
        ReaderFences expected = Membarrier.AVAILABLE ? ReaderFences.ASYMMETRIC : ReaderFences.FULL;
        assertThat(track(MembRcu.builder().build()).readerFences()).isEqualTo(expected);
        assertThat(((MembRcu) Rcu.defaultDomain()).readerFences()).isEqualTo(expected);
        MembRcu without = track(MembRcu.builder().assumeMembarrierUnavailable("a test says so").build());
        assertThat(without.readerFences()).isEqualTo(ReaderFences.FULL);
        assertThat(without.gracePeriodStartIsCheap()).isTrue();
    }

    @Test
    void asymmetricReaderFencesWithoutMembarrierAreRefusedWithTheReason() {
        MembRcu.Builder builder = MembRcu.builder().name("wants-membarrier")
                .assumeMembarrierUnavailable("-Djrcu.membarrier=false").readerFences(ReaderFences.ASYMMETRIC);
        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("readerFences(ASYMMETRIC)")
                .hasMessageContaining("'wants-membarrier'")
                .hasMessageContaining("membarrier, which is unavailable: -Djrcu.membarrier=false");
        MembRcu full = track(builder.readerFences(ReaderFences.FULL).build());
        assertThat(full.readerFences()).isEqualTo(ReaderFences.FULL);
        assertThatThrownBy(() -> MembRcu.builder().readerFences(null)).isInstanceOf(NullPointerException.class);
    }
}
