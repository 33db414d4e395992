package io.jrcu.map;

import io.jrcu.ChildJvm;
import io.jrcu.Rcu;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where readers have no address-space segment ({@link LongTable#ADDRESS_SPACE} is null) they load through each
 * table's own segment, and the map works the same: in a JVM that denies native access
 * ({@code --illegal-native-access=deny}), in one with no flag (where the JDK would warn at a restricted call, and
 * none is made), and with {@code -Djrcu.map.checkedReads=true} though native access is granted; with native access
 * readers use the address space. Runs {@link Child} in a child JVM ({@link ChildJvm}).
 */
class RcuLongMapWithoutNativeAccessTest {

    @Test
    void theMapWorksThroughTheTablesSegmentsWhenNativeAccessIsDenied() throws Exception {
        runChild("address space: none", "--illegal-native-access=deny");
    }

    @Test
    void checkedReadsTakeTheTablesSegmentsThoughNativeAccessIsGranted() throws Exception {
        runChild("address space: none", "--enable-native-access=ALL-UNNAMED", "-Djrcu.map.checkedReads=true");
    }

    @Test
    void withoutANativeAccessFlagTheJdkPrintsNoWarning() throws Exception {
        runChild("address space: none");   // the JDK's default mode warns at a restricted call: the map makes none
    }

    @Test
    void withNativeAccessReadersUseTheAddressSpace() throws Exception {
        runChild("address space: present", "--enable-native-access=ALL-UNNAMED");
    }

    static void runChild(String addressSpace, String... flags) throws Exception {
        List<String> all = new ArrayList<>(List.of(flags));
        all.add("-Xmx128m");
        ChildJvm.Result r = ChildJvm.run(Child.class, Duration.ofSeconds(60), all.toArray(String[]::new));
        assertThat(r.exitCode()).as("exit code; output:\n%s", r.output()).isZero();
        assertThat(r.output()).contains(addressSpace).contains("PASS").doesNotContain("WARNING");
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
