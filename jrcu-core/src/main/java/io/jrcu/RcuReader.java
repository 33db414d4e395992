package io.jrcu;

/**
 * One thread's reader handle for one domain, from {@link Rcu#reader()}. Hot loops keep it to skip the lookup of
 * the thread's record that {@link Rcu#read()} makes. Only the thread it belongs to may use it: any other thread, and
 * its own thread after it unregistered, get {@link IllegalStateException}.
 *
 * <pre>{@code
 * RcuReader reader = rcu.reader();         // the calling thread's handle: keep it in hot loops
 * for (Request r : batch) {
 *     try (ReadSection s = reader.read()) {
 *         serve(r, current.get());
 *     }
 * }
 * }</pre>
 *
 * <p>Read sections are counted per thread: {@link #inReadSection()} is {@code true} while the nesting depth is above
 * zero. All methods are wait-free and allocate nothing.
 */
public interface RcuReader {

    /**
     * Enters a read-side section, closed by the returned {@link ReadSection} (use try-with-resources). Sections nest;
     * they must be closed in reverse order by this thread.
     *
     * @return the open section; its {@link ReadSection#close()} (try-with-resources) ends it
     * @throws IllegalStateException if the domain is closed, the thread may not read now, or the nesting limit is
     *                               reached
     */
    ReadSection read();

    /** Opens a section without a handle object ({@code rcu_read_lock}). */
    void readLock();

    /**
     * Closes the innermost section ({@code rcu_read_unlock}).
     *
     * @throws IllegalStateException if there is no open section
     */
    void readUnlock();

    /**
     * Whether this reader's thread is inside a section of the domain.
     *
     * @return {@code true} if the nesting depth of this reader's thread is above zero
     */
    boolean inReadSection();
}
