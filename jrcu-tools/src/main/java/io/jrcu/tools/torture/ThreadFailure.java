package io.jrcu.tools.torture;

/**
 * A torture thread (or the domain, through its error handler) that ended with an exception: the run stops early and
 * fails, whatever the oracle saw.
 *
 * @param thread the failing thread's name
 * @param cause  what it threw
 */
public record ThreadFailure(String thread, Throwable cause) {
}
