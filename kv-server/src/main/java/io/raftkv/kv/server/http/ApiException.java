package io.raftkv.kv.server.http;

import java.util.Map;

/**
 * A failure that only exists at the HTTP layer (unknown route, wrong method, absent key), so it has no
 * {@link io.raftkv.kv.server.service.ErrorCode}. Malformed and oversized input is reported with
 * {@link io.raftkv.kv.server.service.KvException} instead, so HTTP and the client protocol share those codes.
 */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    static final String NOT_FOUND = "not_found";
    static final String METHOD_NOT_ALLOWED = "method_not_allowed";

    private final int status;
    private final String code;
    private final transient Map<String, String> headers;

    private ApiException(int status, String code, String message, Map<String, String> headers) {
        // No stack trace: these are expected outcomes of client input, thrown per request.
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.headers = headers;
    }

    static ApiException notFound(String message) {
        return new ApiException(404, NOT_FOUND, message, Map.of());
    }

    static ApiException methodNotAllowed(String method, String allow) {
        return new ApiException(405, METHOD_NOT_ALLOWED, "method " + method + " is not allowed here; use " + allow,
                Map.of("Allow", allow));
    }

    ApiResponse toResponse() {
        return ApiResponse.error(status, code, getMessage(), null, headers);
    }
}
