package io.jrcu;

import io.jrcu.TestThreads.Agent;
import org.junit.jupiter.api.Test;

import static io.jrcu.TestThreads.awaitCondition;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What only {@link MembRcu} has: registration on first use, and the process-wide {@link Rcu#defaultDomain()}. The
 * shared contract is in {@link MembConformanceTest}.
 */
class MembRcuTest extends DomainTestSupport {

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
}
