package io.jrcu;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;

/**
 * Captures what the library logs through {@code System.getLogger("io.jrcu")}, which the JDK backs with
 * java.util.logging: a {@code StreamHandler} writing with a {@code SimpleFormatter} (level name, message, stack trace
 * of a thrown exception) is attached to the java.util.logging logger {@code io.jrcu} until {@link #close()}.
 *
 * <p>Reflection, because the tests are compiled into module {@code io.jrcu}, which does not read
 * {@code java.logging} (the core needs no logging module); at run time the tests are on the class path, where
 * {@code java.util.logging} is public API like any other.
 */
public final class LogCapture implements AutoCloseable {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Object logger;   // strongly held: java.util.logging keeps loggers weakly
    private final Object handler;
    private final Method flush;
    private final Method removeHandler;

    private LogCapture() {
        try {
            Class<?> loggerClass = Class.forName("java.util.logging.Logger");
            Class<?> handlerClass = Class.forName("java.util.logging.Handler");
            Class<?> formatterClass = Class.forName("java.util.logging.Formatter");
            Class<?> levelClass = Class.forName("java.util.logging.Level");
            logger = loggerClass.getMethod("getLogger", String.class).invoke(null, "io.jrcu");
            Object formatter = Class.forName("java.util.logging.SimpleFormatter").getConstructor().newInstance();
            handler = Class.forName("java.util.logging.StreamHandler")
                    .getConstructor(OutputStream.class, formatterClass).newInstance(out, formatter);
            handlerClass.getMethod("setLevel", levelClass).invoke(handler, levelClass.getField("ALL").get(null));
            flush = handlerClass.getMethod("flush");
            removeHandler = loggerClass.getMethod("removeHandler", handlerClass);
            loggerClass.getMethod("addHandler", handlerClass).invoke(logger, handler);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError("cannot attach a java.util.logging handler to logger io.jrcu", e);
        }
    }

    /** Starts capturing. */
    public static LogCapture start() {
        return new LogCapture();
    }

    /** How SimpleFormatter prints the java.util.logging level {@code name} (localized). */
    public static String levelName(String name) {
        try {
            Class<?> levelClass = Class.forName("java.util.logging.Level");
            Object level = levelClass.getField(name).get(null);
            return (String) levelClass.getMethod("getLocalizedName").invoke(level);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** Everything logged since {@link #start()}, formatted by {@code SimpleFormatter}. */
    public String text() {
        try {
            flush.invoke(handler);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new AssertionError(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            removeHandler.invoke(logger, handler);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new AssertionError(e);
        }
    }
}
