package io.jrcu;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Reads the library's version once: from {@code io/jrcu/version.properties}, which the build writes, so that it
 * is known on the class path too (a module descriptor's version is only seen on the module path).
 */
final class LibraryVersion {
    static final String VERSION = read();

    private LibraryVersion() {
    }

    private static String read() {
        try (InputStream in = LibraryVersion.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            throw new UncheckedIOException("jrcu: cannot read io/jrcu/version.properties", e);
        }
    }
}
