package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchChartTest {

    @BeforeAll
    static void headless() {
        System.setProperty("java.awt.headless", "true");
    }

    @Test
    void everySectionWithFiguresGetsANonEmptyPng(@TempDir Path folder) throws Exception {
        List<Path> charts = BenchChart.writeAll(BenchReport.of(SyntheticRun.figures()), folder);

        assertThat(charts).extracting(p -> p.getFileName().toString())
                .containsExactly("read-side.png", "grace-periods.png", "reclamation.png", "callbacks.png");
        for (Path chart : charts) {
            byte[] png = Files.readAllBytes(chart);
            assertThat(png.length).isGreaterThan(1000);
            assertThat(new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        }
    }

    @Test
    void noFiguresNoCharts(@TempDir Path folder) throws Exception {
        assertThat(BenchChart.writeAll(BenchReport.of(List.of()), folder)).isEmpty();
        try (var files = Files.list(folder)) {
            assertThat(files).isEmpty();
        }
    }
}
