package io.raftkv.testkit.scenario;

import io.raftkv.core.Entry;
import io.raftkv.core.EntryType;
import io.raftkv.core.Mechanism;
import io.raftkv.core.NodeId;
import io.raftkv.core.RaftConfig;
import io.raftkv.core.RaftNode;
import io.raftkv.core.Role;
import io.raftkv.core.message.AppendEntriesResponse;
import io.raftkv.core.message.RaftMessage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Executes a {@link ScenarioScript} against a fresh {@link ScenarioCluster} and returns the transcript: the
 * script's lines, each command followed by its indented output. An {@code expect} that does not hold is
 * recorded (and marked in the transcript) and the run goes on, so that one run reports every broken
 * expectation; an error (unknown command, a core exception) stops the run. If anything failed, {@link #run}
 * throws a {@link ScenarioFailure} naming the script, the line and what was found instead.
 *
 * <p>{@link #override} replaces an option of the script's {@code nodes} command, which is how the ablation
 * tests run an unchanged script with a mechanism switched off.
 */
public final class ScenarioRunner {

    private static final Pattern BOUND = Pattern.compile("(<=|>=|==|<|>|=)?(\\d+)");

    private final Map<String, String> overrides = new LinkedHashMap<>();

    /**
     * Forces an option of the {@code nodes} command, whatever the script says: {@code pre-vote},
     * {@code check-quorum}, {@code election}, {@code heartbeat}, {@code max-append-bytes}, {@code max-inflight},
     * or {@code disable} (comma-separated {@link Mechanism} names).
     */
    public ScenarioRunner override(String option, String value) {
        overrides.put(option, value);
        return this;
    }

    /**
     * Runs the script and returns its transcript.
     *
     * @throws ScenarioFailure if an expectation failed or a command could not be carried out
     */
    public String run(ScenarioScript script) {
        return new Execution(script).run();
    }

    /** The state of one run. */
    private final class Execution {
        private final ScenarioScript script;
        private final Transcript out = new Transcript();
        private final List<String> failures = new ArrayList<>();
        private ScenarioCluster cluster;

        Execution(ScenarioScript script) {
            this.script = script;
        }

        String run() {
            for (ScriptLine line : script.lines()) {
                out.line(line.text());
                if (!line.isCommand()) {
                    continue;
                }
                try {
                    execute(line);
                } catch (RuntimeException | AssertionError e) {
                    String what = e.getClass().getSimpleName() + ": " + e.getMessage();
                    out.line("  ERROR " + what);
                    failures.add(where(line) + " -> " + what);
                    break;
                }
            }
            if (!failures.isEmpty()) {
                throw new ScenarioFailure(script.name(), failures, out.tail(40));
            }
            return out.text();
        }

        private String where(ScriptLine line) {
            return script.name() + ".script:" + line.number() + ": " + line.text().strip();
        }

        private void fail(ScriptLine line, String finding) {
            out.line("  FAILED: " + finding);
            failures.add(where(line) + " -> " + finding);
        }

        private ScenarioCluster cluster() {
            if (cluster == null) {
                throw new IllegalArgumentException("declare the cluster first with 'nodes'");
            }
            return cluster;
        }

        private void execute(ScriptLine line) {
            List<String> a = line.args();
            switch (line.command()) {
                case "nodes" -> startCluster(line);
                case "log" -> cluster().setLog(arg(line, 0), terms(a.subList(1, a.size())));
                case "term" -> setTerm(line);
                case "campaign" -> cluster().campaign(arg(line, 0));
                case "tick" -> cluster().tick(arg(line, 0), a.size() > 1 ? number(a.get(1)) : 1);
                case "tick-all" -> cluster().tickAll(a.isEmpty() ? 1 : number(a.get(0)));
                case "run" -> cluster().run(number(arg(line, 0)));
                case "propose" -> {
                    if (a.size() < 2) {
                        throw new IllegalArgumentException("usage: propose NODE DATA...");
                    }
                    cluster().propose(a.get(0), a.subList(1, a.size()));
                }
                case "read" -> cluster().read(arg(line, 0), number(arg(line, 1)));
                case "transfer" -> cluster().transfer(arg(line, 0), arg(line, 1));
                case "process" -> {
                    for (String n : a) {
                        cluster().process(n);
                    }
                }
                case "deliver" -> cluster().deliver(filter(line), limit(line));
                case "drop" -> cluster().drop(filter(line), limit(line));
                case "partition" -> cluster().partition(groups(a));
                case "isolate" -> cluster().isolate(arg(line, 0));
                case "heal" -> cluster().heal();
                case "crash" -> cluster().crash(arg(line, 0));
                case "restart" -> cluster().restart(arg(line, 0));
                case "stabilize" -> cluster().stabilize();
                case "status" -> cluster().status(a);
                case "logs" -> cluster().logs();
                case "queue" -> cluster().queue();
                case "expect" -> expect(line);
                default -> throw new IllegalArgumentException("unknown command '" + line.command() + "'");
            }
        }

        // -------------------------------------------------------------------------------------------- setup

        private void startCluster(ScriptLine line) {
            if (cluster != null) {
                throw new IllegalArgumentException("the cluster is already declared");
            }
            Map<String, String> options = new LinkedHashMap<>(line.options());
            options.putAll(overrides);
            for (String key : options.keySet()) {
                if (!List.of("pre-vote", "check-quorum", "election", "heartbeat", "max-append-bytes",
                        "max-inflight", "disable").contains(key)) {
                    throw new IllegalArgumentException("unknown option '" + key + "' of nodes");
                }
            }
            cluster = new ScenarioCluster(line.args(), id -> config(id, options), out);
        }

        private RaftConfig config(NodeId id, Map<String, String> options) {
            RaftConfig.Builder b = RaftConfig.builder(id);
            if (options.containsKey("pre-vote")) {
                b.preVote(bool(options.get("pre-vote")));
            }
            if (options.containsKey("check-quorum")) {
                b.checkQuorum(bool(options.get("check-quorum")));
            }
            if (options.containsKey("election")) {
                b.electionTicks(number(options.get("election")));
            }
            if (options.containsKey("heartbeat")) {
                b.heartbeatTicks(number(options.get("heartbeat")));
            }
            if (options.containsKey("max-append-bytes")) {
                b.maxAppendBytes(number(options.get("max-append-bytes")));
            }
            if (options.containsKey("max-inflight")) {
                b.maxInflightAppends(number(options.get("max-inflight")));
            }
            String disabled = options.getOrDefault("disable", "");
            for (String name : disabled.split(",")) {
                if (!name.isBlank()) {
                    b.unsafelyDisableForTesting(Mechanism.valueOf(name.strip().toUpperCase(Locale.ROOT)));
                }
            }
            return b.build();
        }

        private void setTerm(ScriptLine line) {
            String who = arg(line, 0);
            long term = number(arg(line, 1));
            if (who.equals("all")) {
                for (ScenarioCluster.Member m : cluster().members()) {
                    cluster().setTerm(m.name, term);
                }
            } else {
                cluster().setTerm(who, term);
            }
        }

        // -------------------------------------------------------------------------------------------- expectations

        private void expect(ScriptLine line) {
            List<String> a = line.args();
            if (a.isEmpty()) {
                throw new IllegalArgumentException("expect what?");
            }
            String what = a.get(0);
            List<String> rest = a.subList(1, a.size());
            String finding = switch (what) {
                case "leader" -> expectLeader(arg(line, 1));
                case "no-leader" -> expectNoLeader();
                case "role" -> expectRole(arg(line, 1), arg(line, 2));
                case "follows" -> expectFollows(arg(line, 1), arg(line, 2));
                case "term" -> {
                    long t = raft(arg(line, 1)).term();
                    yield t == number(arg(line, 2)) ? null : "n" + arg(line, 1) + " is in term " + t;
                }
                case "commit" -> {
                    long c = raft(arg(line, 1)).status().commitIndex();
                    yield c == number(arg(line, 2)) ? null : "n" + arg(line, 1) + " has commit index " + c;
                }
                case "applied-index" -> {
                    long c = raft(arg(line, 1)).status().appliedIndex();
                    yield c == number(arg(line, 2)) ? null : "n" + arg(line, 1) + " has applied index " + c;
                }
                case "applied" -> expectApplied(arg(line, 1), rest.subList(1, rest.size()));
                case "log" -> expectLog(arg(line, 1), rest.subList(1, rest.size()));
                case "logs-match" -> expectLogsMatch(rest);
                case "applied-consistent" -> cluster().appliedConflicts().isEmpty() ? null
                        : "different entries were applied at the same index: "
                        + String.join("; ", cluster().appliedConflicts());
                case "read" -> expectRead(arg(line, 1), number(arg(line, 2)), arg(line, 3));
                case "rejections" -> {
                    String node = arg(line, 1);
                    long n = cluster().delivered().stream()
                            .filter(m -> isRejection(m) && m.from().value().equals(node))
                            .count();
                    yield bound(n, rest.subList(1, rest.size()), "n" + node + " rejected " + n + " appends");
                }
                case "delivered" -> {
                    ScenarioCluster.MessageFilter f = filter(line);
                    long n = cluster().delivered().stream().filter(f::matches).count();
                    yield bound(n, rest, n + " matching messages were delivered");
                }
                default -> throw new IllegalArgumentException("unknown expectation '" + what + "'");
            };
            if (finding != null) {
                fail(line, finding);
            }
        }

        private String expectLeader(String name) {
            RaftNode r = raft(name);
            if (r.role() != Role.LEADER) {
                return "n" + name + " is " + r.role() + " in term " + r.term()
                        + (r.leader() == null ? "" : " (following n" + r.leader() + ")");
            }
            List<String> others = new ArrayList<>();
            for (ScenarioCluster.Member m : cluster().members()) {
                if (!m.name.equals(name) && m.up() && m.raft.role() == Role.LEADER) {
                    others.add("n" + m.name + " (t" + m.raft.term() + ")");
                }
            }
            return others.isEmpty() ? null : "other leaders too: " + String.join(", ", others);
        }

        private String expectNoLeader() {
            List<String> leaders = new ArrayList<>();
            for (ScenarioCluster.Member m : cluster().members()) {
                if (m.up() && m.raft.role() == Role.LEADER) {
                    leaders.add("n" + m.name + " (t" + m.raft.term() + ")");
                }
            }
            return leaders.isEmpty() ? null : "leader(s): " + String.join(", ", leaders);
        }

        private String expectRole(String name, String role) {
            Role actual = raft(name).role();
            Role wanted = Role.valueOf(role.toUpperCase(Locale.ROOT).replace('-', '_'));
            return actual == wanted ? null : "n" + name + " is " + actual + " in term " + raft(name).term();
        }

        private String expectFollows(String name, String leader) {
            NodeId actual = raft(name).leader();
            return actual != null && actual.value().equals(leader) ? null
                    : "n" + name + " follows " + (actual == null ? "nobody" : "n" + actual);
        }

        private String expectApplied(String name, List<String> commands) {
            ScenarioCluster.Member m = cluster().member(name);
            List<String> actual = new ArrayList<>();
            for (Entry e : m.applied) {
                if (e.type() == EntryType.COMMAND && e.data().length > 0) {
                    actual.add(TraceFormat.data(e));
                }
            }
            return actual.equals(commands) ? null : "n" + name + " applied commands " + actual;
        }

        private String expectLog(String name, List<String> wanted) {
            List<Entry> log = cluster().log(cluster().member(name));
            List<String> actual = new ArrayList<>();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < log.size(); i++) {
                actual.add(log.get(i).index() + "/" + log.get(i).term());
            }
            for (int i = 0; i < wanted.size(); i++) {
                String w = wanted.get(i);
                expected.add(w.contains("/") ? w : (i + 1) + "/" + w);
            }
            return actual.equals(expected) ? null : "n" + name + " has log " + String.join(" ", actual);
        }

        private String expectLogsMatch(List<String> names) {
            List<ScenarioCluster.Member> chosen = new ArrayList<>();
            if (names.isEmpty()) {
                chosen.addAll(cluster().members());
            } else {
                for (String n : names) {
                    chosen.add(cluster().member(n));
                }
            }
            String reference = null;
            String referenceNode = null;
            for (ScenarioCluster.Member m : chosen) {
                String log = TraceFormat.entries(cluster().log(m));
                if (reference == null) {
                    reference = log;
                    referenceNode = m.name;
                } else if (!log.equals(reference)) {
                    return "n" + referenceNode + " has " + reference + " but n" + m.name + " has " + log;
                }
            }
            return null;
        }

        private String expectRead(String name, long id, String outcome) {
            ScenarioCluster.Member m = cluster().member(name);
            Long served = m.reads.get(id);
            String actual = served != null ? "served at index " + served
                    : m.abortedReads.contains(id) ? "aborted" : "pending";
            boolean ok = switch (outcome) {
                case "pending" -> served == null && !m.abortedReads.contains(id);
                case "aborted" -> m.abortedReads.contains(id);
                default -> served != null && served == number(outcome);
            };
            return ok ? null : "read " + id + " at n" + name + " is " + actual;
        }

        private String bound(long actual, List<String> words, String finding) {
            Matcher mt = BOUND.matcher(String.join("", words));
            if (!mt.matches()) {
                throw new IllegalArgumentException("expected a bound such as '<= 3', got '" + String.join(" ", words) + "'");
            }
            String op = mt.group(1) == null ? "==" : mt.group(1);
            long limit = Long.parseLong(mt.group(2));
            boolean ok = switch (op) {
                case "<=" -> actual <= limit;
                case ">=" -> actual >= limit;
                case "<" -> actual < limit;
                case ">" -> actual > limit;
                default -> actual == limit;
            };
            return ok ? null : finding + ", expected " + op + " " + limit;
        }

        // -------------------------------------------------------------------------------------------- arguments

        private RaftNode raft(String name) {
            return cluster().member(name).raft();
        }

        private ScenarioCluster.MessageFilter filter(ScriptLine line) {
            Map<String, String> o = line.options();
            for (String key : o.keySet()) {
                if (!List.of("from", "to", "type", "count").contains(key)) {
                    throw new IllegalArgumentException("unknown option '" + key + "'");
                }
            }
            return new ScenarioCluster.MessageFilter(o.get("from"), o.get("to"), o.get("type"));
        }

        private int limit(ScriptLine line) {
            String c = line.options().get("count");
            return c == null ? -1 : number(c);
        }

        private String arg(ScriptLine line, int i) {
            if (i >= line.args().size()) {
                throw new IllegalArgumentException("'" + line.command() + "' is missing argument " + (i + 1));
            }
            return line.args().get(i);
        }

        private List<Long> terms(List<String> words) {
            List<Long> t = new ArrayList<>();
            for (String w : words) {
                t.add((long) number(w));
            }
            return t;
        }

        private List<List<String>> groups(List<String> words) {
            List<List<String>> groups = new ArrayList<>();
            List<String> current = new ArrayList<>();
            for (String w : words) {
                if (w.equals("|")) {
                    groups.add(current);
                    current = new ArrayList<>();
                } else {
                    current.add(w);
                }
            }
            groups.add(current);
            if (groups.size() < 2) {
                throw new IllegalArgumentException("usage: partition A B | C D E");
            }
            return groups;
        }
    }

    private static int number(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a number, got '" + s + "'", e);
        }
    }

    private static boolean bool(String s) {
        if (s.equals("true") || s.equals("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException("expected true or false, got '" + s + "'");
    }

    private static boolean isRejection(RaftMessage m) {
        return m instanceof AppendEntriesResponse r && !r.success();
    }
}
