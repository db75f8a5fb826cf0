package dev.airlock.daemon.commit;

import dev.airlock.sandbox.linux.Launcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether actions can get copy-on-write layers whose upper dirs live in the state directory. */
public final class OverlayProbe {
  private OverlayProbe() {}

  /** Mounts a probe overlay through the launcher, on the state directory's filesystem. */
  public static boolean works(Launcher launcher, Path stateDir) throws IOException {
    Path scratch = Files.createTempDirectory(stateDir, "probe-overlay-");
    try {
      return launcher.overlaysWork(scratch);
    } finally {
      // overlayfs leaves mode-000 dirs in its work dir; deleteTree opens them up.
      PosixFiles.deleteTree(scratch);
    }
  }
}
