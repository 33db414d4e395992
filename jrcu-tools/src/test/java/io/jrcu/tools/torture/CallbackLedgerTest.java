package io.jrcu.tools.torture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jrcu.MembRcu;
import io.jrcu.Rcu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lost / twice / premature bookkeeping of {@link CallbackLedger}, driven by hand: the library under test never
 * loses or duplicates a callback on purpose, so this is where those checks prove that they can fail.
 */
class CallbackLedgerTest {

    private static final int WINDOW = 4;

    private final Rcu rcu = MembRcu.builder().name("ledger-test").build();
    private final List<TortureObject> freed = new ArrayList<>();
    private final AtomicInteger firstErrors = new AtomicInteger();
    private final CallbackLedger ledger = new CallbackLedger(rcu, freed::add, firstErrors::incrementAndGet,
            System.nanoTime(), "writer-0", WINDOW);

    @AfterEach
    void close() {
        rcu.close();
    }

    /** Issues {@code n} ids and returns them. */
    private long[] issue(int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = ledger.issue();
        }
        return ids;
    }

    @Test
    void everyIdRunOnceOverManyWindowsIsClean() {
        for (int window = 0; window < 5; window++) {
            for (long id : issue(WINDOW)) {
                ledger.record(id, "callback");
            }
            assertThat(ledger.windowFull()).isTrue();
            ledger.checkpoint();
        }
        for (long id : issue(2)) {  // a partial window, as at the end of a run
            ledger.record(id, "callback");
        }
        ledger.checkpoint();

        CallbackTally t = ledger.tally();
        assertThat(t).extracting(CallbackTally::issued, CallbackTally::ran, CallbackTally::barriers,
                CallbackTally::errors).containsExactly(22L, 22L, 6L, 0L);
        assertThat(t.firstError()).isEmpty();
        assertThat(firstErrors).hasValue(0);
    }

    @Test
    void anIdThatHasNotRunAtTheCheckpointIsLost() {
        long[] ids = issue(WINDOW);
        ledger.record(ids[0], "callback");
        ledger.record(ids[2], "callback");
        ledger.record(ids[3], "callback");
        ledger.checkpoint();

        CallbackTally t = ledger.tally();
        assertThat(t.lost()).isEqualTo(1);
        assertThat(t.twice()).isZero();
        assertThat(t.firstError()).hasValueSatisfying(e -> assertThat(e).contains("callback #1 of writer-0",
                "issued before barrier checkpoint 1", "had not run"));
        assertThat(firstErrors).hasValue(1);
    }

    @Test
    void aSecondRunIsTwice() {
        long[] ids = issue(2);
        ledger.record(ids[0], "callback");
        ledger.record(ids[1], "callback");
        ledger.record(ids[1], "callback");
        ledger.checkpoint();

        CallbackTally t = ledger.tally();
        assertThat(t.twice()).isEqualTo(1);
        assertThat(t.lost()).isZero();
        assertThat(t.ran()).isEqualTo(3);
        assertThat(t.firstError()).hasValueSatisfying(e -> assertThat(e).contains("callback #1", "ran twice"));
    }

    @Test
    void aSecondRunAfterTheSlotMovedOnIsTwiceToo() {
        long[] first = issue(WINDOW);
        for (long id : first) {
            ledger.record(id, "callback");
        }
        ledger.checkpoint();
        long[] second = issue(WINDOW);
        for (long id : second) {
            ledger.record(id, "callback");
        }
        ledger.record(first[1], "callback");  // a stale run of an id from the previous window
        ledger.checkpoint();

        assertThat(ledger.tally().twice()).isEqualTo(1);
        assertThat(ledger.tally().lost()).isZero();
        assertThat(ledger.tally().firstError()).hasValueSatisfying(e -> assertThat(e)
                .contains("callback #1", "after callback #5 of the same slot had run"));
    }

    @Test
    void aLostIdDoesNotStopTheNextWindowFromRecording() {
        long[] first = issue(WINDOW);
        ledger.record(first[0], "callback");  // 1, 2, 3 lost
        ledger.checkpoint();
        for (long id : issue(WINDOW)) {
            ledger.record(id, "callback");
        }
        ledger.checkpoint();

        assertThat(ledger.tally().lost()).isEqualTo(3);
        assertThat(ledger.tally().twice()).isZero();
    }

    @Test
    void theWindowMustBeCheckpointedBeforeMoreIdsAreIssued() {
        issue(WINDOW);
        assertThatThrownBy(ledger::issue).isInstanceOf(IllegalStateException.class).hasMessageContaining("full");
    }

    @Test
    void reclaimAgesPoisonsFreesAndChecksTheGracePeriod() {
        TortureObject o = new TortureObject(7);
        o.soAge(1);
        long id = ledger.issue();
        long cookie = rcu.startPoll();
        rcu.await(cookie);
        ledger.reclaim(o, id, cookie);

        assertThat(o.loAge()).isEqualTo(TortureObject.FREED);
        assertThat(freed).containsExactly(o);
        assertThat(ledger.tally().premature()).isZero();

        TortureObject early = new TortureObject(8);
        long id2 = ledger.issue();
        ledger.reclaim(early, id2, rcu.snapshot());  // its grace period has not even started
        assertThat(ledger.tally().premature()).isEqualTo(1);
        assertThat(ledger.tally().firstError()).hasValueSatisfying(e -> assertThat(e)
                .contains("callback #1 of writer-0 (object #8) ran before its grace period"));
        ledger.checkpoint();
        assertThat(ledger.tally().errors()).isEqualTo(1);
    }
}
