package io.jrcu.tools;

import java.io.Serial;

/** A command line that a {@link Command} refuses; {@link Main} prints the message and the usage and exits 2. */
public final class UsageException extends Exception {
    @Serial
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }
}
