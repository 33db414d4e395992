package io.jrcu.map;

import io.jrcu.ReadSection;
import io.jrcu.Rcu;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The byte-map example of {@code docs/maps.md}: {@code SessionCache} is quoted there (DocSnippetsTest checks the
 * quote against this file), and {@link #theExampleRuns} runs it.
 */
class BytesMapDocExampleTest {

    /** Session id -> the serialized session record (first byte: flags), shared by request threads. */
    static final class SessionCache implements AutoCloseable {
        static final byte ADMIN = 1;
        private final Rcu rcu;
        private final RcuBytesMap sessions;

        SessionCache(Rcu rcu, int expected) {
            this.rcu = rcu;
            this.sessions = RcuBytesMap.builder(rcu).initialCapacity(expected).maxKeyBytes(32).maxValueBytes(4096)
                    .build();
        }

        /** Any thread: copies the record into {@code buffer}; its length, or -1 if the session is unknown. */
        int load(byte[] sessionId, byte[] buffer) {
            return sessions.get(sessionId, buffer);
        }

        /** Any thread: reads one byte of the record in place, without copying it (a view inside a section). */
        boolean isAdmin(byte[] sessionId) {
            try (ReadSection s = rcu.read()) {
                MemorySegment record = sessions.get(sessionId);   // valid until the section ends
                return record != null && (record.get(ValueLayout.JAVA_BYTE, 0) & ADMIN) != 0;
            }
        }

        /** A login or a refresh: the old record's memory is reused after a grace period. */
        void store(byte[] sessionId, byte[] record) {
            sessions.put(sessionId, record);
        }

        void logout(byte[] sessionId) {
            sessions.remove(sessionId);
        }

        @Override
        public void close() {
            sessions.close();   // waits for readers that may still hold a record, then frees everything
        }
    }

    @Test
    void theExampleRuns() {
        try (Rcu rcu = Rcu.memb(); SessionCache cache = new SessionCache(rcu, 1000)) {
            byte[] alice = "session-alice".getBytes(StandardCharsets.UTF_8);
            byte[] bob = "session-bob".getBytes(StandardCharsets.UTF_8);
            cache.store(alice, new byte[] {SessionCache.ADMIN, 'a', 'l', 'i', 'c', 'e'});
            cache.store(bob, new byte[] {0, 'b', 'o', 'b'});
            byte[] buffer = new byte[4096];
            assertThat(cache.load(alice, buffer)).isEqualTo(6);
            assertThat(buffer[1]).isEqualTo((byte) 'a');
            assertThat(cache.isAdmin(alice)).isTrue();
            assertThat(cache.isAdmin(bob)).isFalse();
            cache.logout(alice);
            assertThat(cache.isAdmin(alice)).isFalse();
            assertThat(cache.load(alice, buffer)).isEqualTo(-1);
        }
    }
}
