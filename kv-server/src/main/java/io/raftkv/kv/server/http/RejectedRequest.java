package io.raftkv.kv.server.http;

/**
 * A request refused before it was aggregated (body too large). It travels down the pipeline like a request so
 * that {@link HttpApiHandler} writes its response in order with the connection's other pipelined responses.
 *
 * @param response  the error to send
 * @param keepAlive whether the connection can serve further requests after it
 */
record RejectedRequest(ApiResponse response, boolean keepAlive) {
}
