package io.jrcu.bench;

import org.openjdk.jmh.annotations.Fork;

/**
 * The fork of the benchmarks that run Chronicle Map 3.27ea0 beside jrcu ({@link BytesMapLookup},
 * {@link BytesMapWrite}): {@link ForkedBenchmark}'s flags, plus the {@code --add-opens} and {@code --add-exports} of
 * {@code java.base}, {@code jdk.unsupported} and {@code jdk.compiler} that Chronicle Map needs on JDK 25, and its
 * analytics turned off (docs/maps.md lists them). JMH takes the nearest {@code @Fork} of a benchmark's classes.
 */
@Fork(value = 1, jvmArgsAppend = {ForkedBenchmark.NATIVE_ACCESS, ForkedBenchmark.UNSAFE_MEMORY_ACCESS,
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
        "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED", "-Dchronicle.analytics.disable=true"})
public abstract class ChronicleForkedBenchmark extends ForkedBenchmark {
}
