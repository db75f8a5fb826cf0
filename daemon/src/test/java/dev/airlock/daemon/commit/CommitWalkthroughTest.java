package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.airlock.daemon.commit.OverlayDirs.ActionDirs;
import dev.airlock.daemon.store.StateDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The life of two actions' outputs, as the action runner drives it. Reads as documentation. */
@Timeout(60)
class CommitWalkthroughTest {
  @TempDir Path stateDir;
  @TempDir Path workspace;

  @Test
  void twoActionsCommitOneConflicts() throws Exception {
    Files.writeString(workspace.resolve("input.txt"), "v1\n");
    try (StateDatabase db = StateDatabase.open(stateDir.resolve("db"))) {
      // At daemon start: finish or undo interrupted commits, drop overlay dirs of dead actions.
      WorkspaceCommitter.recover(db);
      OverlayDirs upperDirs = new OverlayDirs(stateDir);
      upperDirs.collectLeftovers(Set.of());
      WorkspaceVersions versions = new WorkspaceVersions();
      WorkspaceCommitter committer = new WorkspaceCommitter(db);

      // Two actions start on the same workspace, each in its own overlay.
      long startA = versions.begin(workspace);
      ActionDirs dirsA = upperDirs.create("action-a", workspace);
      long startB = versions.begin(workspace);
      ActionDirs dirsB = upperDirs.create("action-b", workspace);
      new OverlayFixture(workspace, dirsA.upper(), dirsA.work())
          .run("cat input.txt > out-a.txt; echo v2 > input.txt");
      new OverlayFixture(workspace, dirsB.upper(), dirsB.work()).run("cp input.txt out-b.txt");

      // A commits: validate, apply and record under the workspace's lock.
      ChangeSet changesA = ChangeSetReader.read(dirsA.upper(), workspace);
      try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
        versions.check(workspace, startA, Set.of("input.txt"), changesA.paths());
        committer.commit(workspace, changesA);
        versions.record(workspace, changesA.paths());
      } finally {
        versions.end(workspace, startA);
        upperDirs.remove("action-a");
      }
      assertEquals("v2\n", Files.readString(workspace.resolve("input.txt")));
      assertEquals("v1\n", Files.readString(workspace.resolve("out-a.txt")));

      // B read input.txt, which A has since written: B's outputs are stale and discarded.
      ChangeSet changesB = ChangeSetReader.read(dirsB.upper(), workspace);
      try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
        CommitConflictException conflict =
            assertThrows(
                CommitConflictException.class,
                () -> versions.check(workspace, startB, Set.of("input.txt"), changesB.paths()));
        assertEquals(java.util.List.of("input.txt"), conflict.paths());
      } finally {
        versions.end(workspace, startB);
        upperDirs.remove("action-b");
      }
      assertFalse(Files.exists(workspace.resolve("out-b.txt")));
      assertEquals(0, upperDirs.collectLeftovers(Set.of()), "nothing left behind");
    }
  }
}
