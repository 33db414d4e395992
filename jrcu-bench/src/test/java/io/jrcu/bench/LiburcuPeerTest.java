package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiburcuPeerTest {

    @Test
    void eachLiburcuLineBecomesAFigureInTheCommonUnits() {
        List<Measurement> figures = LiburcuPeer.parse(List.of(
                "some warning from the C runtime",
                "liburcu metric=read_pair flavor=qsbr threads=2 mode=avgt score=0.28 unit=ns/op",
                "liburcu metric=synchronize flavor=memb threads=1 readers=busy mode=sample score=12.5 p50=11.0 "
                        + "p99=30.0 unit=us/op",
                "liburcu metric=call_bulk flavor=bp threads=1 mode=thrpt score=2.3e+07 unit=ops/s"));

        assertThat(figures).extracting(Measurement::id).containsExactly(
                "liburcu.read_pair flavor=qsbr t=2",
                "liburcu.synchronize flavor=memb readers=busy t=1",
                "liburcu.call_bulk flavor=bp t=1");
        assertThat(figures.get(0).value()).isCloseTo(0.28, within(1e-12));
        assertThat(figures.get(1).score()).isCloseTo(12_500, within(1e-9));
        assertThat(figures.get(1).value()).isCloseTo(11_000, within(1e-9));
        assertThat(figures.get(1).p99()).isCloseTo(30_000, within(1e-9));
        assertThat(figures.get(2).throughput()).isTrue();
        assertThat(figures.get(2).score()).isCloseTo(2.3e7, within(1e-3));
    }

    @Test
    void malformedLiburcuLinesAreRefused() {
        assertThatThrownBy(() -> LiburcuPeer.parse(List.of("liburcu metric=read_pair flavor=memb")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no mode=");
        assertThatThrownBy(() -> LiburcuPeer.parse(List.of(
                "liburcu metric=x threads=1 mode=avgt score=fast unit=ns/op")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad number");
        assertThatThrownBy(() -> LiburcuPeer.parse(List.of("liburcu metric=x threads=1 mode=avgt score=1 unit=ns/op "
                + "stray"))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bad field 'stray'");
        assertThatThrownBy(() -> LiburcuPeer.parse(List.of(
                "liburcu metric=x threads=1 mode=median score=1 unit=ns/op")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown mode median");
    }

    @Test
    void headersAreFoundDirectlyOrUnderAMultiarchFolder(@TempDir Path include) throws Exception {
        assertThat(LiburcuPeer.findHeaders(include)).isEmpty();

        Files.createDirectories(include.resolve("x86_64-linux-gnu/urcu"));
        Files.writeString(include.resolve("x86_64-linux-gnu/urcu/urcu-memb.h"), "");

        assertThat(LiburcuPeer.findHeaders(include)).contains(include.resolve("x86_64-linux-gnu/urcu"));
    }

    @Test
    void theProgramIsInTheJarBesideTheRunner() {
        assertThat(LiburcuPeer.class.getResource(LiburcuPeer.SOURCE)).isNotNull();
    }
}
