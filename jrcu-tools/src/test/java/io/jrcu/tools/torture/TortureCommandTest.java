package io.jrcu.tools.torture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.jrcu.testkit.Flavor;
import io.jrcu.tools.UsageException;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Option parsing of {@code jrcu torture}; nothing runs. */
class TortureCommandTest {

    private static List<TortureConfig> parse(String... args) throws UsageException {
        return TortureCommand.parse(List.of(args));
    }

    @Test
    void defaultsRunEveryFlavorBriefly() throws UsageException {
        assertThat(parse()).containsExactly(
                new TortureConfig(Flavor.MEMB, ReclaimMode.SYNC, Duration.ofSeconds(3), 2, 1000, 1, 10_000, false),
                new TortureConfig(Flavor.QSBR, ReclaimMode.SYNC, Duration.ofSeconds(3), 2, 0, 1, 10_000, false),
                new TortureConfig(Flavor.BULLET_PROOF, ReclaimMode.SYNC, Duration.ofSeconds(3), 2, 1000, 1, 10_000,
                        false));
    }

    @Test
    void optionsApplyToEverySelectedFlavor() throws UsageException {
        assertThat(parse("--flavor", "bp,memb", "--seconds", "1.5", "--readers", "4", "--virtual-readers=10",
                "--writers", "2", "--inject-fault", "skip-reader-wait", "--mode", "defer", "--barrier-every=500"))
                .containsExactly(
                        new TortureConfig(Flavor.BULLET_PROOF, ReclaimMode.DEFER, Duration.ofMillis(1500), 4, 10, 2,
                                500, true),
                        new TortureConfig(Flavor.MEMB, ReclaimMode.DEFER, Duration.ofMillis(1500), 4, 10, 2, 500,
                                true));
    }

    @Test
    void modeAllRunsEveryModeInTurnForEachFlavor() throws UsageException {
        assertThat(parse("--mode", "all", "--flavor", "qsbr,bp"))
                .extracting(TortureConfig::flavor, TortureConfig::mode)
                .containsExactly(
                        tuple(Flavor.QSBR, ReclaimMode.SYNC), tuple(Flavor.QSBR, ReclaimMode.CALL),
                        tuple(Flavor.QSBR, ReclaimMode.RETIRE), tuple(Flavor.QSBR, ReclaimMode.DEFER),
                        tuple(Flavor.QSBR, ReclaimMode.ARENA), tuple(Flavor.QSBR, ReclaimMode.ARENA_FAST),
                        tuple(Flavor.QSBR, ReclaimMode.MISUSE), tuple(Flavor.QSBR, ReclaimMode.MAP),
                        tuple(Flavor.QSBR, ReclaimMode.BYTES_MAP),
                        tuple(Flavor.BULLET_PROOF, ReclaimMode.SYNC), tuple(Flavor.BULLET_PROOF, ReclaimMode.CALL),
                        tuple(Flavor.BULLET_PROOF, ReclaimMode.RETIRE),
                        tuple(Flavor.BULLET_PROOF, ReclaimMode.DEFER), tuple(Flavor.BULLET_PROOF, ReclaimMode.ARENA),
                        tuple(Flavor.BULLET_PROOF, ReclaimMode.ARENA_FAST),
                        tuple(Flavor.BULLET_PROOF, ReclaimMode.MISUSE), tuple(Flavor.BULLET_PROOF, ReclaimMode.MAP),
                        tuple(Flavor.BULLET_PROOF, ReclaimMode.BYTES_MAP));
    }

    @ParameterizedTest
    @EnumSource(value = ReclaimMode.class, names = {"ARENA", "ARENA_FAST"})
    void arenaModesRunForEveryFlavorWithTheFaultToo(ReclaimMode mode) throws UsageException {
        assertThat(parse("--mode", mode.cliName(), "--seconds", "2", "--inject-fault", "skip-reader-wait"))
                .containsExactly(
                        new TortureConfig(Flavor.MEMB, mode, Duration.ofSeconds(2), 2, 1000, 1, 10_000, true),
                        new TortureConfig(Flavor.QSBR, mode, Duration.ofSeconds(2), 2, 0, 1, 10_000, true),
                        new TortureConfig(Flavor.BULLET_PROOF, mode, Duration.ofSeconds(2), 2, 1000, 1, 10_000,
                                true));
    }

