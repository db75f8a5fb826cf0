package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class PosixFilesTest {
  @TempDir Path root;

  /**
   * Found by ResourceExhaustionTest: an action's tree nested past PATH_MAX left its overlay dir
   * behind for good (every path below that depth is ENAMETOOLONG, at the next start too).
   */
  @Test
  void deleteTreeRemovesATreeNestedPastPathMax() throws Exception {
    Path tree = Files.createDirectory(root.resolve("tree"));
    // mkdir -p walks down with relative names, so it nests past PATH_MAX where a path cannot.
    Process mkdir =
        new ProcessBuilder("mkdir", "-p", "d/".repeat(2200) + "d").directory(tree.toFile()).start();
    assertEquals(true, mkdir.waitFor(30, TimeUnit.SECONDS));
    assertEquals(0, mkdir.exitValue(), "mkdir -p");
    Process touch =
        new ProcessBuilder("sh", "-c", "cd \"$1\" && touch f", "sh", "d/".repeat(1500) + "d")
            .directory(tree.toFile())
            .start();
    assertEquals(0, touch.waitFor(), "a file at depth 1500 too");

    PosixFiles.deleteTree(tree);

    assertFalse(Files.exists(tree));
  }
}
