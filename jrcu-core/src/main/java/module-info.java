/**
 * jrcu: userspace read-copy-update for the JVM.
 *
 * <p>Only {@code io.jrcu} is exported; {@code io.jrcu.internal} holds machinery and test hooks that are not API.
 */
module io.jrcu {
    requires static jdk.jfr;
    exports io.jrcu;
}
