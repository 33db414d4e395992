package io.jrcu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LibraryVersionTest {
    @Test
    void versionIsTheBuildsProjectVersion() {
        String expected = System.getProperty("jrcu.expectedVersion");
        assertThat(expected).as("the build passes the project version to the tests").isNotBlank();
        assertThat(Rcu.version()).isEqualTo(expected);
    }
}
