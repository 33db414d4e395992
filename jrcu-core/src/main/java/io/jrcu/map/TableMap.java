package io.jrcu.map;

import io.jrcu.Rcu;
import io.jrcu.internal.Bridge;
import io.jrcu.internal.LibraryFlavor;
import io.jrcu.internal.VarHandles;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What a map holds that both its readers and its writer ({@link TableWriter}) touch: its name, its domain, the
 * current table and the count of entries. The writer stores the table and the count, under its lock, with release;
 * readers and the writer's checks load them with acquire. The maps' overviews have the full pairing tables.
 */
abstract class TableMap {
    private static final VarHandle TABLE = VarHandles.field(MethodHandles.lookup(), "table", LongTable.class);
    private static final VarHandle SIZE = VarHandles.field(MethodHandles.lookup(), "size", long.class);

    /** The map's class name, for messages. */
    final String mapName;
    final Rcu rcu;
    final LibraryFlavor flavor;
    /** Current table; {@link LongTable#CLOSED} after close. Access: TABLE. */
    @SuppressWarnings("unused")
    private LongTable table;
    /** Entries in the map. Access: SIZE. */
    @SuppressWarnings("unused")
    private long size;

    /**
     * A map named {@code mapName} on {@code rcu}.
     *
     * @throws IllegalStateException if the domain is closed or closing
     */
    TableMap(String mapName, Rcu rcu) {
        this.mapName = mapName;
        this.rcu = rcu;
        this.flavor = Bridge.flavorOf(rcu);
        if (!flavor.isOpen()) {
            throw new IllegalStateException(mapName + " on " + flavor.name() + ", which is closed or closing");
        }
    }

    /** The current table (readers, and the writer's lock and close checks). */
    final LongTable laTable() {
        return (LongTable) TABLE.getAcquire(this);   // acquire; pairs with srTable
    }

    /** Publishes {@code t} (the writer: a new table, or CLOSED), with the entries written to it before. */
    final void srTable(LongTable t) {
        TABLE.setRelease(this, t);   // release; pairs with the getAcquire in laTable
    }

    /** The count of entries the writer stored last. */
    final long laSize() {
        return (long) SIZE.getAcquire(this);   // acquire; pairs with srSize
    }

    /** The writer's store of the count of entries. */
    final void srSize(long n) {
        SIZE.setRelease(this, n);   // release; pairs with the getAcquire in laSize
    }

    /** The exception for {@code operation} on a closed map. */
    final IllegalStateException closed(String operation) {
        return new IllegalStateException(mapName + "." + operation + " on a closed map (domain " + flavor.name() + ")");
    }
}
