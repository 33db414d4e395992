package io.jrcu.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

class SummaryJsonTest {

    @Test
    void summaryHoldsTheAboutFieldsEveryRowAndEveryTarget() {
        Map<String, String> about = new LinkedHashMap<>();
        about.put("date", "2026-12-01T10:00:00");
        about.put("machine", "a \"quoted\" CPU\\2 cores");
        BenchReport report = BenchReport.of(SyntheticRun.figures());

        String json = SummaryJson.write(about, report);

        assertThat(json).startsWith("{\n  \"date\": \"2026-12-01T10:00:00\",\n")
                .contains("\"machine\": \"a \\\"quoted\\\" CPU\\\\2 cores\"")
                .contains("{\"id\": \"ReadSide.read impl=rwLock t=2\", \"label\": \"ReentrantReadWriteLock read lock "
                        + "+ unlock\", \"section\": \"read\", \"kind\": \"peer\", \"threads\": 2, \"unit\": \"ns/op\", "
                        + "\"score\": 150, \"allocBytesPerOp\": 1.0E-4, \"vsLimit\": 300, \"overLimitNanos\": 149.5, "
                        + "\"comparedWith\": \"memb handle\", \"jrcuFactor\": 150}")
                .contains("\"p50\": 70000, \"p99\": 200000")
                .contains("\"unit\": \"ops/s\", \"score\": 23000000")
                .contains("{\"target\": \"memb kept handle ÷ volatile read, 1 thread\", \"status\": \"missed\", "
                        + "\"observed\": 6, \"detail\": \"6.00× (≤ 5.00×)\"}")
                .contains("\"status\": \"not_measured\", \"detail\": \"not measured: Reclamation.rcuArena "
                        + "flavor=memb t=2\"")
                .endsWith("]\n}\n");
        assertThat(json.chars().filter(c -> c == '{').count()).isEqualTo(json.chars().filter(c -> c == '}').count());
        assertThat(json.split("\"id\":", -1)).hasSize(report.rows().size() + 1);
        assertThat(json.split("\"target\":", -1)).hasSize(report.targets().size() + 1);
    }

    @Test
    void controlCharactersAreEscaped() {
        assertThat(SummaryJson.string("a\nb\tc\u0001")).isEqualTo("\"a\\nb\\tc\\u0001\"");
    }
}
