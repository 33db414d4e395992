package io.jrcu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The public API is deliberate: the public and protected signatures of every type in the packages that
 * {@code module-info} exports are compared with the committed {@code jrcu-core/api/jrcu-core.api} (as Kotlin's
 * binary-compatibility validator compares its {@code .api} dump). A change to the API fails this test until the same
 * commit writes it into that file: run {@code mvn -pl jrcu-core test -Dtest=PublicApiTest -Djrcu.api.update=true}
 * and commit the file with the change.
 */
class PublicApiTest {
    private static final Path COMMITTED = Path.of("api", "jrcu-core.api");
    private static final Path CLASSES = Path.of("target", "classes");

    @Test
    void thePublicApiIsTheCommittedOne() throws Exception {
        String actual = dump();
        if (Boolean.getBoolean("jrcu.api.update")) {
            Files.writeString(COMMITTED, actual, StandardCharsets.UTF_8);
        }
        assertThat(COMMITTED).as("the committed API dump %s (see this test's Javadoc)", COMMITTED.toAbsolutePath())
                .exists();
        String committed = Files.readString(COMMITTED, StandardCharsets.UTF_8);
        if (!committed.equals(actual)) {
            Path written = Path.of("target", "jrcu-core.api");
            Files.writeString(written, actual, StandardCharsets.UTF_8);
            assertThat(actual.lines().toList())
                    .as("the public API differs from %s; the API now is in %s. If the change is deliberate, run "
                            + "mvn -pl jrcu-core test -Dtest=PublicApiTest -Djrcu.api.update=true and commit the "
                            + "file with it", COMMITTED, written.toAbsolutePath())
                    .containsExactlyElementsOf(committed.lines().toList());
        }
    }

    @Test
    void theDumpSeesTheApiAndNotTheInternals() throws Exception {
        String dump = dump();
        assertThat(dump)
                .contains("public abstract sealed interface io.jrcu.Rcu")
                .contains("public abstract void io.jrcu.Rcu.synchronize()")
                .contains("protected abstract void io.jrcu.RcuCallback.invoke()")
                // public methods inherited from a package-private superclass are API of the public subclass
                .contains("public final void io.jrcu.MembRcu.synchronize()")
                .doesNotContain("AbstractRcu")
                .doesNotContain("CounterRcu");
    }

