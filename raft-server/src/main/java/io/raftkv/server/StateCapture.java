package io.raftkv.server;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The state of a {@link StateMachine} frozen at one applied index, to be written out as a snapshot on a
 * background thread while the state machine keeps applying.
 */
public interface StateCapture extends AutoCloseable {

    /** Writes the captured state; {@link StateMachine#restore} must accept what this writes. */
    void writeTo(OutputStream out) throws IOException;

    /** Releases what the capture holds (e.g. a database snapshot). */
    @Override
    void close();
}
