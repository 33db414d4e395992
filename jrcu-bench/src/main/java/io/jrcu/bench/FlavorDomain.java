package io.jrcu.bench;

import io.jrcu.Rcu;
import io.jrcu.testkit.Flavor;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The benchmark state of the benchmarks that run once per flavor on one domain with default settings: the
 * {@code flavor} parameter, and the domain, built before a trial and closed after it (JMH runs a superclass's
 * parameters, set-ups and tear-downs for its subclasses).
 */
@State(Scope.Benchmark)
public abstract class FlavorDomain extends ForkedBenchmark {

    @Param({"memb", "qsbr", "bp"})
    String flavor;

    Rcu rcu;

    @Setup(Level.Trial)
    public void createDomain() {
        rcu = Flavor.named(flavor).build();
    }

    @TearDown(Level.Trial)
    public void closeDomain() {
        rcu.close();
    }
}
