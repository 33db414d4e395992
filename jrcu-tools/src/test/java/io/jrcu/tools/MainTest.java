package io.jrcu.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command-line dispatcher and the torture command end to end, in-process (no System.exit). */
class MainTest {

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();

    private int run(String... args) {
        try (PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
             PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8)) {
            return Main.run(args, out, err);
        }
    }

    private String out() {
        return outBytes.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "help", "-h", "--help"})
    void helpAndNoArgumentsPrintTheUsage(String arg) {
        int code = arg.isEmpty() ? run() : run(arg);

        assertThat(code).isZero();
        assertThat(out()).contains("usage: jrcu <command>").contains("torture").contains("bench");
    }

    @Test
    void benchIsRunByBinJrcuFromTheBenchmarkJar() {
        assertThat(run("bench")).isEqualTo(Command.EXIT_USAGE);
        assertThat(err()).contains("bin/jrcu bench").doesNotContain("unknown command");
    }

    @Test
    void helpOfACommandPrintsItsOptions() {
        assertThat(run("help", "torture")).isZero();
        assertThat(out()).contains("--flavor", "--virtual-readers", "--inject-fault skip-reader-wait",
                "for proving the oracle works", "--mode",
                "sync|call|retire|defer|arena|arena-fast|misuse|map|bytesmap|all",
                "arena-fast ", "misuse ", "map ", "bytesmap ", "--barrier-every");
        outBytes.reset();
        assertThat(run("torture", "--help")).isZero();
        assertThat(out()).contains("usage: jrcu torture");
    }

    @Test
    void unknownCommandPrintsTheUsageOnStderrAndExits2() {
        assertThat(run("frobnicate")).isEqualTo(Command.EXIT_USAGE);
        assertThat(err()).contains("unknown command: frobnicate").contains("usage: jrcu <command>");
        assertThat(out()).isEmpty();
    }

    @Test
    void badTortureOptionPrintsTheMessageAndTheUsageOnStderrAndExits2() {
        assertThat(run("torture", "--seconds", "0")).isEqualTo(Command.EXIT_USAGE);
        assertThat(err()).contains("jrcu torture: --seconds must be above 0").contains("usage: jrcu torture");
        assertThat(out()).isEmpty();
    }

    @Test
    void tortureOfACorrectFlavorPrintsATableAndExits0() {
        int code = run("torture", "--flavor", "memb", "--seconds", "0.5", "--virtual-readers", "50");

        assertThat(code).as(err()).isEqualTo(Command.EXIT_OK);
        assertThat(out()).contains("flavor", "mode", "reads", "updates", "grace periods", "cb queued", "cb invoked",
                        "early", "lost", "twice", "errors")
                .containsPattern("memb +sync +2/50 .* - +- +0 +PASS");
        assertThat(err()).contains("memb sync: 2 platform + 50 virtual readers");
    }

    @Test
    void tortureOfABrokenFlavorReportsTheErrorsAndExits1() {
        int code = run("torture", "--flavor=bp", "--seconds=1.5", "--inject-fault", "skip-reader-wait");

        assertThat(code).as(out() + err()).isEqualTo(Command.EXIT_FAILED);
        assertThat(out()).containsPattern("bp \\* +sync .* FAIL").contains("bp/sync: first error after",
                "fault injected");
        assertThat(err()).contains("FAULT INJECTED");
    }

    @Test
    void modeAllRunsEveryModeOfTheFlavorAndExits0() {
        int code = run("torture", "--flavor", "bp", "--mode", "all", "--seconds", "0.3", "--virtual-readers", "20",
                "--barrier-every", "500");

        assertThat(code).as(out() + err()).isEqualTo(Command.EXIT_OK);
        assertThat(out()).containsPattern("bp +sync +2/20 .* - +- +0 +PASS")
                .containsPattern("bp +call +2/20 .* 0 +0 +0 +0 +PASS")
                .containsPattern("bp +retire +2/20 .* 0 +0 +0 +0 +PASS")
                .containsPattern("bp +defer +2/20 .* 0 +0 +0 +0 +PASS")
                .containsPattern("bp +arena +2/20 .* 0 +- +- +0 +PASS")
                .containsPattern("bp +arena-fast +2/20 .* 0 +- +- +0 +PASS")
                .containsPattern("bp +misuse +2/20 .* - +- +0 +PASS")
                .containsPattern("bp +map +2/20 .* +PASS")
                .containsPattern("bp +bytesmap +2/20 .* +PASS")
                .contains("lost: issued before a", "bp/arena: ", "bp/arena-fast: ", "all freed: reserved ",
                        "; closed: reserved ", "arena-fast: the same without debug", "bp/misuse: ",
                        " accepted; ", "misuse: as sync, with 2 more readers");
        assertThat(err()).contains(
                "jrcu torture: bp; mode sync, call, retire, defer, arena, arena-fast, misuse, map, bytesmap; 0.3 s"
                        + " each",
                "bp call: 2 platform + 20 virtual readers, 1 writer, barrier every 500 callbacks",
                "bp arena: 2 platform + 20 virtual readers, 1 writer")
                .doesNotContain("bp arena: 2 platform + 20 virtual readers, 1 writer, barrier");
    }

    @ParameterizedTest
    @ValueSource(strings = {"arena", "arena-fast"})
    void tortureOfABrokenArenaReportsMemoryFreedUnderAReaderAndExits1(String mode) {
        int code = run("torture", "--flavor=qsbr", "--mode=" + mode, "--seconds=2", "--inject-fault",
                "skip-reader-wait");

        assertThat(code).as(out() + err()).isEqualTo(Command.EXIT_FAILED);
        assertThat(out()).containsPattern("qsbr \\* +" + mode + " .* FAIL").contains("qsbr/" + mode + ": early = ",
                "segments poisoned or overwritten under a reader", "qsbr/" + mode + ": first error after",
                "fault injected");
    }

    @Test
    void tortureOfABrokenAsyncModeReportsEarlyCallbacksAndExits1() {
        int code = run("torture", "--flavor=memb", "--mode=call", "--seconds=2", "--inject-fault",
                "skip-reader-wait");

        assertThat(code).as(out() + err()).isEqualTo(Command.EXIT_FAILED);
        assertThat(out()).containsPattern("memb \\* +call .* FAIL").contains("memb/call: early = ",
                "memb/call: first error after", "fault injected");
    }
}
