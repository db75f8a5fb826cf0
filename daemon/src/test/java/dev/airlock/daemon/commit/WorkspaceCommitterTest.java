package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.commit.CommitObserver.Phase;
import dev.airlock.daemon.store.StateDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class WorkspaceCommitterTest {
  @TempDir Path root;

  /** A crash, as thrown by an observer: the committer must not clean up after it. */
  static final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;

    SimulatedCrash(String point) {
      super("simulated crash at " + point);
    }
  }

  private static String point(Phase phase, int step) {
    return step < 0 ? phase.name() : phase + ":" + step;
  }

  @Test
  void aCommitMakesTheWorkspaceEqualTheMergedView() throws Exception {
    CommitScenario scenario = CommitScenario.run(root);
    List<String> points = new ArrayList<>();
    try (StateDatabase db = StateDatabase.open(root.resolve("db"))) {
      new WorkspaceCommitter(db, (id, phase, step) -> points.add(point(phase, step)))
          .commit(scenario.workspace, scenario.changes());
      assertEquals(0, db.count(StateDatabase.Table.COMMIT_JOURNAL), "the journal is closed");
      assertEquals(0, WorkspaceCommitter.recover(db), "nothing to recover");
    }
    assertNotEquals(scenario.before, scenario.after(), "the action changed something");
    assertEquals(scenario.after(), scenario.now());
    assertEquals(List.of(), TreeSnapshot.temps(scenario.workspace).collect(Collectors.toList()));
    assertFalse(
        Files.exists(scenario.overlay.upper.resolve("a.txt")),
        "the copied-up file was renamed, not copied, from upper");
    UserDefinedFileAttributeView xattrs =
        Files.getFileAttributeView(
            scenario.workspace.resolve("a.txt"), UserDefinedFileAttributeView.class);
    assertEquals(List.of(), xattrs.list(), "overlay.origin does not leak into the workspace");
    assertEquals("PLANNED", points.get(0));
    assertEquals("DONE", points.get(points.size() - 1));
  }

  @Test
  void anEmptyChangeSetTouchesNothing() throws Exception {
    CommitScenario scenario = CommitScenario.run(root, "cat a.txt >/dev/null");
    try (StateDatabase db = StateDatabase.open(root.resolve("db"))) {
      assertTrue(scenario.changes().isEmpty());
      new WorkspaceCommitter(db).commit(scenario.workspace, scenario.changes());
    }
    assertEquals(scenario.before, scenario.now());
  }

  /** Crashes at each point a commit passes, recovers, and checks all-or-nothing. */
  @TestFactory
  Stream<DynamicTest> aCrashAtAnyPointLeavesTheWorkspaceWhollyOldOrWhollyNew() throws Exception {
    List<String> points = new ArrayList<>();
    CommitScenario dryRun = CommitScenario.run(root.resolve("dry-run"));
    try (StateDatabase db = StateDatabase.open(root.resolve("dry-run/db"))) {
      new WorkspaceCommitter(db, (id, phase, step) -> points.add(point(phase, step)))
          .commit(dryRun.workspace, dryRun.changes());
    }
    assertTrue(points.size() > 10, "the scenario passes many points: " + points);
    return points.stream()
        .map(point -> DynamicTest.dynamicTest("crash at " + point, () -> crashAt(point, points)));
  }

  private void crashAt(String crashPoint, List<String> points) throws Exception {
    Path dir = root.resolve("crash-" + crashPoint.replace(':', '-'));
    CommitScenario scenario = CommitScenario.run(dir);
    Path dbDir = dir.resolve("db");
    try (StateDatabase db = StateDatabase.open(dbDir)) {
      WorkspaceCommitter committer =
          new WorkspaceCommitter(
              db,
              (id, phase, step) -> {
                if (point(phase, step).equals(crashPoint)) {
                  throw new SimulatedCrash(crashPoint);
                }
              });
      assertThrows(
          SimulatedCrash.class, () -> committer.commit(scenario.workspace, scenario.changes()));
    }
    int index = points.indexOf(crashPoint);
    if (index > 0 && index <= points.indexOf("JOURNALED")) {
      assertTrue(
          TreeSnapshot.temps(scenario.workspace).findAny().isPresent(),
          "the crash left temps for recovery to deal with");
    }
    try (StateDatabase db = StateDatabase.open(dbDir)) {
      int recovered = WorkspaceCommitter.recover(db);
      assertEquals(crashPoint.equals("DONE") ? 0 : 1, recovered);
      assertEquals(0, db.count(StateDatabase.Table.COMMIT_JOURNAL));
    }
    boolean committed = index >= points.indexOf("JOURNALED");
    assertEquals(
        List.of(),
        TreeSnapshot.temps(scenario.workspace).collect(Collectors.toList()),
        "no temp is left");
    assertEquals(committed ? scenario.after() : scenario.before, scenario.now());
  }

  @Test
  void aFullDiskWhileStagingAbandonsTheCommitCleanly() throws Exception {
    Path workspace = Files.createDirectories(root.resolve("lower"));
    Tmpfs.mount(workspace, "1m");
    try {
      CommitScenario scenario =
          CommitScenario.run(root, "echo small > small.txt\nhead -c 2000000 /dev/zero > big.bin");
      try (StateDatabase db = StateDatabase.open(root.resolve("db"))) {
        CommitException e =
            assertThrows(
                CommitException.class,
                () -> new WorkspaceCommitter(db).commit(scenario.workspace, scenario.changes()));
        assertTrue(e.getMessage().contains("big.bin"), e.getMessage());
        assertTrue(e.getMessage().contains("No space left on device"), e.getMessage());
        assertEquals(0, db.count(StateDatabase.Table.COMMIT_JOURNAL), "the journal is closed");
      }
      assertEquals(scenario.before, scenario.now(), "the workspace is untouched, temps gone");
    } finally {
      Tmpfs.unmount(workspace);
    }
  }

  @Test
  void aWorkspaceChangedBehindTheDaemonsBackIsRefusedBeforeStaging() throws Exception {
    CommitScenario scenario = CommitScenario.run(root, "echo hi > new.txt");
    ChangeSet changes = scenario.changes();
    Files.createDirectories(scenario.workspace.resolve("new.txt/sub"));
    try (StateDatabase db = StateDatabase.open(root.resolve("db"))) {
      CommitException e =
          assertThrows(
              CommitException.class,
              () -> new WorkspaceCommitter(db).commit(scenario.workspace, changes));
      assertTrue(e.getMessage().contains("new.txt"), e.getMessage());
      assertTrue(e.getMessage().contains("a directory is in the way"), e.getMessage());
      assertEquals(0, db.count(StateDatabase.Table.COMMIT_JOURNAL));
    }
    assertEquals(List.of(), TreeSnapshot.temps(scenario.workspace).collect(Collectors.toList()));
    assertTrue(Files.exists(scenario.overlay.upper.resolve("new.txt")), "upper is not consumed");
  }
}
