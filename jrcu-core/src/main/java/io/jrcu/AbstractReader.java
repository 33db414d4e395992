package io.jrcu;

import java.util.Arrays;

/**
 * A reader record's owner thread, the first field of the record: before the padding, so that the lookups of other
 * threads whose ids share the record's slot ({@link ThreadReaders}), which compare it, read a line the owner never
 * writes. Final: written once, seen as constructed by every thread whatever the race.
 */
abstract class AbstractReaderOwner {
    final Thread owner;

    AbstractReaderOwner(Thread owner) {
        this.owner = owner;
    }
}

/**
 * 128 bytes before a reader record's written fields (JCTools-style padding by class hierarchy: HotSpot lays out a
 * superclass's fields before its subclass's). A record is written on every section by its reader and read by grace
 * periods; without padding, whatever object the allocator or the garbage collector places beside it — written by
 * other threads, or by this one elsewhere — would share its cache lines (false sharing, varying from run to run with
 * the heap's layout). liburcu aligns its reader records to cache lines for the same reason.
 */
abstract class AbstractReaderPadBefore extends AbstractReaderOwner {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p0a, p0b, p0c, p0d, p0e, p0f;

    AbstractReaderPadBefore(Thread owner) {
        super(owner);
    }
}

/**
 * A thread's reader record: the part every flavor shares. It counts the thread's nesting depth, hands out the
 * reusable {@link ReadSection} objects (one per nesting level, the outermost one in a field of its own, so the read
 * path allocates nothing once a level has been reached) and enforces the misuse checks that cost a compare on the
 * thread's own record. The flavor supplies what happens at the outermost entry and exit.
 */
abstract class AbstractReader extends AbstractReaderPadBefore implements RcuReader {
    /*
     * Only the owner thread writes `depth` and `sections` (checked on every call), so they are plain fields. The
     * record's shared state, which the grace period reads, lives in the flavors' subclasses with its own access
     * modes.
     */

    /**
     * {@code owner} until the record is retired, then null: the owner check is one compare. Plain: written by the
     * owner (unregister) or, once the owner is dead, by whoever drops the record from the registry. Other threads
     * read it only for {@link #toString}.
     */
    private Thread liveOwner;
    final GracePeriodEngine<?> domain;
    /** Nesting depth of the owner's sections; plain, owner-only. */
    private int depth;
    /** The reusable section object of the outermost level, the one nearly every section uses. */
    private final OutermostSection outermost = new OutermostSection(this);
    /** sections[level - 2] is the reusable section object for nesting level {@code level} >= 2. */
    private Section[] sections = new Section[3];

    AbstractReader(GracePeriodEngine<?> domain, Thread owner) {
        super(owner);
        this.domain = domain;
        this.liveOwner = owner;
    }

    /** Outermost entry: make the section visible to grace periods, or throw if the thread may not read. */
    abstract void enterOutermost();

    /** Outermost exit: the section is over for grace periods. */
    abstract void exitOutermost();

    /** Whether the owner unregistered this record (it may not be used any more). */
    final boolean retired() {
        return liveOwner == null;
    }

    /** The record may not be used any more (unregistered by its owner, or dropped after the owner died). */
    final void retire() {
        liveOwner = null;
    }

    final int depth() {
        return depth;
    }

    @Override
    public final ReadSection read() {
        readLock();
        int level = depth;
        return level == 1 ? outermost : nested(level);
    }

    /** The section object of nesting level {@code level} >= 2, created on first use. */
    private Section nested(int level) {
        Section[] s = sections;
        int i = level - 2;
        if (i >= s.length) {
            s = Arrays.copyOf(s, Math.min(Math.max(i + 1, s.length * 2), GracePeriodEngine.MAX_NESTING - 1));
            sections = s;
        }
        Section section = s[i];
        if (section == null) {
            section = new Section(this, level);
            s[i] = section;
        }
        return section;
    }

