package io.jrcu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Every Java source line of the repository (every module, main and test, and the examples) is at most
 * {@value #LIMIT} characters, and no main source file of the core is over {@value #FILE_LIMIT} lines. A test rather
 * than Checkstyle: the build plugins run in Maven's own JVM, which may be older than the sources' Java, and the rules
 * need no parsing.
 */
class SourceLineLengthTest {
    static final int LIMIT = 120;
    static final int FILE_LIMIT = 800;

    @Test
    void noMainSourceFileOfTheCoreIsLongerThanTheFileLimit() throws IOException {
        Path main = Path.of("src", "main", "java").toAbsolutePath();
        List<String> tooLong = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.walk(main)) {
            for (Path p : paths.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
                files++;
                int lines = Files.readAllLines(p, StandardCharsets.UTF_8).size();
                if (lines > FILE_LIMIT) {
                    tooLong.add(main.relativize(p) + ": " + lines + " lines");
                }
            }
        }
        assertThat(files).as("main sources found under %s", main).isGreaterThan(40);
        assertThat(tooLong).as("main sources longer than %d lines", FILE_LIMIT).isEmpty();
    }

    @Test
    void noJavaSourceLineIsLongerThanTheLimit() throws IOException {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assertThat(root.resolve("jrcu-core").resolve("pom.xml")).as("the repository root").exists();
        List<String> tooLong = new ArrayList<>();
        int files = 0;
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.filter(Files::isRegularFile).map(root::relativize)
                    .filter(SourceLineLengthTest::isSource).sorted().toList()) {
                files++;
                List<String> lines = Files.readAllLines(root.resolve(p), StandardCharsets.UTF_8);
                for (int i = 0; i < lines.size(); i++) {
                    int length = lines.get(i).length();
                    if (length > LIMIT) {
                        tooLong.add(p + ":" + (i + 1) + ": " + length + " characters");
                    }
                }
            }
        }
        assertThat(files).as("Java sources found under %s", root).isGreaterThan(100);
        assertThat(tooLong).as("lines longer than %d characters", LIMIT).isEmpty();
    }

    /** A Java source, {@code relative} to the repository root. */
    private static boolean isSource(Path relative) {
        if (!relative.toString().endsWith(".java")) {
            return false;
        }
        for (Path part : relative) {
            String name = part.toString();
            if (name.equals("target") || name.startsWith(".")) {
                return false;   // build output, and hidden folders (.git, the IDE's)
            }
        }
        return true;
    }
}
