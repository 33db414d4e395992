package io.jrcu;

/**
 * An open read-side section; {@link #close()} ends it. Section objects are reused by their reader (the read path
 * allocates nothing), so keep one only for the section's lifetime.
 *
 * <pre>{@code
 * try (ReadSection s = rcu.read()) {
 *     Config c = current.get();            // c stays valid until the section ends
 *     use(c);
 * }
 * }</pre>
 */
public interface ReadSection extends AutoCloseable {

    /**
     * Ends this section.
     *
     * @throws IllegalStateException if the section is not the calling thread's innermost open section: closed out
     *                               of order, by another thread, or twice (reliably when no new section was opened
     *                               since; best effort otherwise)
     */
    @Override
    void close();
}
