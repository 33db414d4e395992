package io.jrcu;

import io.jrcu.CallbackConformanceTest.StartFailure;
import io.jrcu.internal.NativeCpu;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static io.jrcu.CallbackConformanceTest.failingFactory;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link WorkerOptions} (defaults, builder, validation) and the callback settings of the builders
 * ({@code callbackBudget}, {@code backpressure}, {@code defaultWorkerOptions}, {@code errorHandler},
 * {@code stallTimeout}). Nothing here depends on the flavor; each builder is checked once.
 */
class CallbackOptionsTest {

    @Test
    void defaultsAreNotRealTimeUnpinnedBatchesOf64Or10MsAndADaemonPlatformThread() {
        WorkerOptions d = WorkerOptions.defaults();
        assertThat(d.realTime()).isFalse();
        assertThat(d.cpuAffinity()).isEqualTo(-1);
        assertThat(d.minBatch()).isEqualTo(64);
        assertThat(d.maxDelay()).isEqualTo(Duration.ofMillis(10));
        assertThat(d.threadName()).isEmpty();
        assertThat(d.threadFactory()).isNull();
        assertThat(WorkerOptions.builder().build()).as("the builder starts from the defaults").isEqualTo(d);
    }

    @Test
    void theBuilderSetsEveryOption() {
        ThreadFactory factory = Thread.ofPlatform().daemon().factory();
        WorkerOptions o = WorkerOptions.builder().realTime(true).cpuAffinity(3).batching(7, Duration.ofMillis(42))
                .threadName("cb").threadFactory(factory).build();
        assertThat(o).isEqualTo(new WorkerOptions(true, 3, 7, Duration.ofMillis(42), "cb", factory));
        WorkerOptions noDelay = WorkerOptions.builder().batching(1, Duration.ZERO).build();
        assertThat(noDelay.minBatch()).isEqualTo(1);
        assertThat(noDelay.maxDelay()).isZero();
    }