    @Override
    public final void readLock() {
        checkOwner("readLock()");
        int d = depth;
        if (d == 0) {
            enterOutermost();
        } else if (d >= GracePeriodEngine.MAX_NESTING) {
            throw new IllegalStateException("read sections of " + domain.name + " nested deeper than the limit of "
                    + GracePeriodEngine.MAX_NESTING + " on thread '" + owner.getName() + "'");
        }
        depth = d + 1;
    }

    @Override
    public final void readUnlock() {
        checkOwner("readUnlock()");
        int d = depth;
        if (d == 1) {         // the outermost level: one compare on the common path
            depth = 0;
            exitOutermost();
        } else if (d > 1) {
            depth = d - 1;
        } else {
            throw new IllegalStateException("readUnlock() without a matching readLock() on thread '"
                    + owner.getName() + "' in " + domain.name + " (nesting depth 0)");
        }
    }

    @Override
    public final boolean inReadSection() {
        return depth > 0;
    }

    /** Closes the section of nesting level {@code level} >= 2 (a {@link Section}: nested() makes them). */
    final void closeSection(int level) {
        checkOwner("ReadSection.close()");
        int d = depth;
        if (d != level) {
            throw misclosed(level, d);
        }
        depth = d - 1;
    }

    /** Closes the outermost section: the level is the constant 1, so the order check is one compare. */
    final void closeOutermost() {
        checkOwner("ReadSection.close()");
        int d = depth;
        if (d != 1) {
            throw misclosed(1, d);
        }
        depth = 0;
        exitOutermost();
    }

    private IllegalStateException misclosed(int level, int d) {
        return new IllegalStateException(d < level
                ? "ReadSection of level " + level + " closed twice or after it ended (thread '"
                + owner.getName() + "' is at nesting depth " + d + " in " + domain.name + ")"
                : "ReadSection closed out of order: level " + level + " closed while level " + d
                + " is the innermost open section of thread '" + owner.getName() + "' in " + domain.name);
    }

    final void checkOwner(String operation) {
        Thread current = Thread.currentThread();
        if (current != liveOwner) {   // null once retired: one compare covers both misuses
            throw wrongThread(operation, current);
        }
    }

    private IllegalStateException wrongThread(String operation, Thread current) {
        if (current != owner) {
            return new IllegalStateException(operation + " on the reader handle of thread '" + owner.getName()
                    + "' called from thread '" + current.getName() + "' (" + domain.name
                    + "): a reader handle belongs to its thread");
        }
        return new IllegalStateException(operation + " on a reader handle of thread '" + owner.getName()
                + "' after it unregistered from " + domain.name);
    }

    /** Forgets the nesting depth; used when the owner is dead and its section was released. */
    final void resetDepthOfDeadOwner() {
        depth = 0;
    }

    /**
     * The owner thread, the domain, and the nesting depth the owner last wrote (a plain read: exact on the owner,
     * a snapshot elsewhere), or that the handle is unregistered.
     */
    @Override
    public String toString() {
        return "RcuReader['" + owner.getName() + "' in " + domain.name
                + (retired() ? ", unregistered" : ", depth " + depth) + "]";
    }

    /** What a section object of {@code level} prints. */
    private String describeSection(int level) {
        return "ReadSection[level " + level + " of '" + owner.getName() + "' in " + domain.name + "]";
    }

    /** A reusable section object for one nesting level >= 2 of one reader. */
    static final class Section implements ReadSection {
        private final AbstractReader reader;
        private final int level;

        Section(AbstractReader reader, int level) {
            assert level >= 2 : level;
            this.reader = reader;
            this.level = level;
        }

        @Override
        public void close() {
            reader.closeSection(level);
        }

        @Override
        public String toString() {
            return reader.describeSection(level);
        }
    }

    /** The outermost level's section object: its level is 1, so its close loads none (see closeOutermost). */
    static final class OutermostSection implements ReadSection {
        private final AbstractReader reader;

        OutermostSection(AbstractReader reader) {
            this.reader = reader;
        }

        @Override
        public void close() {
            reader.closeOutermost();
        }

        @Override
        public String toString() {
            return reader.describeSection(1);
        }
    }
}
