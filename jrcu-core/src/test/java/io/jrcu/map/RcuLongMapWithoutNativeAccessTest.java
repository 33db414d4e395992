package io.jrcu.map;

import io.jrcu.Rcu;
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
 * Where readers have no address-space segment ({@link LongTable#ADDRESS_SPACE} is null) they load through each
 * table's own segment, and the map works the same: in a JVM that denies native access
 * ({@code --illegal-native-access=deny}), and with {@code -Djrcu.map.checkedReads=true} though native access is
 * granted. Runs {@link Child} in a child JVM (the same {@code java} binary).
 */
class RcuLongMapWithoutNativeAccessTest {

    @Test
    void theMapWorksThroughTheTablesSegmentsWhenNativeAccessIsDenied() throws Exception {
        runChild("--illegal-native-access=deny");
    }

    @Test
    void checkedReadsTakeTheTablesSegmentsThoughNativeAccessIsGranted() throws Exception {
        runChild("--enable-native-access=ALL-UNNAMED", "-Djrcu.map.checkedReads=true");
    }

    static void runChild(String... flags) throws Exception {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Set<String> classPath = new LinkedHashSet<>();
        for (Class<?> c : new Class<?>[] {Rcu.class, Child.class}) {
            classPath.add(Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
        }
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(List.of(flags));
        command.addAll(List.of("-Xmx128m", "-cp", String.join(File.pathSeparator, classPath), Child.class.getName()));
        Path output = Files.createTempFile("jrcu-no-native-access", ".txt");
        try {
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile())
                    .start();
            if (!child.waitFor(60, TimeUnit.SECONDS)) {
                child.destroyForcibly();
                fail("the child JVM did not finish within 60 s: " + command + "\n" + Files.readString(output));
            }
            String out = Files.readString(output);
            assertThat(child.exitValue()).as("exit code; output:\n%s", out).isZero();
            assertThat(out).contains("address space: none").contains("PASS").doesNotContain("WARNING");
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** The child JVM: a map through growth, removal and a traversal; exits 0 only if every result is right. */
    public static final class Child {
        public static void main(String[] args) {
            System.out.println("address space: " + (LongTable.ADDRESS_SPACE == null ? "none" : "present"));
            Rcu rcu = Rcu.bulletProof();
            boolean ok;
            try (RcuLongMap map = RcuLongMap.builder(rcu).initialCapacity(16).build()) {
                for (long k = 0; k < 10_000; k++) {
                    map.put(k, k * 3);
                }
                for (long k = 0; k < 10_000; k += 2) {
                    map.remove(k);
                }
                long[] sum = {0};
                map.forEach((k, v) -> sum[0] += v);
                ok = map.size() == 5_000 && map.get(1) == 3 && map.get(rcu.reader(), 9_999) == 29_997
                        && map.get(2) == map.missingValue() && sum[0] == 3 * 25_000_000L;
                System.out.println(ok ? "PASS" : "FAIL: size " + map.size() + ", sum " + sum[0]);
            } finally {
                rcu.close();
            }
            System.exit(ok ? 0 : 1);   // after the map and the domain are closed
        }
    }
}
