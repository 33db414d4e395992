/**
 * {@code jrcu torture}: an rcutorture-style oracle for every jrcu flavor.
 *
 * <p>{@link io.jrcu.tools.torture.Torture#run Torture.run} is the engine (one flavor, one
 * {@link io.jrcu.tools.torture.TortureConfig}); {@link io.jrcu.tools.torture.TortureCommand} is the command line
 * around it. Writers replace a shared object and age every removed object by one per grace period; readers record the
 * ages they see while protected; age 2 or more, or a freed object, is an error. With the test-only fault
 * {@code SKIP_READER_WAIT} injected the same run must fail: that is the proof that the oracle can fail.
 *
 * <h2>Access-mode naming</h2>
 * As in {@code io.jrcu}: fields accessed in a mode other than plain go through a {@code private static final}
 * VarHandle named after the field in upper case, behind accessors whose prefix names the mode ({@code lo}/{@code so}
 * opaque load/store). Each non-plain access names its partner in a comment.
 */
package io.jrcu.tools.torture;
