package io.raftkv.kv.server.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.core.Role;
import io.raftkv.kv.server.service.KvService;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The node's metrics in the Prometheus text format ({@code GET /metrics}): every counter of
 * {@link KvService#metrics()} as {@code raftkv_<group>_<name>_total} (for example
 * {@code raftkv_storage_fsyncs_total}), the Raft state as gauges ({@code raftkv_raft_term},
 * {@code raftkv_raft_commit_index}, {@code raftkv_raft_is_leader}, ...), and the JVM's memory, GC, thread and CPU
 * meters under Micrometer's usual names. Values are read when scraped, so keeping them costs nothing between
 * scrapes.
 */
public final class NodeMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();

    /** Registers the meters of {@code service}'s node. */
    public NodeMetrics(KvService service) {
        String node = service.status().id().value();
        registry.config().commonTags("node", node);
        for (Map.Entry<String, Map<String, Long>> group : service.metrics().entrySet()) {
            if (group.getKey().equals("jvm")) {
                continue; // the JVM binders below say more, under the names dashboards expect
            }
            for (String name : group.getValue().keySet()) {
                String g = group.getKey();
                FunctionCounter.builder("raftkv." + g + "." + dotted(name), service,
                                s -> s.metrics().getOrDefault(g, Map.of()).getOrDefault(name, 0L))
                        .register(registry);
            }
        }
        gauge("raftkv.raft.term", service, s -> s.status().term());
        gauge("raftkv.raft.commit.index", service, s -> s.status().commitIndex());
        gauge("raftkv.raft.applied.index", service, s -> s.status().appliedIndex());
        gauge("raftkv.raft.last.index", service, s -> s.status().lastIndex());
        gauge("raftkv.raft.snapshot.index", service, s -> s.status().snapshotIndex());
        gauge("raftkv.raft.is.leader", service, s -> s.status().role() == Role.LEADER ? 1 : 0);
        gauge("raftkv.raft.has.leader", service, s -> s.status().leader() != null ? 1 : 0);
        gauge("raftkv.raft.voters", service, s -> s.status().configuration().voters().size());
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /** The current values, in the Prometheus text exposition format (version 0.0.4). */
    public String scrape() {
        return registry.scrape();
    }

    /** Stops the GC listener. */
    public void close() {
        gc.close();
        registry.close();
    }

    private void gauge(String name, KvService service, ToDoubleFunction<KvService> value) {
        Gauge.builder(name, service, value).register(registry);
    }

    /** {@code fsyncNanos} becomes {@code fsync.nanos}, which Prometheus writes as {@code fsync_nanos}. */
    static String dotted(String camel) {
        StringBuilder b = new StringBuilder(camel.length() + 4);
        for (char c : camel.toCharArray()) {
            if (Character.isUpperCase(c)) {
                b.append('.').append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