    @Test
    void arenaFastIsNamedArenaFast() throws UsageException {
        assertThat(parse("--flavor", "memb", "--mode", "arena, arena-fast")).extracting(TortureConfig::mode)
                .containsExactly(ReclaimMode.ARENA, ReclaimMode.ARENA_FAST);
        assertThatThrownBy(() -> parse("--mode", "fast")).isInstanceOf(UsageException.class)
                .hasMessageContaining("(known: sync|call|retire|defer|arena|arena-fast|misuse|map|bytesmap|all)");
        assertThat(ReclaimMode.ARENA_FAST.arena()).isTrue();
        assertThat(ReclaimMode.ARENA_FAST.callbacks()).isFalse();
    }

    @Test
    void misuseRunsForEveryFlavorAsASyncModeWithMisuseThreads() throws UsageException {
        assertThat(parse("--mode", "misuse", "--seconds", "2"))
                .containsExactly(
                        new TortureConfig(Flavor.MEMB, ReclaimMode.MISUSE, Duration.ofSeconds(2), 2, 1000, 1, 10_000,
                                false),
                        new TortureConfig(Flavor.QSBR, ReclaimMode.MISUSE, Duration.ofSeconds(2), 2, 0, 1, 10_000,
                                false),
                        new TortureConfig(Flavor.BULLET_PROOF, ReclaimMode.MISUSE, Duration.ofSeconds(2), 2, 1000, 1,
                                10_000, false));
        assertThat(ReclaimMode.MISUSE.misuse()).isTrue();
        assertThat(ReclaimMode.MISUSE.async()).as("its writers wait for grace periods themselves").isFalse();
        assertThat(ReclaimMode.MISUSE.callbacks()).isFalse();
        assertThat(ReclaimMode.MISUSE.arena()).isFalse();
    }

    @Test
    void modesCanBeListed() throws UsageException {
        assertThat(parse("--flavor", "memb", "--mode", "retire, call"))
                .extracting(TortureConfig::mode)
                .containsExactly(ReclaimMode.RETIRE, ReclaimMode.CALL);
    }

    @Test
    void withAllVirtualReadersGoToTheFlavorsThatTakeThem() throws UsageException {
        assertThat(parse("--flavor", "all", "--virtual-readers", "7"))
                .extracting(TortureConfig::flavor, TortureConfig::virtualReaders)
                .containsExactly(tuple(Flavor.MEMB, 7),
                        tuple(Flavor.QSBR, 0),
                        tuple(Flavor.BULLET_PROOF, 7));
    }

    @Test
    void qsbrRefusesVirtualReaders() {
        assertThatThrownBy(() -> parse("--flavor", "qsbr", "--virtual-readers", "5"))
                .isInstanceOf(UsageException.class)
                .hasMessageContaining("qsbr does not support virtual readers")
                .hasMessageContaining("quiescent states");
    }

    @ParameterizedTest
    // " | " separates the columns, so that a message may contain '|' (the mode list)
    @CsvSource(delimiterString = " | ", value = {
            "--flavor rcu              | unknown flavor 'rcu'",
            "--flavor memb,            | unknown flavor ''",
            "--seconds 0               | --seconds must be above 0",
            "--seconds -1              | --seconds must be above 0",
            "--seconds soon            | not a number",
            "--seconds NaN             | --seconds must be above 0",
            "--readers -1              | platform readers must be between 0 and 1024",
            "--readers 0 --virtual-readers 0 | at least one reader",
            "--writers 0               | writers must be between 1 and 64",
            "--virtual-readers many    | not a whole number",
            "--inject-fault everything | unknown fault 'everything'",
            "--mode async | unknown mode 'async' (known: sync|call|retire|defer|arena|arena-fast|misuse|map|bytesmap"
                    + "|all)",
            "--mode call,              | unknown mode ''",
            "--barrier-every 0         | callbacks between barriers must be between 1 and 1000000",
            "--barrier-every 1000001   | callbacks between barriers must be between 1 and 1000000",
            "--flavor                  | --flavor needs a value",
            "--bogus 1                 | unknown option '--bogus'",
            "memb                      | unexpected argument 'memb'",
    })
    void badOptionsAreRefused(String commandLine, String message) {
        String[] args = commandLine.trim().split(" +");
        assertThatThrownBy(() -> parse(args)).isInstanceOf(UsageException.class).hasMessageContaining(message);
    }
}
