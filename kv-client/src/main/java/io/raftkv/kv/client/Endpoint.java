package io.raftkv.kv.client;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The client-protocol address of one node.
 *
 * @param host a host name or an IP literal (IPv6 without brackets)
 * @param port 1 to 65535
 */
public record Endpoint(String host, int port) {

    public Endpoint {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) {
            throw new IllegalArgumentException("the host is empty");
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("port must be 1 to 65535, got " + port);
        }
    }

    /** Parses {@code host:port} or {@code [ipv6]:port}. */
    public static Endpoint parse(String s) {
        String t = Objects.requireNonNull(s, "endpoint").trim();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw new IllegalArgumentException("endpoint '" + s + "' is not host:port");
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("endpoint '" + s + "': write IPv6 addresses as [address]:port");
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("endpoint '" + s + "' has no numeric port");
        }
        return new Endpoint(host, port);
    }

    /** Parses a comma-separated list of endpoints (blanks around commas are ignored). */
    public static List<Endpoint> parseList(String csv) {
        List<Endpoint> out = new ArrayList<>();
        for (String part : Objects.requireNonNull(csv, "endpoints").split(",")) {
            if (!part.isBlank()) {
                out.add(parse(part));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no endpoints in '" + csv + "'");
        }
        return out;
    }

    /** The endpoint of a bound socket address. */
    public static Endpoint of(InetSocketAddress address) {
        return new Endpoint(address.getHostString(), address.getPort());
    }

    /** An unresolved socket address: resolution happens when connecting, so a node's DNS change is picked up. */
    InetSocketAddress socketAddress() {
        return InetSocketAddress.createUnresolved(host, port);
    }

    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
