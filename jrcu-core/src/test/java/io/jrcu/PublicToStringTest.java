package io.jrcu;

import io.jrcu.arena.ArenaStats;
import io.jrcu.arena.RcuArena;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the public types' {@code toString()} names: the state a message or a debugger needs. */
class PublicToStringTest {
    private final MembRcu rcu = MembRcu.builder().name("strings").build();

    @AfterEach
    void close() {
        rcu.close();
    }

    @Test
    void aReaderNamesItsThreadDomainAndDepth() {
        RcuReader reader = rcu.reader();
        String thread = Thread.currentThread().getName();
        assertThat(reader.toString()).contains("'" + thread + "'", "strings", "depth 0");
        try (ReadSection s = reader.read()) {
            assertThat(reader.toString()).contains("depth 1");
            assertThat(s.toString()).contains("level 1", "'" + thread + "'", "strings");
        }
        rcu.unregisterThread();
        assertThat(reader.toString()).contains("unregistered");
    }

    @Test
    void aQsbrReaderNamesWhetherItIsOnline() {
        try (QsbrRcu qsbr = QsbrRcu.builder().name("strings-qsbr").build()) {
            qsbr.registerThread();
            try {
                RcuReader reader = qsbr.reader();
                assertThat(reader.toString()).contains("strings-qsbr", "depth 0", "online]");
                qsbr.offline();
                assertThat(reader.toString()).contains("offline]");
                qsbr.online();
                assertThat(reader.toString()).contains("online]");
            } finally {
                qsbr.unregisterThread();
            }
        }
    }

    @Test
    void theWorkersNameTheirDomainCountAndPending() {
        CallbackWorkers workers = rcu.workers();
        assertThat(workers.toString()).contains("strings", "0 registered", "0 pending")
                .doesNotContain("default running");
        rcu.call(() -> { });
        rcu.barrier();
        assertThat(workers.toString()).contains("1 registered", "(default running)", "0 pending");
    }

    @Test
    void aCallbackNamesItsClassAndWhetherItIsQueued() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        List<String> seenInInvoke = new ArrayList<>();
        final class Node extends RcuCallback {
            @Override
            protected void invoke() {
                seenInInvoke.add(toString());
                release.countDown();
            }
        }
        Node node = new Node();
        assertThat(node.toString()).contains(Node.class.getName(), "idle");
        try (ReadSection s = rcu.read()) {
            rcu.call(node);   // cannot run before the section ends
            assertThat(node.toString()).contains("queued");
        }
        TestThreads.await(release);
        assertThat(seenInInvoke).singleElement().asString().contains("idle");   // unclaimed before it runs
    }

    @Test
    void workerQueueArenaAndReferenceNameTheirState() {
        CallbackWorker worker = rcu.workers().newWorker(WorkerOptions.builder().threadName("named-worker").build());
        assertThat(worker.toString()).contains("named-worker", "pending 0");
        worker.close();
        assertThat(worker.toString()).contains("closed");

        DeferQueue<String> queue = DeferQueue.<String>builder(rcu, s -> { }).name("q").build();
        queue.enqueue("x");
        assertThat(queue.toString()).contains("q", "pending 1");
        queue.close();
        assertThat(queue.toString()).contains("closed");

        RcuArena arena = RcuArena.builder(rcu).name("a").build();
        MemorySegment s = arena.allocate(16);
        assertThat(arena.toString()).contains("a", "in use 16");
        arena.free(s);
        arena.close();
        assertThat(arena.toString()).contains("closed");

        assertThat(new RcuReference<>("value").toString()).contains("value");
        assertThat(rcu.toString()).contains("strings");
        assertThat(new ArenaStats(1, 2, 3, 4).toString()).contains("bytesInUse=2");
        assertThat(rcu.stats().toString()).contains("gracePeriodsCompleted=");
        assertThat(new DeferQueue.ReclaimResult(1, 2).toString()).contains("freed=1", "pending=2");
    }
}
