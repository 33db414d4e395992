package io.jrcu.examples;

import io.jrcu.DeferQueue;
import io.jrcu.Rcu;

import java.util.ArrayDeque;

/**
 * DPDK's "Integrating QSBR RCU with other libraries" as a runnable example: a tiny pool of slots that reclaims when
 * it runs out, as DPDK's hash table does. The walk-through's four parts:
 * <ol>
 *   <li>Initialization (the application): it creates the domain, registers its reader threads, and gives the domain
 *       to the library ({@code new SlotPool(rcu, slots)}: data structures take the domain as a parameter).</li>
 *   <li>Quiescent state reporting (the application): its readers report quiescent states, as often as they like.</li>
 *   <li>Reclaiming resources (the library, in the writer's thread): {@link #release} stamps the slot with a token
 *       in a FIFO ({@link DeferQueue}); {@link #take}, finding the pool empty, frees every slot whose token has
 *       passed, without blocking.</li>
 *   <li>Shutdown (shared): the application makes sure no reader uses the pool and unregisters its readers; then
 *       {@link #shutdown()} checks every token left and frees the slots; if any token has not passed, it reports an
 *       error and stops reclaiming.</li>
 * </ol>
 * All methods are synchronized: the queue has one producer at a time.
 */
final class SlotPool {
    private static final System.Logger LOG = System.getLogger("io.jrcu.examples");

    private final ArrayDeque<Integer> free = new ArrayDeque<>();
    private final DeferQueue<Integer> retired;
    private boolean shutDown;

    SlotPool(Rcu rcu, int slots) {
        for (int i = 0; i < slots; i++) {
            free.add(i);
        }
        retired = DeferQueue.<Integer>builder(rcu, free::add)   // "free" = back to the pool
                .name("slots").triggerReclaimLimit(Math.max(1, slots / 4)).maxReclaimSize(64).singleProducer()
                .build();
    }

    /** A free slot, or null when the pool is exhausted (DPDK's -ENOSPC) even after reclaiming once. */
    synchronized Integer take() {
        checkRunning("take()");
        if (free.isEmpty()) {
            retired.reclaim(Integer.MAX_VALUE);   // reclaim once, then give up
        }
        return free.poll();
    }

    /** Gives {@code slot} back; readers may still see it, so it is reused only after its grace period. */
    synchronized void release(int slot) {
        checkRunning("release()");
        retired.enqueue(slot);
    }

    /** Slots ready to be taken now. */
    synchronized int available() {
        return free.size();
    }

    /**
     * The library's part of the shutdown: checks the token of every released slot (non-blocking, as DPDK's
     * {@code rte_rcu_qsbr_check}) and frees those that passed. If any has not passed, the reader threads were not
     * all unregistered: it reports an error and stops reclaiming (those slots are never reused). Either way the pool
     * takes and releases nothing more.
     *
     * @return whether every token had passed and every slot is back
     */
    synchronized boolean shutdown() {
        checkRunning("shutdown()");
        shutDown = true;
        if (retired.tryClose()) {
            return true;
        }
        LOG.log(System.Logger.Level.ERROR, "SlotPool: " + retired.pending() + " released slots have not passed"
                + " their grace period (is a reader thread still registered?); reclamation stopped");
        return false;
    }

    private void checkRunning(String operation) {
        if (shutDown) {
            throw new IllegalStateException(operation + " on a SlotPool that is shut down");
        }
    }
}
