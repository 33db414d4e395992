package com.example.consumer;

import io.jrcu.Rcu;
import io.jrcu.RcuReference;
import io.jrcu.ReadSection;
import io.jrcu.arena.RcuArena;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Uses jrcu as an application would: a read section, a grace period, a callback and an arena allocation. Exits
 * with status 1 (and says why) if any of them does not behave.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (!Main.class.getModule().isNamed() || !Rcu.class.getModule().isNamed()) {
            fail("not on the module path: " + Main.class.getModule() + ", " + Rcu.class.getModule());
        }
        try (Rcu rcu = Rcu.memb()) {
            RcuReference<String> current = new RcuReference<>("v1");
            try (ReadSection s = rcu.read()) {
                check("v1".equals(current.get()), "read inside a section");
            }

            String old = current.getAndSet("v2");
            rcu.synchronize();
            check("v1".equals(old), "the old version after a grace period");

            CountDownLatch called = new CountDownLatch(1);
            rcu.call(called::countDown);
            check(called.await(30, TimeUnit.SECONDS), "a callback after a grace period");

            try (RcuArena arena = RcuArena.create(rcu)) {
                MemorySegment block = arena.allocate(64);
                block.set(ValueLayout.JAVA_LONG, 0, 42L);
                check(block.get(ValueLayout.JAVA_LONG, 0) == 42L, "an arena block holds what was written");
                arena.free(block);
            }
        }
        String expected = System.getProperty("jrcu.expectedVersion");
        check(expected == null || expected.equals(Rcu.version()),
                "Rcu.version() is " + Rcu.version() + ", the build depends on " + expected);
        System.out.println("jrcu " + Rcu.version() + " on the module path: read, grace period, callback, arena: OK");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            fail(what);
        }
    }

    private static void fail(String why) {
        System.err.println("consumer: FAILED: " + why);
        System.exit(1);
    }
}
