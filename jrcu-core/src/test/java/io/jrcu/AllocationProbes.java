package io.jrcu;

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
 * Runs an allocation probe (a class whose {@code main} measures with {@link ThreadAllocation}) in a child JVM: the
 * build sets this JVM's flags, so the child (the same {@code java} binary) is started with
 * {@code -XX:-DoEscapeAnalysis} and debug checks off.
 */
final class AllocationProbes {

    private AllocationProbes() {
    }

    /**
     * Runs {@code probe} and checks that it passed: escape analysis was off, exit status 0, "PASS" and no "FAIL" in its
     * output, and exactly {@code measurements} lines starting with "ok ". Returns its output.
     */
    static String runPassing(Class<?> probe, int measurements) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // The library and the probe, wherever they were loaded from (class path or module path alike).
        Set<String> classPath = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {Rcu.class, probe}) {
            classPath.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        List<String> command = new ArrayList<>(List.of(java, "-XX:-DoEscapeAnalysis", "-Xmx256m",
                "-D" + RcuBuilder.DEBUG_CHECKS_PROPERTY + "=false",
                "-cp", String.join(File.pathSeparator, classPath), probe.getName()));
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
                    .as("measurements that passed").isEqualTo(measurements);
            return out;
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