    @Test
    void invalidOptionsAreRejected() {
        assertThatThrownBy(() -> WorkerOptions.builder().cpuAffinity(-2).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpuAffinity");
        assertThatThrownBy(() -> WorkerOptions.builder().batching(0, Duration.ofMillis(1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minBatch");
        assertThatThrownBy(() -> WorkerOptions.builder().batching(1, Duration.ofMillis(-1)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxDelay");
        assertThatThrownBy(() -> WorkerOptions.builder().batching(1, null).build())
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> WorkerOptions.builder().threadName(null).build())
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new WorkerOptions(false, -5, 1, Duration.ZERO, "", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderCallbackSettingsAreValidated() {
        for (RcuBuilder<?> b : new RcuBuilder<?>[]{MembRcu.builder(), QsbrRcu.builder(), BulletProofRcu.builder()}) {
            assertThatThrownBy(() -> b.callbackBudget(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.callbackBudget(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.backpressure(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.defaultWorkerOptions(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.errorHandler(null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> b.stallTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> b.stallTimeout(null)).isInstanceOf(NullPointerException.class);
            assertThat(b.callbackBudget(1)).isSameAs(b);
            assertThat(b.backpressure(Backpressure.THROW)).isSameAs(b);
            assertThat(b.defaultWorkerOptions(WorkerOptions.defaults())).isSameAs(b);
        }
        assertThat(RcuBuilder.DEFAULT_CALLBACK_BUDGET).isEqualTo(1_000_000);
        assertThat(RcuBuilder.DEFAULT_STALL_TIMEOUT).isEqualTo(Duration.ofSeconds(21));
    }

    @Test
    void aCpuAffinityTheMachineDoesNotHaveIsRefusedWhenTheWorkerIsCreated() {
        String name = "cpu-range-" + System.nanoTime();
        int limit = NativeCpu.cpuIdLimit();
        try (Rcu rcu = MembRcu.builder().name(name).build()) {
            for (int cpu : new int[] {limit, limit + 64, Integer.MAX_VALUE}) {
                WorkerOptions options = WorkerOptions.builder().cpuAffinity(cpu).build();  // checked where used
                assertThatThrownBy(() -> rcu.workers().newWorker(options)).as("newWorker with cpuAffinity(%d)", cpu)
                        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cpuAffinity " + cpu)
                        .hasMessageContaining("0.." + (limit - 1));
                assertThatThrownBy(() -> MembRcu.builder().defaultWorkerOptions(options))
                        .as("defaultWorkerOptions with cpuAffinity(%d)", cpu)
                        .isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(Thread.getAllStackTraces().keySet()).as("worker threads made for refused CPUs")
                    .noneMatch(t -> t.getName().startsWith("jrcu-callbacks-" + name));
            CallbackWorker highest = rcu.workers().newWorker(WorkerOptions.builder().cpuAffinity(limit - 1).build());
            AtomicInteger ran = new AtomicInteger();
            highest.call(ran::incrementAndGet);
            assertThat(rcu.barrier(TestThreads.WAIT)).isTrue();
            assertThat(ran).hasValue(1);
        }
    }

    @Test
    void createAllCpuWorkersThatCannotMakeEveryWorkerAttachesNoneAndEndsThoseItMade() throws Exception {
        int[] allowed = NativeCpu.allowedCpus();
        assumeTrue(allowed.length >= 2, "one CPU: no worker after a first one to fail");
        List<Thread> made = new ArrayList<>();
        ThreadFactory secondFails = failingFactory(StartFailure.FACTORY_THROWS, () -> made.size() == 1, made);
        try (Rcu rcu = MembRcu.builder().build()) {
            CallbackWorkers workers = rcu.workers();
            assertThatThrownBy(() -> workers.createAllCpuWorkers(WorkerOptions.builder().threadFactory(secondFails)
                    .build())).isInstanceOf(IllegalStateException.class).hasMessageContaining("no worker was created");
            for (int cpu : allowed) {
                assertThat(workers.cpuWorker(cpu)).as("worker of CPU %d", cpu).isNull();
            }
            assertThat(made).hasSize(1);
            assertThat(made.getFirst().join(TestThreads.WAIT)).as("the worker made first has ended").isTrue();
        }
    }

    @Test
    void createAllCpuWorkersLeavesOutACpuBeyondTheCpuIdLimit() {
        int cpu = NativeCpu.allowedCpus()[0];
        int beyond = NativeCpu.cpuIdLimit();   // an id the machine did not have when the limit was read
        try (MembRcu rcu = MembRcu.builder().build()) {
            Callbacks workers = rcu.callbacks;
            workers.createAllCpuWorkers(WorkerOptions.defaults(), new int[] {cpu, beyond});
            assertThat(workers.cpuWorker(cpu)).as("worker of the known CPU %d", cpu).isNotNull();
            assertThat(workers.cpuWorker(beyond)).as("worker of CPU %d", beyond).isNull();
        }
    }

    @Test
    void generatedWorkerNamesSkipNoNumberForAWorkerThatFailedToStart() {
        ThreadFactory fails = failingFactory(StartFailure.FACTORY_THROWS, () -> true, new ArrayList<>());
        try (MembRcu rcu = MembRcu.builder().name("numbers").build()) {
            assertThatThrownBy(() -> rcu.workers().newWorker(WorkerOptions.builder().threadFactory(fails).build()))
                    .isInstanceOf(IllegalStateException.class);
            CallbackWorker first = rcu.workers().newWorker(WorkerOptions.defaults());
            CallbackWorker second = rcu.workers().newWorker(WorkerOptions.defaults());
            assertThat(first.thread().getName()).isEqualTo("jrcu-callbacks-numbers-1");
            assertThat(second.thread().getName()).isEqualTo("jrcu-callbacks-numbers-2");
        }
    }

    /**
     * With a restricted CPU set ({@code taskset -c N}) the per-CPU workers are those of the allowed CPUs, by their
     * kernel ids, not CPUs {@code 0 .. availableProcessors() - 1}. Runs {@link RestrictedCpuSet} in a child JVM (this
     * JVM's java) under taskset; skipped without taskset or without a second CPU to restrict to.
     */
    @Test
    void perCpuWorkersUnderARestrictedCpuSetAreThoseOfTheAllowedCpus() throws Exception {
        Path taskset = Stream.of("/usr/bin/taskset", "/bin/taskset").map(Path::of).filter(Files::isExecutable)
                .findFirst().orElse(null);
        assumeTrue(taskset != null, "taskset (util-linux) is not installed");
        int[] allowed = NativeCpu.allowedCpus();
        int cpu = allowed[allowed.length - 1];
        assumeTrue(cpu > 0, "no CPU other than 0 to restrict the child to");
        String java = ProcessHandle.current().info().command().orElseThrow();
        String classPath = Path.of(Rcu.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                + File.pathSeparator
                + Path.of(RestrictedCpuSet.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Process child = new ProcessBuilder(taskset.toString(), "-c", Integer.toString(cpu), java,
                "--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", classPath,
                RestrictedCpuSet.class.getName()).redirectErrorStream(true).start();
        if (!child.waitFor(TestThreads.WAIT.toSeconds() * 3, TimeUnit.SECONDS)) {
            child.destroyForcibly();
            throw new AssertionError("the child JVM under taskset did not finish");
        }
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.exitValue()).as("exit status; output:%n%s", out).isZero();
        assertThat(out).as("output").contains("workers [" + cpu + "]").contains("ran on [" + cpu + "]");
    }

    /**
     * The child JVM of {@link #perCpuWorkersUnderARestrictedCpuSetAreThoseOfTheAllowedCpus}: makes the per-CPU
     * workers, then prints the CPUs that have one and the CPU each of them ran a callback on.
     */
    static final class RestrictedCpuSet {
        public static void main(String[] args) {
            try (Rcu rcu = MembRcu.builder().name("restricted-cpu-set").build()) {
                rcu.workers().createAllCpuWorkers(WorkerOptions.defaults());
                List<Integer> withWorker = new ArrayList<>();
                List<Integer> ranOn = new ArrayList<>();
                for (int cpu = 0; cpu < 4096; cpu++) {
                    CallbackWorker w = rcu.workers().cpuWorker(cpu);
                    if (w != null) {
                        AtomicInteger seen = new AtomicInteger(-1);
                        w.call(() -> seen.set(NativeCpu.currentCpu()));
                        rcu.barrier();
                        withWorker.add(cpu);
                        ranOn.add(seen.get());
                    }
                }
                System.out.println("workers " + withWorker);
                System.out.println("ran on " + ranOn);
            }
        }
    }
}
