/**
 * jrcu: userspace read-copy-update for the JVM.
 *
 * <p>{@code io.jrcu} (domains, sections, callbacks, defer queues), {@code io.jrcu.arena} (off-heap memory whose
 * free waits for readers) and {@code io.jrcu.map} (RCU-protected off-heap maps) are exported; {@code io.jrcu.internal}
 * holds machinery and test hooks that are not API.
 */
module io.jrcu {
    requires static jdk.jfr;
    exports io.jrcu;
    exports io.jrcu.arena;
    exports io.jrcu.map;
}
