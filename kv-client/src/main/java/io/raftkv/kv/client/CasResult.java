package io.raftkv.kv.client;

/**
 * The outcome of a compare-and-set.
 *
 * @param succeeded whether the key held the expected value (or was absent, if absence was expected) and was set
 * @param revision  the key's revision after the command: the new one on success; on failure the current one, or 0
 *                  if the key is absent
 */
public record CasResult(boolean succeeded, long revision) {
}
