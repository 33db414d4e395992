/**
 * {@code jrcu torture}: an rcutorture-style oracle for every jrcu flavor.
 *
 * <p>{@link io.jrcu.tools.torture.Torture#run Torture.run} is the engine (one flavor, one
 * {@link io.jrcu.tools.torture.TortureConfig}); {@link io.jrcu.tools.torture.TortureCommand} is the command line
 * around it. Writers replace a shared object and age every removed object by one per grace period; readers record the
 * ages they see while protected; age 2 or more, or a freed object, is an error. With the test-only fault
 * {@code SKIP_READER_WAIT} injected the same run must fail: that is the proof that the oracle can fail.
 *
 * <p>{@link io.jrcu.tools.torture.ReclaimMode Modes}: in {@code sync} the writer waits for each grace period itself;
 * in {@code call}, {@code retire} and {@code defer} it hands the removed object to the library and moves on, and the
 * library's callback, after a grace period, is what ages it to 2 and frees it — so the same reader oracle catches a
 * callback run under a reader. Each callback also carries an id (a per-writer sequence) that a
 * {@link io.jrcu.tools.torture.CallbackLedger} checks at {@code barrier()} checkpoints: none lost, none run twice,
 * none run before the grace period of a cookie taken at its removal. In {@code arena} the shared data is off-heap:
 * writers publish {@code MemorySegment}s of an {@link io.jrcu.arena.RcuArena} in debug mode (freed memory
 * is poisoned after its grace period, before reuse) and free the ones they replace; readers check every byte against a
 * {@link io.jrcu.tools.torture.SegmentPattern}, so poison or a reused segment's new contents under a reader is an
 * error. {@code arena-fast} does the same with an arena without debug checks, so that writers allocate and free
 * through their per-thread caches (and one of them hands its cache back now and then); memory reused too early then
 * holds another generation's pattern. In {@code misuse} the {@code sync} readers and writers (each grace period
 * bounded: one that does not end in time is a stalled domain) run beside {@link io.jrcu.tools.torture.MisuseReader}s
 * that misuse the domain inside and outside their own sections: every {@link io.jrcu.tools.torture.Misuse} must be
 * refused with its documented exception. {@code --mode all} runs the seven in turn.
 *
 * <h2>Access-mode naming</h2>
 * As in {@code io.jrcu}: fields accessed in a mode other than plain go through a {@code private static final}
 * VarHandle named after the field in upper case, behind accessors whose prefix names the mode ({@code lo}/{@code so}
 * opaque load/store). Each non-plain access names its partner in a comment.
 */
package io.jrcu.tools.torture;
