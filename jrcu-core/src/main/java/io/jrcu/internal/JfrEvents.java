package io.jrcu.internal;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * JFR events {@code io.jrcu.GracePeriod}, {@code io.jrcu.CallbackBatch} and {@code io.jrcu.Stall}. The core needs
 * {@code jdk.jfr} only at compile time ({@code requires static}): where the module is absent the methods do nothing.
 * Until JFR is started in the JVM, each call costs one static check; afterwards, a check of whether the event is
 * enabled.
 */
public final class JfrEvents {
    private static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private JfrEvents() {
    }

    /** A grace period of {@code domain} that began at {@code startNanos} (System.nanoTime) just ended. */
    public static void gracePeriod(String domain, long number, long startNanos) {
        if (AVAILABLE && Events.recorderStarted()) {
            Events.gracePeriod(domain, number, startNanos);
        }
    }

    /** A worker ran a batch that it took at {@code startNanos}. */
    public static void callbackBatch(String domain, String worker, int size, int failed, long startNanos) {
        if (AVAILABLE && Events.recorderStarted()) {
            Events.callbackBatch(domain, worker, size, failed, startNanos);
        }
    }

    /** A grace period stalled; {@code readers} describes what it waits for. */
    public static void stall(String domain, long number, long waitedNanos, String readers) {
        if (AVAILABLE && Events.recorderStarted()) {
            Events.stall(domain, number, waitedNanos, readers);
        }
    }

    /** Holder that touches jdk.jfr classes only when the module is present. */
    private static final class Events {
        /**
         * Whether JFR has been started in this JVM. Until then the event classes are not even loaded: their first
         * initialization registers them with JFR, which costs hundreds of milliseconds, and would otherwise land
         * on the first grace period, under the grace-period lock.
         */
        static boolean recorderStarted() {
            return jdk.jfr.FlightRecorder.isInitialized();
        }

        static void gracePeriod(String domain, long number, long startNanos) {
            GracePeriodEvent e = new GracePeriodEvent();
            if (e.shouldCommit()) {
                e.domain = domain;
                e.number = number;
                e.gracePeriodDuration = System.nanoTime() - startNanos;
                e.commit();
            }
        }

        static void callbackBatch(String domain, String worker, int size, int failed, long startNanos) {
            CallbackBatchEvent e = new CallbackBatchEvent();
            if (e.shouldCommit()) {
                e.domain = domain;
                e.worker = worker;
                e.size = size;
                e.failed = failed;
                e.batchDuration = System.nanoTime() - startNanos;
                e.commit();
            }
        }

        static void stall(String domain, long number, long waitedNanos, String readers) {
            StallEvent e = new StallEvent();
            if (e.shouldCommit()) {
                e.domain = domain;
                e.number = number;
                e.waited = waitedNanos;
                e.readers = readers;
                e.commit();
            }
        }
    }

    @Name("io.jrcu.GracePeriod")
    @Label("RCU Grace Period")
    @Category({"jrcu"})
    @Description("A grace period ended")
    @StackTrace(false)
    static final class GracePeriodEvent extends Event {
        @Label("Domain")
        String domain;
        @Label("Number")
        long number;
        @Label("Grace Period Duration")
        @Timespan(Timespan.NANOSECONDS)
        long gracePeriodDuration;
    }

    @Name("io.jrcu.CallbackBatch")
    @Label("RCU Callback Batch")
    @Category({"jrcu"})
    @Description("A callback worker waited for a grace period and ran a batch")
    @StackTrace(false)
    static final class CallbackBatchEvent extends Event {
        @Label("Domain")
        String domain;
        @Label("Worker")
        String worker;
        @Label("Callbacks")
        int size;
        @Label("Failed")
        int failed;
        @Label("Batch Duration")
        @Timespan(Timespan.NANOSECONDS)
        long batchDuration;
    }

    @Name("io.jrcu.Stall")
    @Label("RCU Stall")
    @Category({"jrcu"})
    @Description("A grace period waited longer than the stall timeout")
    @StackTrace(false)
    static final class StallEvent extends Event {
        @Label("Domain")
        String domain;
        @Label("Grace Period")
        long number;
        @Label("Waited")
        @Timespan(Timespan.NANOSECONDS)
        long waited;
        @Label("Readers")
        String readers;
    }
}
