package io.raftkv.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report for scripts ({@code --json}). Its shape is spelled out here, field by field, rather than derived
 * from the Java types, so that scripts can rely on it; docs/benchmarks.md describes it.
 */
final class JsonReport {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private JsonReport() {
    }

    static String write(BenchReport report) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("startedAt", report.startedAt());
        root.put("cores", report.cores());
        root.put("java", report.java());
        if (report.limits() != null) {
            Map<String, Object> limits = new LinkedHashMap<>();
            limits.put("directory", report.limits().directory());
            limits.put("fsyncsPerSecond", report.limits().fsyncsPerSecond());
            limits.put("fsyncP50Ms", report.limits().fsyncP50Ms());
            limits.put("fsyncP99Ms", report.limits().fsyncP99Ms());
            limits.put("loopbackRttP50Ms", report.limits().rttP50Ms());
            limits.put("loopbackRttP99Ms", report.limits().rttP99Ms());
            limits.put("sharedFsyncP50Ms", report.limits().sharedFsyncP50Ms());
            limits.put("sharedFsyncP99Ms", report.limits().sharedFsyncP99Ms());
            limits.put("floorMs", report.limits().floorMs());
            limits.put("sharedDiskFloorMs", report.limits().sharedDiskFloorMs());
            root.put("limits", limits);
        } else {
            root.put("limits", null);
        }
        List<Object> results = new ArrayList<>();
        report.results().forEach(r -> results.add(result(r)));
        root.put("results", results);
        root.put("comparisons", report.comparisons());
        root.put("leaderChanged", report.leaderChanged());
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the report as JSON", e);
        }
    }

    private static Map<String, Object> result(CellResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", r.target());
        m.put("cell", cell(r.cell()));
        m.put("ran", r.ran());
        m.put("failure", r.failure());
        if (!r.ran()) {
            return m;
        }
        RunOutcome o = r.outcome();
        m.put("seconds", o.seconds());
        m.put("operations", o.operations());
        m.put("puts", o.puts());
        m.put("gets", o.gets());
        m.put("opsPerSecond", o.throughput());
        m.put("megabytesPerSecond", r.megabytesPerSecond());
        m.put("latencyMs", o.latency());
        m.put("errors", o.errors());
        Map<String, Object> leader = new LinkedHashMap<>();
        leader.put("before", r.before());
        leader.put("after", r.after());
        leader.put("changed", r.leaderChanged());
        m.put("leader", leader);
        m.put("server", r.server());
        return m;
    }

    private static Map<String, Object> cell(Cell c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("description", c.describe());
        Workload w = c.workload();
        m.put("workload", w.kind().name().toLowerCase(Locale.ROOT));
        m.put("readRatio", w.readRatio());
        m.put("consistency", w.consistency().name().toLowerCase(Locale.ROOT));
        m.put("keyOrder", w.keys().order().name().toLowerCase(Locale.ROOT));
        m.put("keySpace", w.keys().size());
        m.put("keyBytes", w.keys().keyBytes());
        m.put("valueBytes", w.valueBytes());
        LoadShape l = c.load();
        m.put("clients", l.clients());
        m.put("connections", l.connections());
        m.put("ratePerSecond", l.ratePerSecond());
        m.put("warmupSeconds", l.warmup().toMillis() / 1e3);
        m.put("durationSeconds", l.operations() > 0 ? null : l.duration().toMillis() / 1e3);
        m.put("operations", l.operations() > 0 ? l.operations() : null);
        m.put("nodes", c.nodes().name().toLowerCase(Locale.ROOT));
        return m;
    }
}