    /** The exported packages' public types, each with its public and protected members, sorted. */
    static String dump() throws IOException, ClassNotFoundException {
        ModuleDescriptor module;
        try (InputStream in = Files.newInputStream(CLASSES.resolve("module-info.class"))) {
            module = ModuleDescriptor.read(in);
        }
        List<String> exported = module.exports().stream()
                .filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source)
                .sorted()
                .toList();
        StringBuilder out = new StringBuilder();
        out.append("module ").append(module.name()).append('\n');
        for (String pkg : exported) {
            out.append("exports ").append(pkg).append('\n');
        }
        for (String pkg : exported) {
            for (Class<?> type : publicTypes(pkg)) {
                out.append('\n');
                describe(type, out);
            }
        }
        return out.toString();
    }

    private static List<Class<?>> publicTypes(String pkg) throws IOException, ClassNotFoundException {
        Path dir = CLASSES.resolve(pkg.replace('.', '/'));
        List<String> names;
        try (Stream<Path> files = Files.list(dir)) {
            names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".class") && !n.equals("module-info.class")
                            && !n.equals("package-info.class"))
                    .map(n -> pkg + "." + n.substring(0, n.length() - ".class".length()))
                    .sorted()
                    .toList();
        }
        List<Class<?>> types = new ArrayList<>();
        for (String name : names) {
            Class<?> c = Class.forName(name, false, PublicApiTest.class.getClassLoader());
            if (isVisible(c)) {
                types.add(c);
            }
        }
        return types;
    }

    /** A type a user can name: public, and (if nested) inside types a user can name, through public or protected. */
    private static boolean isVisible(Class<?> c) {
        if (c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic()) {
            return false;
        }
        for (Class<?> t = c; t != null; t = t.getDeclaringClass()) {
            int m = t.getModifiers();
            boolean outermost = t.getDeclaringClass() == null;
            if (outermost ? !Modifier.isPublic(m) : !(Modifier.isPublic(m) || Modifier.isProtected(m))) {
                return false;
            }
        }
        return true;
    }

    private static void describe(Class<?> c, StringBuilder out) {
        out.append(header(c)).append('\n');
        TreeSet<String> members = new TreeSet<>();
        if (c.isRecord()) {
            members.add("record components (" + Arrays.stream(c.getRecordComponents())
                    .map(RecordComponent::toString).collect(Collectors.joining(", ")) + ")");
        }
        for (Field f : c.getDeclaredFields()) {
            if (isApi(f.getModifiers(), f.isSynthetic()) && !(c.isEnum() && f.isEnumConstant())) {
                members.add(f.toGenericString());
            }
        }
        if (c.isEnum()) {
            members.add("enum constants " + Arrays.stream(c.getEnumConstants())
                    .map(e -> ((Enum<?>) e).name()).collect(Collectors.joining(", ")));
        }
        for (Constructor<?> k : c.getDeclaredConstructors()) {
            if (isApi(k.getModifiers(), k.isSynthetic()) && !c.isEnum()) {
                members.add(k.toGenericString());
            }
        }
        for (Method m : c.getDeclaredMethods()) {
            if (isApi(m.getModifiers(), m.isSynthetic() || m.isBridge())) {
                members.add(m.toGenericString());
            }
        }
        // a class's non-public superclasses are not API, but their public and protected methods are, as the
        // class's own (javac's visibility bridges are synthetic, so they are not seen above)
        for (Class<?> s = c.getSuperclass(); s != null && !isVisible(s); s = s.getSuperclass()) {
            for (Method m : s.getDeclaredMethods()) {
                if (isApi(m.getModifiers(), m.isSynthetic() || m.isBridge()) && !overridden(c, s, m)) {
                    members.add(m.toGenericString().replace(s.getName() + ".", c.getName() + "."));
                }
            }
        }
        for (String member : members) {
            out.append("  ").append(member).append('\n');
        }
    }

    /** Whether a class between {@code c} and {@code declaring} (or {@code c}) declares {@code m} again. */
    private static boolean overridden(Class<?> c, Class<?> declaring, Method m) {
        for (Class<?> t = c; t != declaring; t = t.getSuperclass()) {
            for (Method d : t.getDeclaredMethods()) {
                if (!d.isBridge() && !d.isSynthetic() && d.getName().equals(m.getName())
                        && Arrays.equals(d.getParameterTypes(), m.getParameterTypes())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean isApi(int modifiers, boolean synthetic) {
        return !synthetic && (Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers));
    }

    private static String header(Class<?> c) {
        StringBuilder h = new StringBuilder(c.toGenericString());
        Class<?> superclass = c.getSuperclass();
        while (superclass != null && !isVisible(superclass)) {   // a non-public superclass is not API
            superclass = superclass.getSuperclass();
        }
        if (superclass != null && superclass != Object.class && !c.isEnum() && !c.isRecord()) {
            h.append(" extends ").append(superclass == c.getSuperclass()
                    ? c.getGenericSuperclass().getTypeName() : superclass.getName());
        }
        if (c.getGenericInterfaces().length > 0) {
            h.append(c.isInterface() ? " extends " : " implements ").append(Arrays.stream(c.getGenericInterfaces())
                    .map(java.lang.reflect.Type::getTypeName).collect(Collectors.joining(", ")));
        }
        if (c.isSealed()) {
            h.append(" permits ").append(Arrays.stream(c.getPermittedSubclasses())
                    .map(Class::getName).collect(Collectors.joining(", ")));
        }
        return h.toString();
    }
}
