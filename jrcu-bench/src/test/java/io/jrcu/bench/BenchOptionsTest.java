package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;

import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    @Test
    void noArgumentsIsTheCuratedRunIntoADatedFolder() throws Exception {
        BenchOptions o = BenchOptions.parse(List.of());

        assertThat(o.full()).isFalse();
        assertThat(o.quick()).isFalse();
        assertThat(o.liburcu()).isFalse();
        assertThat(o.help()).isFalse();
        assertThat(o.resultsFolder(Path.of("/w"), LocalDateTime.of(2026, 12, 1, 9, 5, 7)))
                .isEqualTo(Path.of("/w/bench-results/20261201-090507"));
    }

    @Test
    void everyOptionIsRead() throws Exception {
        BenchOptions o = BenchOptions.parse(List.of("--full", "--quick", "--liburcu", "--verbose", "--out", "r",
                "--only", "Callback.*intrusive"));

        assertThat(o.full()).isTrue();
        assertThat(o.quick()).isTrue();
        assertThat(o.liburcu()).isTrue();
        assertThat(o.verbose()).isTrue();
        assertThat(o.resultsFolder(Path.of("/w"), LocalDateTime.now())).isEqualTo(Path.of("r"));
        assertThat(o.only()).hasValueSatisfying(p -> assertThat(p.matcher("CallbackThroughput.intrusive").find())
                .isTrue());
    }

    @Test
    void helpIsRecognizedInBothSpellings() throws Exception {
        assertThat(BenchOptions.parse(List.of("--help")).help()).isTrue();
        assertThat(BenchOptions.parse(List.of("-h")).help()).isTrue();
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--fast")))
                .isInstanceOf(BenchOptions.UsageException.class).hasMessage("unknown option: --fast");
    }

    @Test
    void optionWithoutItsValueIsAUsageError() {
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--out")))
                .isInstanceOf(BenchOptions.UsageException.class).hasMessage("--out needs a value");
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--out", "--full")))
                .isInstanceOf(BenchOptions.UsageException.class).hasMessage("--out needs a value");
    }

    @Test
    void onlyMustBeARegularExpression() {
        assertThatThrownBy(() -> BenchOptions.parse(List.of("--only", "Read(")))
                .isInstanceOf(BenchOptions.UsageException.class).hasMessageContaining("not a regular expression");
    }
}
