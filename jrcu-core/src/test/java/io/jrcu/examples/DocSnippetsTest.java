package io.jrcu.examples;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every {@code ```java} block of {@code README.md} and {@code docs/**}{@code /*.md} compiles, in one call of
 * {@code javac} against the test class path (the core's classes, its tests and their dependencies).
 *
 * <p><b>How a block compiles.</b> Each block becomes one compilation unit:
 * <pre>
 *   package snippets;
 *   import io.jrcu.*; import io.jrcu.arena.*; import io.jrcu.map.*; import java.lang.foreign.*;
 *   import java.time.*; import java.util.*; import java.util.function.*;
 *   import java.util.concurrent.atomic.*;     (the default imports)
 *   the block's own leading import lines
 *   final class Snippet_README_md_44 {        (the file and the line of the opening fence)
 *       the block's "given" declarations
 *       void snippet() throws Throwable {
 *           the rest of the block
 *       }
 *   }
 * </pre>
 * So a block is a method body: statements, and local classes, records, interfaces and enums (a type in a block has
 * no {@code public}). A block whose first code line (after comments) declares a {@code static} member type, such as
 * {@code static final class PriceIndex}, is a member block instead: its text goes into the class body as it is.
 * Names a block uses without showing them are declared in an HTML comment right before the fence (blank lines
 * between are allowed), which the rendered page hides:
 * <pre>
 *   &lt;!-- given: Rcu rcu; void use(Object o) {} --&gt;
 * </pre>
 * Its text (from {@code given:} to {@code -->}, one or more lines) goes into the class as member declarations:
 * fields, methods, nested types. A compile error names the Markdown file and the fence's line.
 *
 * <p><b>Quotes.</b> A block that shows part of a source file says so with {@code <!-- quote: path -->} (the path from
 * the repository root) right before its fence; its lines must be a run of that file's lines, verbatim but for one
 * indent taken off them all (a nested class shown at the margin), so that the page cannot drift from the file.
 */
class DocSnippetsTest {
    private static final Pattern DIAGNOSTIC =
            Pattern.compile("(?m)(Snippet_\\w+\\.java):(\\d+):\\d+: (compiler\\.err\\..*)$");
    /** A block quoted from a source file: {@code <!-- quote: path -->} right before its fence. */
    private static final Pattern QUOTE = Pattern.compile("<!--\\s*quote:([^>]*?)-->\\s*\n```java\n(.*?)```",
            Pattern.DOTALL);
    private static final Pattern GIVEN = Pattern.compile("<!--\\s*given:((?:(?!-->).)*)-->\\s*\\z",
            Pattern.DOTALL);
    private static final String DEFAULT_IMPORTS = "import io.jrcu.*; import io.jrcu.arena.*; import io.jrcu.map.*;"
            + " import java.lang.foreign.*; import java.time.*; import java.util.*; import java.util.function.*;"
            + " import java.util.concurrent.atomic.*;";
    /** The first code line of a member block: a member type declared {@code static}. */
    private static final Pattern MEMBER_TYPE =
            Pattern.compile("^(?:(?:private|protected|public|final|abstract|sealed)\\s+)*static\\s+.*"
                    + "\\b(?:class|record|interface|enum)\\b.*");

    /** One {@code ```java} block: where it is, the given declarations before it, and its lines. */
    record Snippet(String file, int line, String given, List<String> lines) {
        String className() {
            return "Snippet_" + file.replaceAll("[^A-Za-z0-9]", "_") + "_" + line;
        }

        /** The compilation unit the block becomes (see the class documentation). */
        String unit() {
            StringBuilder imports = new StringBuilder();
            int first = 0;
            while (first < lines.size()
                    && (lines.get(first).startsWith("import ") || lines.get(first).isBlank())) {
                imports.append(lines.get(first++)).append('\n');
            }
            StringBuilder body = new StringBuilder();
            for (String l : lines.subList(first, lines.size())) {
                body.append("        ").append(l).append('\n');
            }
            String head = "package snippets;\n" + DEFAULT_IMPORTS + "\n" + imports + "final class " + className()
                    + " {\n" + given + "\n";
            if (isMemberBlock(lines.subList(first, lines.size()))) {
                return head + body + "}\n";
            }
            return head + "    void snippet() throws Throwable {\n" + body + "    }\n}\n";
        }

        /** Whether the block's first code line (after comments) declares a {@code static} member type. */
        private static boolean isMemberBlock(List<String> code) {
            for (String l : code) {
                String t = l.strip();
                if (t.isEmpty() || t.startsWith("/*") || t.startsWith("*") || t.startsWith("//")) {
                    continue;
                }
                return MEMBER_TYPE.matcher(t).matches();
            }
            return false;
        }
    }

    /** The repository's root (the tests run in jrcu-core). */
    private static Path root() {
        Path root = Path.of("..").toAbsolutePath().normalize();
        assertThat(root.resolve("README.md")).as("the repository root").exists();
        return root;
    }

    /** README.md and every page under docs/. */
    private static List<Path> pages(Path root) throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md"));
        if (Files.isDirectory(root.resolve("docs"))) {
            try (Stream<Path> docs = Files.walk(root.resolve("docs"))) {
                docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
            }
        }
        return pages;
    }

    @Test
    void everyQuotedBlockIsItsSourceFilesTextVerbatim() throws IOException {
        Path root = root();
        int quoted = 0;
        List<String> stale = new ArrayList<>();
        for (Path page : pages(root)) {
            Matcher m = QUOTE.matcher(Files.readString(page));
            while (m.find()) {
                quoted++;
                Path source = root.resolve(m.group(1).strip());
                String problem = quoteProblem(m.group(2), Files.exists(source) ? Files.readString(source) : null);
                if (problem != null) {
                    stale.add(root.relativize(page) + " quoting " + m.group(1).strip() + ": " + problem);
                }
            }
        }
        assertThat(quoted).as("quoted blocks").isPositive();
        assertThat(stale).isEmpty();
    }

    @Test
    void aQuoteThatDriftedFromItsFileIsNamed() {
        String file = "class A {\n    int x = 1;\n    int y = 2;\n}\n";
        assertThat(quoteProblem("    int x = 1;\n    int y = 2;\n", file)).isNull();
        assertThat(quoteProblem("    int x = 1;\n    int y = 3;\n", file)).contains("int y = 3;");
        assertThat(quoteProblem("int x = 1;\nint y = 2;\n", file)).as("one indent for the whole run").isNull();
        assertThat(quoteProblem("int x = 1;\n  int y = 2;\n", file)).contains("int y = 2;");
        assertThat(quoteProblem("int x = 1;\n", null)).contains("no such file");
    }

    /**
     * Null if {@code block}'s lines are a run of consecutive lines of {@code file}, all shifted by the same indent
     * (a nested class quoted at the margin), else what is wrong: the first block line from which no run matches.
     */
    static String quoteProblem(String block, String file) {
        if (file == null) {
            return "no such file";
        }
        List<String> want = block.lines().toList();
        List<String> have = file.lines().toList();
        int best = 0;
        for (int start = 0; start + want.size() <= have.size(); start++) {
            String first = have.get(start);
            String indent = want.isEmpty() || !first.endsWith(want.get(0)) ? null
                    : first.substring(0, first.length() - want.get(0).length());
            if (indent == null || !indent.isBlank()) {
                continue;
            }
            int n = 0;
            while (n < want.size() && (have.get(start + n).equals(indent + want.get(n))
                    || want.get(n).isEmpty() && have.get(start + n).isBlank())) {
                n++;
            }
            if (n == want.size()) {
                return null;
            }
            best = Math.max(best, n);
        }
        return "no run of the file's lines matches from block line " + (best + 1) + ": "
                + (want.isEmpty() ? "(empty block)" : want.get(Math.min(best, want.size() - 1)).strip());
    }

    @Test
    void everyJavaBlockOfTheReadmeAndDocsCompiles() throws IOException {
        Path root = root();
        List<Path> pages = pages(root);
        List<Snippet> snippets = new ArrayList<>();
        for (Path page : pages) {
            snippets.addAll(extract(root.relativize(page).toString(), Files.readString(page)));
        }

        assertThat(snippets).as("java blocks in %s", pages).hasSizeGreaterThanOrEqualTo(4);
        assertThat(compile(snippets)).isEmpty();
    }

    @Test
    void aBrokenBlockFailsAndNamesItsFileAndLine() {
        String page = """
                # A page

                <!-- given: Rcu rcu;
                     void use(Object o) {} -->
                ```java
                import io.jrcu.arena.RcuArena;

                try (ReadSection s = rcu.read()) {
                    use(RcuArena.POISON);
                }
                ```

                ```java
                Rcu rcu = Rcu.memb();
                rcu.synchronise();
                ```

                ```java
                /** A member block: a static nested class, compiled in the class body. */
                static final class Index {
                    final RcuLongMap map = RcuLongMap.create(Rcu.memb());
                }
                ```
                """;
        List<Snippet> snippets = extract("page.md", page);

        assertThat(snippets).extracting(Snippet::line).containsExactly(5, 13, 18);
        assertThat(compile(snippets)).singleElement().asString()
                .contains("page.md:13", "rcu.synchronise()", "compiler.err.cant.resolve");
    }

    /** The {@code ```java} blocks of a Markdown page, with the given declarations right before each. */
    static List<Snippet> extract(String file, String text) {
        List<Snippet> snippets = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (!lines[i].strip().equals("```java")) {
                continue;
            }
            int fence = i;
            List<String> block = new ArrayList<>();
            for (i++; i < lines.length && !lines[i].strip().equals("```"); i++) {
                block.add(lines[i]);
            }
            String before = String.join("\n", List.of(lines).subList(0, fence));
            Matcher given = GIVEN.matcher(before);
            snippets.add(new Snippet(file, fence + 1, given.find() ? given.group(1).strip() : "", block));
        }
        return snippets;
    }

    /**
     * Compiles every snippet in one call of the JDK's {@code javac} tool, run in this JVM through
     * {@link java.util.spi.ToolProvider} (in {@code java.base}: the tests are compiled as part of module
     * {@code io.jrcu}, which does not read {@code java.compiler}). Returns the errors, each naming the Markdown file
     * and line.
     */
    static List<String> compile(List<Snippet> snippets) {
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow(() -> new AssertionError("no javac"));
        Path dir;
        try {
            dir = Files.createTempDirectory("doc-snippets");
            Files.createDirectories(dir.resolve("snippets"));
            Files.createDirectories(dir.resolve("classes"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try {
            Map<String, Snippet> byFile = new HashMap<>();
            List<String> args = new ArrayList<>(List.of("-classpath", System.getProperty("java.class.path"),
                    "-d", dir.resolve("classes").toString(), "-proc:none", "-implicit:none", "-Xmaxerrs", "1000",
                    "-XDrawDiagnostics"));
            for (Snippet s : snippets) {
                Path source = dir.resolve("snippets").resolve(s.className() + ".java");
                Files.writeString(source, s.unit());
                byFile.put(source.getFileName().toString(), s);
                args.add(source.toString());
            }
            StringWriter out = new StringWriter();
            javac.run(new PrintWriter(out), new PrintWriter(out), args.toArray(String[]::new));
            // -XDrawDiagnostics: "Snippet_X.java:LINE:COLUMN: compiler.err.KEY: ARGS"
            List<String> errors = new ArrayList<>();
            Matcher m = DIAGNOSTIC.matcher(out.toString());
            while (m.find()) {
                Snippet s = byFile.get(m.group(1));
                String where = s == null ? m.group(1) : s.file() + ":" + s.line();
                String source = s == null ? "" : s.unit().lines().skip(Integer.parseInt(m.group(2)) - 1L)
                        .findFirst().orElse("").strip();
                errors.add(where + " (java block): " + m.group(3) + "\n    at: " + source);
            }
            if (errors.isEmpty() && out.toString().contains("compiler.err")) {
                errors.add(out.toString());
            }
            return errors;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            deleteTree(dir);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
