package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.daemon.store.StateDatabase;
import dev.airlock.sandbox.linux.Confinement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The life of two actions' writes, on the path the action runner drives (WriteTransactions, an
 * OverlayLayer per action: overlays while it runs, then collect and commit). Reads as
 * documentation.
 */
@Timeout(60)
class CommitWalkthroughTest {
  @TempDir Path stateDir;
  @TempDir Path workspace;

  /**
   * Runs {@code script} in the workspace through the layer's overlay, as the launcher mounts it.
   */
  private void runIn(OverlayLayer layer, String script) throws Exception {
    Confinement.Overlay overlay = layer.overlays().get(0);
    new OverlayFixture(workspace, overlay.upper(), overlay.work()).run(script);
  }

  @Test
  void twoActionsCommitOneConflicts() throws Exception {
    Files.writeString(workspace.resolve("input.txt"), "v1\n");
    try (StateDatabase db = StateDatabase.open(stateDir.resolve("db"));
        // At daemon start: finish or undo interrupted commits, drop overlay dirs of dead actions.
        WriteTransactions writes =
            WriteTransactions.open(db, stateDir, true, CommitObserver.NONE)) {

      // Two actions start on the same workspace, each with its own copy-on-write layer.
      try (OverlayLayer a = writes.begin("action-a", List.of(workspace));
          OverlayLayer b = writes.begin("action-b", List.of(workspace))) {
        runIn(a, "cat input.txt > out-a.txt; echo v2 > input.txt");
        runIn(b, "cp input.txt out-b.txt");

        // A succeeds: its changes are read from the upper dir and committed, conflict-checked
        // against what it read (the tracer's read set) and against commits since it began.
        List<RootChanges> changesA = a.collect();
        a.commit(changesA, Set.of(workspace.resolve("input.txt").toString()));
        assertEquals("v2\n", Files.readString(workspace.resolve("input.txt")));
        assertEquals("v1\n", Files.readString(workspace.resolve("out-a.txt")));

        // B read input.txt, which A has since written: B's outputs are stale and refused.
        List<RootChanges> changesB = b.collect();
        CommitConflictException conflict =
            assertThrows(
                CommitConflictException.class,
                () -> b.commit(changesB, Set.of(workspace.resolve("input.txt").toString())));
        assertEquals(List.of("input.txt"), conflict.paths());
      }
      // Closing a layer removes its overlay dirs (in the background): nothing is left behind.
      assertFalse(Files.exists(workspace.resolve("out-b.txt")));
    }
    try (StateDatabase db = StateDatabase.open(stateDir.resolve("db"))) {
      assertEquals(0, new OverlayDirs(stateDir).collectLeftovers(Set.of()), "no dirs left");
    }
  }
}
