package io.jrcu.tools;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

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
}
