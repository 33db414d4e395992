/**
 * The {@code bin/jrcu} command-line tool: {@link io.jrcu.tools.Main} dispatches to one {@link io.jrcu.tools.Command}
 * per subcommand ({@code torture}; {@code bench} comes later).
 */
package io.jrcu.tools;
