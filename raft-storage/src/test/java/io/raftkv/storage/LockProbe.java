package io.raftkv.storage;

import io.raftkv.core.NodeId;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Run in a separate JVM by {@link StorageRecoveryTest}: tries to open the data directory given as the only
 * argument, as another process would. Exit status 0: opened (and closed again); 2: refused because the
 * directory is locked; 1: anything else (printed).
 */
public final class LockProbe {

    private LockProbe() {
    }

    public static void main(String[] args) {
        int status;
        try {
            DataDirectory.open(Path.of(args[0]), StorageRecoveryTest.CLUSTER, NodeId.of(StorageRecoveryTest.NODE),
                    null).close();
            status = 0;
        } catch (IOException e) {
            status = String.valueOf(e.getMessage()).contains("in use") ? 2 : 1;
            if (status == 1) {
                e.printStackTrace();
            }
        } catch (RuntimeException e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }
}
