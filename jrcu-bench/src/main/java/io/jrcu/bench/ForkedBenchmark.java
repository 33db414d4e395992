package io.jrcu.bench;

import org.openjdk.jmh.annotations.Fork;

/**
 * The fork settings every benchmark of this module shares (JMH reads {@code @Fork} from a benchmark's superclasses):
 * one fork, whose JVM may use {@code java.lang.foreign}'s restricted methods without a warning, and in which JMH 1.37's
 * calls of {@code sun.misc.Unsafe::objectFieldOffset} do not warn either (JDK 24+, JEP 498).
 */
@Fork(value = 1, jvmArgsAppend = {ForkedBenchmark.NATIVE_ACCESS, ForkedBenchmark.UNSAFE_MEMORY_ACCESS})
public abstract class ForkedBenchmark {
    /** Restricted methods of {@code java.lang.foreign} without a warning. */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** JMH's {@code sun.misc.Unsafe} calls without a warning. */
    static final String UNSAFE_MEMORY_ACCESS = "--sun-misc-unsafe-memory-access=allow";
}
