package io.jrcu.bench;

import org.openjdk.jmh.annotations.Fork;

/**
 * The fork settings every benchmark of this module shares (JMH reads {@code @Fork} from a benchmark's superclasses):
 * one fork, whose JVM may use {@code java.lang.foreign}'s restricted methods without a warning, and in which JMH 1.37's
 * calls of {@code sun.misc.Unsafe::objectFieldOffset} do not warn either (JDK 24+, JEP 498).
 */
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public abstract class ForkedBenchmark {
}
