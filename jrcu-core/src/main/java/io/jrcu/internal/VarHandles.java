package io.jrcu.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The one way jrcu looks up a field's {@link VarHandle}: a one-line initializer of a {@code private static final}
 * handle, {@code VarHandles.field(MethodHandles.lookup(), "counter", long.class)}, in place of a {@code static}
 * block that catches {@link ReflectiveOperationException}. Array element handles need no lookup and come from
 * {@link MethodHandles#arrayElementVarHandle} directly.
 *
 * <p>Meant for static initializers only: a field that cannot be found or accessed is a bug in the calling class, so
 * the lookup fails with an {@link ExceptionInInitializerError} whose cause names the field's class, name and type.
 */
public final class VarHandles {

    private VarHandles() {
    }

    /**
     * A handle on the instance field {@code name} of type {@code type} declared by the lookup's class.
     *
     * @param lookup the lookup of the class that declares the field ({@code MethodHandles.lookup()} in that class)
     * @param name the field's name
     * @param type the field's declared type
     * @return the field's handle
     * @throws ExceptionInInitializerError if the lookup's class has no such field
     */
    public static VarHandle field(MethodHandles.Lookup lookup, String name, Class<?> type) {
        return field(lookup, lookup.lookupClass(), name, type);
    }

    /**
     * A handle on the instance field {@code name} of type {@code type} declared by {@code holder}, a class other than
     * the lookup's whose field the lookup's class may access: a superclass of a padding hierarchy, a nested class, or
     * another class of the package.
     *
     * @param lookup the lookup of the class that uses the handle
     * @param holder the class that declares the field
     * @param name the field's name
     * @param type the field's declared type
     * @return the field's handle
     * @throws ExceptionInInitializerError if {@code holder} has no such field or the lookup may not access it
     */
    public static VarHandle field(MethodHandles.Lookup lookup, Class<?> holder, String name, Class<?> type) {
        try {
            return lookup.findVarHandle(holder, name, type);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(new IllegalStateException("no VarHandle for field " + type.getName()
                    + " " + holder.getName() + "." + name + " (lookup in " + lookup.lookupClass().getName() + ")", e));
        }
    }
}
