package io.jrcu.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Guards the build setup: tests must run on JDK 25+ even when Maven itself runs on an
 * older JDK (the parent pom selects a JDK toolchain that surefire forks with).
 */
class BuildRunsOnJdk25Test {

    @Test
    void testsRunOnJdk25OrNewer() {
        System.out.println("tests run on Java " + Runtime.version()
                + " from " + System.getProperty("java.home"));
        assertThat(Runtime.version().feature()).isGreaterThanOrEqualTo(25);
    }

    @Test
    void nativeAccessIsEnabledForTests() {
        // surefire's argLine passes --enable-native-access=ALL-UNNAMED
        assertThat(getClass().getModule().isNativeAccessEnabled()).isTrue();
    }

    /**
     * The Javadoc step runs the toolchain's javadoc even when Maven itself runs on a JDK 25 and the PATH's first
     * {@code javadoc} is another JDK's (bin/jrcu runs Maven so; a JDK 17 javadoc cannot read the sources). Runs
     * {@code mvn validate exec:exec@javadoc} on jrcu-core with a PATH whose first {@code javadoc} fails.
     */
    @Test
    void theJavadocStepRunsTheToolchainsJavadocWhateverThePathHolds(@TempDir Path stubs) throws Exception {
        Path mvn = onPath("mvn");
        assumeTrue(mvn != null, "mvn is not on the PATH");
        Path root = Path.of("..").toAbsolutePath().normalize();
        Path stub = stubs.resolve("javadoc");
        Files.writeString(stub, "#!/bin/sh\necho 'not the toolchain javadoc' >&2\nexit 3\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(stub, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path log = stubs.resolve("mvn.log");
        ProcessBuilder pb = new ProcessBuilder(mvn.toString(), "-B", "-q", "-o", "-pl", "jrcu-core",
                "validate", "exec:exec@javadoc")
                .directory(root.toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));   // Maven itself on this JDK 25
        pb.environment().put("PATH", stubs + File.pathSeparator + pb.environment().get("PATH"));
        Process p = pb.start();
        boolean ended = p.waitFor(2, TimeUnit.MINUTES);
        if (!ended) {
            p.destroyForcibly();
        }
        String output = Files.readString(log);
        assertThat(ended).as("mvn ended; output:%n%s", output).isTrue();
        assertThat(p.exitValue()).as("mvn exit value; output:%n%s", output).isZero();
        assertThat(output).doesNotContain("not the toolchain javadoc");
    }

    private static Path onPath(String tool) throws IOException {
        for (String dir : List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))) {
            Path p = Path.of(dir).resolve(tool);
            if (!dir.isEmpty() && Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
