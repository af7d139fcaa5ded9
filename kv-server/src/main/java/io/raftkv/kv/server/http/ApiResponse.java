package io.raftkv.kv.server.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One response of the HTTP API, independent of Netty: the handlers build these on whatever thread their
 * future completes on, and only the connection's event loop turns them into Netty buffers. Keeping buffers out
 * of this type means a response dropped on a closed connection cannot leak pooled memory.
 *
 * @param status      HTTP status code
 * @param contentType the Content-Type header
 * @param body        the body bytes (never null)
 * @param headers     extra headers (Allow, Retry-After, X-Revision), in insertion order
 */
record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {

    static final String JSON = "application/json";
    static final String OCTET_STREAM = "application/octet-stream";

    ApiResponse {
        // A defensive, ordered, read-only copy: the headers are written in the order the handler gave them.
        headers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** A 200 response whose body is {@code value} serialized as JSON. */
    static ApiResponse ok(Object value) {
        return new ApiResponse(200, JSON, Json.write(value), Map.of());
    }

    /** A 200 response carrying raw bytes. */
    static ApiResponse raw(byte[] body, Map<String, String> headers) {
        return new ApiResponse(200, OCTET_STREAM, body, headers);
    }

    /** An error response with the JSON body {@code {"error", "message"[, "leader"]}}. */
    static ApiResponse error(int status, String code, String message, String leader, Map<String, String> headers) {
        return new ApiResponse(status, JSON, Json.write(new Json.ErrorBody(code, message, leader)), headers);
    }

    /** The same response with one more header. */
    ApiResponse withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers);
        h.put(name, value);
        return new ApiResponse(status, contentType, body, h);
    }
}
