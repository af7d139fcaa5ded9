package io.raftkv.bench.load;

/** Chooses the number of the next key an operation touches (see {@link KeySpace}). */
public interface KeyPicker {

    /** The next key number, from 0 to the key space's size minus one. */
    long next();

    /**
     * The picker for one benchmark client. Sequential pickers are one shared counter, so that all clients
     * together walk the key space in order; uniform pickers are independent per client (no shared state on the
     * hot path), each seeded from {@code seed} and the client's number so that a run can be repeated.
     */
    static KeyPicker forClient(KeySpace keys, KeyPicker shared, long seed, int client) {
        return keys.order() == KeySpace.Order.SEQUENTIAL ? shared : new UniformKeyPicker(keys.size(), seed, client);
    }

    /** The counter all clients of a sequential key space share. */
    static KeyPicker shared(KeySpace keys) {
        return new SequentialKeyPicker(keys.size());
    }
}
