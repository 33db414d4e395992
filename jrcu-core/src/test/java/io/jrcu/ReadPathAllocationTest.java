package io.jrcu;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The read path allocates nothing, in every flavor: {@link ReadPathAllocationProbe} counts the bytes its thread
 * allocates ({@code com.sun.management.ThreadMXBean}) over a million sections per flavor and read path, with escape
 * analysis disabled and every flavor seen at the same call sites. The build sets this JVM's flags, so the probe runs
 * in a child JVM (the same {@code java} binary) started with {@code -XX:-DoEscapeAnalysis}.
 */
class ReadPathAllocationTest {

    /** 5 paths shared by the three flavors, plus the bulletProof token path and the QSBR quiescent-state path. */
    private static final int MEASUREMENTS = 5 * 3 + 1 + 1;

    @Test
    void theReadPathAllocatesNothingWithEscapeAnalysisOffAndSeveralFlavorsAtTheCallSite() throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The library and the probe, wherever they were loaded from (class path or module path alike).
        Set<String> classPath = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {Rcu.class, ReadPathAllocationProbe.class}) {
            classPath.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        List<String> command = new ArrayList<>(List.of(java, "-XX:-DoEscapeAnalysis", "-Xmx256m",
                "-D" + RcuBuilder.DEBUG_CHECKS_PROPERTY + "=false",
                "-cp", String.join(File.pathSeparator, classPath), ReadPathAllocationProbe.class.getName()));
        Path output = Files.createTempFile("jrcu-alloc-probe", ".txt");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            if (!child.waitFor(90, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                fail("the allocation probe did not finish within 90 s: " + command + "\n" + Files.readString(output));
            }
            String out = Files.readString(output);
            System.out.println("allocation probe: " + String.join(" ", command) + "\n" + out);
            assertThat(out).as("escape analysis must be off in the child").contains("DoEscapeAnalysis=false");
            assertThat(child.exitValue()).as("probe exit code; its output:\n%s", out).isZero();
            assertThat(out).contains("PASS").doesNotContain("FAIL");
            assertThat(out.lines().filter(l -> l.startsWith("ok ")).count())
                    .as("measurements that passed").isEqualTo(MEASUREMENTS);
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
