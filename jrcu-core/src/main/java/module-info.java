/**
 * jrcu: userspace read-copy-update for the JVM.
 *
 * <p>{@code io.jrcu} and {@code io.jrcu.map} are exported; {@code io.jrcu.internal} holds machinery and test hooks
 * that are not API.
 */
module io.jrcu {
    requires static jdk.jfr;
    exports io.jrcu;
    exports io.jrcu.map;
}
