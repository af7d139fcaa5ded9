package io.raftkv.kv.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import io.raftkv.core.Configuration;
import io.raftkv.core.NodeId;
import io.raftkv.kv.server.service.ClusterAdmin;
import io.raftkv.server.RaftException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /v1/cluster/...}: the membership as this node sees it, membership changes and leadership transfer
 * (see docs/http-api.md). Every change answers once it is committed, with the new membership.
 */
final class ClusterEndpoints {

    static final String PREFIX = "/v1/cluster/";
    private static final String MEMBERS = "/v1/cluster/members";
    private static final String TRANSFER = "/v1/cluster/transfer-leader";
    /** Default and longest wait for a voter to be added (a learner catching up may need a whole snapshot). */
    static final Duration DEFAULT_VOTER_TIMEOUT = Duration.ofMinutes(2);
    static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    /** One member in JSON; {@code match} and {@code caughtUp} only from the leader. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record MemberJson(String id, String role, String peerAddress, Long match, Boolean caughtUp) {
    }

    /** {@code GET /v1/cluster/members} and the answer to every change. */
    record MembersJson(String clusterId, String node, String leader, long term, long configurationIndex,
                       boolean changePending, List<MemberJson> members) {
    }

    /** {@code POST /v1/cluster/transfer-leader}. */
    record TransferredJson(String leader) {
    }

    private final ClusterAdmin admin;
    private final Duration changeTimeout;

    /** @param changeTimeout how long a change other than adding a voter may take to commit */
    ClusterEndpoints(ClusterAdmin admin, Duration changeTimeout) {
        this.admin = admin;
        this.changeTimeout = changeTimeout;
    }

    CompletableFuture<ApiResponse> handle(String method, String path, byte[] body) {
        if (path.equals(MEMBERS)) {
            if (method.equals("GET")) {
                return CompletableFuture.completedFuture(ApiResponse.ok(members()));
            }
            if (method.equals("POST")) {
                return add(Json.parseObject(body));
            }
            throw ApiException.methodNotAllowed(method, "GET, POST");
        }
        if (path.equals(TRANSFER)) {
            requireMethod(method, "POST");
            NodeId to = nodeId(Json.parseObject(body).path("to"), "to");
            return admin.transferLeadership(to).thenApply(v -> ApiResponse.ok(new TransferredJson(to.value())));
        }
        if (path.startsWith(MEMBERS + "/")) {
            String rest = path.substring(MEMBERS.length() + 1);
            if (rest.endsWith("/promote")) {
                requireMethod(method, "POST");
                NodeId id = pathId(rest.substring(0, rest.length() - "/promote".length()));
                return answer(admin.promote(id, changeTimeout));
            }
            requireMethod(method, "DELETE");
            return answer(admin.remove(pathId(rest), changeTimeout));
        }
        throw ApiException.notFound("no endpoint at " + HttpApiRouter.abbreviate(path) + "; see "
                + MEMBERS + ", " + MEMBERS + "/{id}, " + MEMBERS + "/{id}/promote, " + TRANSFER);
    }

    private CompletableFuture<ApiResponse> add(JsonNode j) {
        NodeId id = nodeId(j.path("id"), "id");
        JsonNode addr = j.path("peerAddress");
        if (!addr.isTextual()) {
            throw Json.badRequest("'peerAddress' (host:port where the new member's peers connect) is required");
        }
        String peerAddress = addr.asText();
        try {
            Configuration.checkAddress(id, peerAddress);
            if (peerAddress.lastIndexOf(':') <= 0) {
                throw new IllegalArgumentException("'" + peerAddress + "' is not of the form host:port");
            }
        } catch (IllegalArgumentException e) {
            throw Json.badRequest("'peerAddress': " + e.getMessage());
        }
        String role = j.path("role").asText("voter");
        boolean voter = switch (role) {
            case "voter" -> true;
            case "learner" -> false;
            default -> throw Json.badRequest("'role' must be voter or learner, not '"
                    + HttpApiRouter.abbreviate(role) + "'");
        };
        Duration timeout = voter ? DEFAULT_VOTER_TIMEOUT : changeTimeout;
        if (j.has("timeoutMs")) {
            JsonNode t = j.path("timeoutMs");
            if (!t.canConvertToLong() || t.asLong() < 1 || t.asLong() > MAX_TIMEOUT.toMillis()) {
                throw Json.badRequest("'timeoutMs' must be a whole number from 1 to " + MAX_TIMEOUT.toMillis());
            }
            timeout = Duration.ofMillis(t.asLong());
        }
        return answer(admin.add(id, peerAddress, voter, timeout));
    }

    private CompletableFuture<ApiResponse> answer(CompletableFuture<Configuration> change) {
        return change.thenApply(c -> ApiResponse.ok(members()));
    }

    private MembersJson members() {
        ClusterAdmin.Membership m = admin.members();
        List<MemberJson> members = new ArrayList<>();
        for (ClusterAdmin.Member x : m.members()) {
            members.add(new MemberJson(x.id().value(), x.voter() ? "voter" : "learner", x.peerAddress(), x.match(),
                    x.caughtUp()));
        }
        return new MembersJson(m.clusterId(), m.self().value(), m.leader() == null ? null : m.leader().value(),
                m.term(), m.configurationIndex(), m.changePending(), members);
    }

    /** The error response for a refused or failed change (other failures are the router's to map). */
    static ApiResponse refusal(RaftException.MembershipChangeRefused r) {
        int status = switch (r.reason()) {
            case INVALID -> 400;
            case TIMEOUT -> 504;
            default -> 409;
        };
        return ApiResponse.error(status, r.reason().name().toLowerCase(Locale.ROOT), r.getMessage(), null,
                r.retryable() ? Map.of("Retry-After", HttpApiRouter.RETRY_AFTER_SECONDS) : Map.of());
    }

    private static NodeId pathId(String raw) {
        String s = new String(RequestTarget.decodePath(raw, "member id"), java.nio.charset.StandardCharsets.UTF_8);
        try {
            return NodeId.of(s);
        } catch (IllegalArgumentException e) {
            throw Json.badRequest("invalid member id in the path: " + e.getMessage());
        }
    }

    private static NodeId nodeId(JsonNode n, String field) {
        if (!n.isTextual()) {
            throw Json.badRequest("'" + field + "' (a node id) is required");
        }
        try {
            return NodeId.of(n.asText());
        } catch (IllegalArgumentException e) {
            throw Json.badRequest("'" + field + "': " + e.getMessage());
        }
    }

    private static void requireMethod(String method, String allowed) {
        if (!method.equals(allowed)) {
            throw ApiException.methodNotAllowed(method, allowed);
        }
    }
}
