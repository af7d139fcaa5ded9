package io.raftkv.kv.server.service;

import io.raftkv.core.Role;

/** The role names the HTTP API and the client protocol report: leader, follower, candidate or learner. */
public final class RoleName {

    private RoleName() {
    }

    /** The reported name of {@code role}. */
    public static String of(Role role) {
        return switch (role) {
            case LEADER -> "leader";
            case FOLLOWER -> "follower";
            // Pre-vote is an implementation detail of campaigning; clients and operators only need "campaigning".
            case CANDIDATE, PRE_CANDIDATE -> "candidate";
            case LEARNER -> "learner";
        };
    }
}
