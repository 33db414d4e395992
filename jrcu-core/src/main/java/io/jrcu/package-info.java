/**
 * jrcu: read-copy-update for the JVM. Start with {@link io.jrcu.Rcu}.
 *
 * <h2>Access-mode naming (internal convention)</h2>
 * Fields accessed in more than one mode go through a {@code private static final VarHandle} named after the field in
 * upper case, wrapped in small accessors whose prefix names the mode (the table below). Each handle is a one-line
 * initializer through the internal helper {@code io.jrcu.internal.VarHandles}, which turns a failed lookup into an
 * {@link ExceptionInInitializerError} naming the field: {@code VarHandles.field(MethodHandles.lookup(), "count",
 * long.class)} beside a field of the class itself, or with the field's class named ({@code SizeClass.class,
 * "allocated", long.class}) for a field of a padding superclass or of another class.
 * <table>
 *   <caption>accessor prefixes</caption>
 *   <tr><th>prefix</th><th>mode</th></tr>
 *   <tr><td>{@code lp}</td><td>plain load</td></tr>
 *   <tr><td>{@code lo} / {@code so}</td><td>opaque load / store</td></tr>
 *   <tr><td>{@code la} / {@code sr}</td><td>acquire load / release store</td></tr>
 *   <tr><td>{@code lv} / {@code sv}</td><td>volatile load / store</td></tr>
 *   <tr><td>{@code cas}</td><td>volatile compare-and-set</td></tr>
 *   <tr><td>{@code xchg}</td><td>volatile get-and-set (exchange)</td></tr>
 * </table>
 * Each non-plain access carries a comment naming its partner; each concurrent class opens with an overview of its
 * invariants and a pairing table.
 */
package io.jrcu;
