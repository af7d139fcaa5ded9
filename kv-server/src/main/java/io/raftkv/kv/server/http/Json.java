package io.raftkv.kv.server.http;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.raftkv.kv.server.service.ErrorCode;
import io.raftkv.kv.server.service.KvException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The JSON bodies of the HTTP API and the strict UTF-8 and Base64 conversions they need. */
final class Json {

    /**
     * Immutable once built, so one instance is shared. Strict on input: a duplicated field or trailing garbage is
     * a malformed request, not something to guess about.
     */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Set<String> CAS_FIELDS = Set.of("expected", "expectedBase64", "value", "valueBase64");

    private Json() {
    }

    // ------------------------------------------------------------------------------------------------ bodies

    /** {@code PUT}: the new revision. */
    record Revision(long revision) {
    }

    /** {@code DELETE}: whether the key existed. */
    record Deleted(boolean deleted) {
    }

    /** {@code POST .../cas}: whether it matched, and the key's revision afterwards. */
    record Swapped(boolean succeeded, long revision) {
    }

    /**
     * One scanned key. A key or value that is not valid UTF-8 (written through the Java client) is given in its
     * Base64 field instead, so a scan never silently replaces bytes with U+FFFD.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ScanItem(String key, String keyBase64, String value, String valueBase64, long revision) {
    }

    /** {@code GET /v1/kv}: a page of keys, {@code more} if further keys matched. */
    record ScanPage(List<ScanItem> items, boolean more) {
    }

    /** One cluster member and whether it votes. */
    record Member(String id, String role) {
    }

    /**
     * {@code GET /v1/status}. {@code leader} is null (JSON null) while no leader is known; {@code metrics} holds
     * the node's counters by group ({@code KvService#metrics}).
     */
    record Status(String id, String role, long term, String leader, long commitIndex, long appliedIndex,
                  long lastIndex, long snapshotIndex, List<Member> members,
                  @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> faults,
                  Map<String, Map<String, Long>> metrics) {
    }

    /** {@code POST /v1/admin/snapshot}: what the snapshot covers (its last index and that entry's term). */
    record SnapshotTaken(long index, long term) {
    }

    /** Every error; {@code leader} only when known. */
    record ErrorBody(String error, String message, @JsonInclude(JsonInclude.Include.NON_NULL) String leader) {
    }

    /** A parsed compare-and-set body: {@code expected} null means "only if absent". */
    record CasRequest(byte[] expected, byte[] value) {
    }

    // ------------------------------------------------------------------------------------------------ writing

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            // Only our own records are serialized: failing here is a bug, reported as a 500 by the caller.
            throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName(), e);
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Parses {@code {"expected": "old"|null, "value": "new"}}, where either field may instead be given as
     * {@code expectedBase64} / {@code valueBase64}. Exactly one form of each is required: {@code expected} is
     * mandatory (null is the explicit "only if absent") so that a forgotten field cannot turn a conditional
     * write into a create.
     */
    /** A JSON object body; an empty body counts as {@code {}}. */
    static JsonNode parseObject(byte[] body) {
        if (body.length == 0) {
            return MAPPER.createObjectNode();
        }
        try {
            JsonNode root = MAPPER.readTree(body);
            if (root == null || !root.isObject()) {
                throw badRequest("the body must be a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw badRequest("the body cannot be read as JSON: " + e.getMessage());
        }
    }

    static CasRequest parseCas(byte[] body) {
        if (body.length == 0) {
            throw badRequest("the body must be a JSON object like {\"expected\": \"old\", \"value\": \"new\"}");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw badRequest("the body cannot be read as JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw badRequest("the body must be a JSON object like {\"expected\": \"old\", \"value\": \"new\"}");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!CAS_FIELDS.contains(f)) {
                throw badRequest("unknown field '" + f + "'; the fields are expected (or expectedBase64) and value"
                        + " (or valueBase64)");
            }
        }
        if (root.has("expected") == root.has("expectedBase64")) {
            throw badRequest("give exactly one of expected or expectedBase64 (null means: only if absent)");
        }
        if (root.has("value") == root.has("valueBase64")) {
            throw badRequest("give exactly one of value or valueBase64");
        }
        byte[] expected = root.has("expected")
                ? utf8Field(root.get("expected"), "expected", true)
                : base64Field(root.get("expectedBase64"), "expectedBase64", true);
        byte[] value = root.has("value")
                ? utf8Field(root.get("value"), "value", false)
                : base64Field(root.get("valueBase64"), "valueBase64", false);
        return new CasRequest(expected, value);
    }

    private static byte[] utf8Field(JsonNode node, String name, boolean nullable) {
        if (node.isNull() && nullable) {
            return null;
        }
        if (!node.isTextual()) {
            throw badRequest(name + " must be a string" + (nullable ? " or null" : ""));
        }
        return encodeUtf8(node.textValue(), name);
    }

    private static byte[] base64Field(JsonNode node, String name, boolean nullable) {
        if (node.isNull() && nullable) {
            return null;
        }
        if (!node.isTextual()) {
            throw badRequest(name + " must be a Base64 string" + (nullable ? " or null" : ""));
        }
        try {
            return Base64.getDecoder().decode(node.textValue());
        } catch (IllegalArgumentException e) {
            throw badRequest(name + " is not valid Base64: " + e.getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------------ UTF-8

    /**
     * The UTF-8 bytes of {@code s}, refusing unpaired surrogates (which JSON's {@code \ud800} escapes can
     * produce) instead of letting {@link String#getBytes} turn them into '?'.
     */
    static byte[] encodeUtf8(String s, String what) {
        try {
            ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(s));
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw badRequest(what + " is not valid Unicode (unpaired surrogate)");
        }
    }

    /** {@code bytes} as a string if they are valid UTF-8, else null. */
    static String decodeUtf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** A scan item with each of key and value as UTF-8 text where possible, Base64 otherwise. */
    static ScanItem scanItem(byte[] key, byte[] value, long revision) {
        String k = decodeUtf8OrNull(key);
        String v = decodeUtf8OrNull(value);
        return new ScanItem(k, k == null ? Base64.getEncoder().encodeToString(key) : null,
                v, v == null ? Base64.getEncoder().encodeToString(value) : null, revision);
    }

    static KvException badRequest(String message) {
        return new KvException(ErrorCode.BAD_REQUEST, message);
    }
}
