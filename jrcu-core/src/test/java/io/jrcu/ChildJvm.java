package io.jrcu;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/**
 * Runs a class's {@code main} in a child JVM (the same {@code java} binary, the library and the class on its class
 * path, wherever they were loaded from), for tests whose checks need JVM flags the build does not set.
 */
public final class ChildJvm {

    /** What the child printed (stdout and stderr together) and its exit code. */
    public record Result(String command, int exitCode, String output) {
    }

    private ChildJvm() {
    }

    /**
     * Runs {@code main} with {@code flags} before the class path; fails the test if it has not ended after
     * {@code max}.
     */
    public static Result run(Class<?> main, Duration max, String... flags) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Set<String> classPath = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {Rcu.class, main}) {
            classPath.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(List.of(flags));
        command.addAll(List.of("-cp", String.join(File.pathSeparator, classPath), main.getName()));
        Path output = Files.createTempFile("jrcu-child", ".txt");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .start();
            if (!child.waitFor(max.toMillis(), TimeUnit.MILLISECONDS)) {
                child.destroyForcibly();
                fail("the child JVM did not finish within " + max + ": " + command + "\n" + Files.readString(output));
            }
            return new Result(String.join(" ", command), child.exitValue(), Files.readString(output));
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
