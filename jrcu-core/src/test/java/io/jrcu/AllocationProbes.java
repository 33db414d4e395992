package io.jrcu;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs an allocation probe (a class whose {@code main} measures with {@link ThreadAllocation}) in a child JVM
 * ({@link ChildJvm}): the build sets this JVM's flags, so the child is started with
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
        ChildJvm.Result r = ChildJvm.run(probe, Duration.ofSeconds(90), "-XX:-DoEscapeAnalysis", "-Xmx256m",
                "-D" + RcuBuilder.DEBUG_CHECKS_PROPERTY + "=false");
        String out = r.output();
        System.out.println("allocation probe: " + r.command() + "\n" + out);
        assertThat(out).as("escape analysis must be off in the child").contains("DoEscapeAnalysis=false");
        assertThat(r.exitCode()).as("probe exit code; its output:\n%s", out).isZero();
        assertThat(out).contains("PASS").doesNotContain("FAIL");
        assertThat(out.lines().filter(l -> l.startsWith("ok ")).count())
                .as("measurements that passed").isEqualTo(measurements);
        return out;
    }
}
