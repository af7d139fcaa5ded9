package io.raftkv.storage;

import io.raftkv.core.NodeId;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** How a set of node ids is written in metadata files: comma-separated, in id order ({@code n1,n2,n3}). */
public final class NodeIdList {

    private NodeIdList() {
    }

    /** The text form of {@code ids}. */
    public static String format(Set<NodeId> ids) {
        return ids.stream().sorted().map(NodeId::value).collect(Collectors.joining(","));
    }

    /**
     * The ids in {@code text} (null or blank: none).
     *
     * @throws IllegalArgumentException if an id is invalid
     */
    public static Set<NodeId> parse(String text) {
        Set<NodeId> ids = new TreeSet<>();
        if (text != null && !text.isBlank()) {
            Arrays.stream(text.split(",")).map(String::trim).map(NodeId::of).forEach(ids::add);
        }
        return ids;
    }
}
