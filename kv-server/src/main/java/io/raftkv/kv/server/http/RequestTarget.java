package io.raftkv.kv.server.http;

import io.raftkv.kv.server.service.ErrorCode;
import io.raftkv.kv.server.service.KvException;
import java.io.ByteArrayOutputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A request target split into its raw (still percent-encoded) path and its decoded query parameters.
 *
 * <p>The path stays raw so that routing sees the request's own structure: a key containing {@code %2F} is one
 * path segment to the router but a key with a {@code /} once decoded. Decoding is strict (a malformed escape,
 * a control or non-ASCII character, or bytes that are not UTF-8 are a 400) because guessing would address a key
 * the client did not name.
 *
 * @param rawPath the path, percent-encoded as received
 * @param query   decoded query parameters, each at most once
 */
record RequestTarget(String rawPath, Map<String, String> query) {

    RequestTarget {
        query = Collections.unmodifiableMap(new LinkedHashMap<>(query));
    }

    /** Splits and decodes {@code uri} (origin form {@code /path?query}, or absolute form from a proxy). */
    static RequestTarget parse(String uri) {
        String target = uri;
        int scheme = target.indexOf("://");
        if (!target.startsWith("/") && scheme > 0) {
            // Absolute form (RFC 9112 section 3.2.2): drop scheme and authority.
            int slash = target.indexOf('/', scheme + 3);
            int q = target.indexOf('?', scheme + 3);
            if (slash < 0 || (q >= 0 && q < slash)) {
                target = "/" + (q >= 0 ? target.substring(q) : "");
            } else {
                target = target.substring(slash);
            }
        }
        if (!target.startsWith("/")) {
            throw bad("the request target must be a path starting with '/'");
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        checkRawCharacters(path, "path");
        Map<String, String> params = new LinkedHashMap<>();
        if (q >= 0 && q + 1 < target.length()) {
            String rawQuery = target.substring(q + 1);
            checkRawCharacters(rawQuery, "query");
            for (String pair : rawQuery.split("&", -1)) {
                if (pair.isEmpty()) {
                    continue; // "a=1&&b=2" or a trailing '&': harmless
                }
                int eq = pair.indexOf('=');
                String name = decodeQueryComponent(eq < 0 ? pair : pair.substring(0, eq), "parameter name");
                String value = eq < 0 ? "" : decodeQueryComponent(pair.substring(eq + 1), "parameter " + name);
                if (params.put(name, value) != null) {
                    throw bad("query parameter '" + name + "' is given more than once");
                }
            }
        }
        return new RequestTarget(path, params);
    }

    /** Fails unless every query parameter is one of {@code allowed}: a misspelt parameter must not be ignored. */
    void allowOnly(Set<String> allowed) {
        for (String name : query.keySet()) {
            if (!allowed.contains(name)) {
                throw bad("unknown query parameter '" + name + "'" + (allowed.isEmpty()
                        ? "; this endpoint takes none" : "; this endpoint takes " + String.join(", ",
                        new java.util.TreeSet<>(allowed))));
            }
        }
    }

    /** Percent-decodes a path component to bytes ({@code +} is a literal plus in a path). */
    static byte[] decodePath(String raw, String what) {
        return percentDecode(raw, false, what);
    }

    /** Percent-decodes a query component to a string ({@code +} is a space, as in HTML forms and curl -G). */
    private static String decodeQueryComponent(String raw, String what) {
        byte[] bytes = percentDecode(raw, true, what);
        String s = Json.decodeUtf8OrNull(bytes);
        if (s == null) {
            throw bad(what + " is not UTF-8 once percent-decoded");
        }
        return s;
    }

    private static byte[] percentDecode(String raw, boolean plusIsSpace, String what) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length()) {
                    throw bad("bad percent-encoding in " + what + ": '%' must be followed by two hex digits");
                }
                int hi = Character.digit(raw.charAt(i + 1), 16);
                int lo = Character.digit(raw.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw bad("bad percent-encoding in " + what + ": '%" + raw.charAt(i + 1) + raw.charAt(i + 2)
                            + "' is not two hex digits");
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c == '+' && plusIsSpace) {
                out.write(' ');
            } else {
                out.write(c); // checkRawCharacters admitted only printable ASCII
            }
        }
        return out.toByteArray();
    }

    /**
     * Admits printable ASCII only. Netty reads the request line as ISO-8859-1/ASCII, so a raw non-ASCII byte
     * would otherwise reach us as a guess at a character; clients must percent-encode it.
     */
    private static void checkRawCharacters(String s, String what) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7F || c == '#') {
                throw bad("the " + what + " contains a character that must be percent-encoded (code "
                        + (int) c + ")");
            }
        }
    }

    private static KvException bad(String message) {
        return new KvException(ErrorCode.BAD_REQUEST, message);
    }
}
