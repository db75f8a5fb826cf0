package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(30)
class WorkspaceVersionsTest {
  @TempDir Path workspace;
  private final WorkspaceVersions versions = new WorkspaceVersions();

  /** Commits {@code written} as an action that began at {@code start} would. */
  private long commit(long start, Set<String> reads, Set<String> written) throws Exception {
    try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
      versions.check(workspace, start, reads, written);
      return versions.record(workspace, written);
    } finally {
      versions.end(workspace, start);
    }
  }

  @Test
  void aPathReadByOneActionAndWrittenByAnEarlierCommitConflicts() throws Exception {
    long reader = versions.begin(workspace);
    long writer = versions.begin(workspace);
    commit(writer, Set.of(), Set.of("src/A.java"));
    try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
      assertEquals(
          List.of("src/A.java"),
          versions.validate(
              workspace, reader, Set.of("src/A.java", "src/B.java"), Set.of("out/A")));
      CommitConflictException e =
          assertThrows(
              CommitConflictException.class,
              () -> versions.check(workspace, reader, Set.of("src/A.java"), Set.of("out/A")));
      assertEquals(List.of("src/A.java"), e.paths());
      assertTrue(e.getMessage().contains("src/A.java"), e.getMessage());
    }
  }

  @Test
  void twoActionsWritingOnePathConflictIncludingThroughADirectory() throws Exception {
    long first = versions.begin(workspace);
    long second = versions.begin(workspace);
    commit(first, Set.of(), Set.of("out", "log.txt"));
    try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
      assertEquals(
          List.of("log.txt", "out/classes/A.class"),
          versions.validate(
              workspace, second, Set.of(), Set.of("log.txt", "out/classes/A.class", "other")));
    }
    long third = versions.begin(workspace);
    commit(third, Set.of(), Set.of("gen/a", "gen/b"));
    try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
      assertEquals(
          List.of("gen"),
          versions.validate(workspace, second, Set.of(), Set.of("gen")),
          "deleting a directory another commit wrote into");
    }
  }

  @Test
  void disjointPathsAndEarlierCommitsDoNotConflict() throws Exception {
    long early = versions.begin(workspace);
    commit(early, Set.of(), Set.of("src/A.java"));
    long late = versions.begin(workspace);
    long concurrent = versions.begin(workspace);
    commit(concurrent, Set.of("lib/x"), Set.of("out/x", "src.txt"));
    try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
      assertEquals(
          List.of(),
          versions.validate(
              workspace, late, Set.of("src/A.java", "out"), Set.of("out/y", "src/B.java")),
          "src/A.java was committed before the action began; out/x is not out/y; src.txt is not"
              + " below src");
    }
  }

  @Test
  void historyIsKeptOnlyForRunningActions() throws Exception {
    long old = versions.begin(workspace);
    for (int i = 0; i < 5; i++) {
      commit(versions.begin(workspace), Set.of(), Set.of("f" + i));
    }
    assertEquals(5, versions.historySize(workspace), "the old action may still conflict");
    versions.end(workspace, old);
    assertEquals(0, versions.historySize(workspace));
    assertEquals(5, versions.sequence(workspace));
  }

  @Test
  void oneWorkspaceUnderTwoNamesSharesOneLock() throws Exception {
    Path alias =
        Files.createSymbolicLink(
            workspace.resolveSibling(workspace.getFileName() + "-alias"), workspace);
    CountDownLatch locked = new CountDownLatch(1);
    AtomicBoolean entered = new AtomicBoolean();
    try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
      Thread other =
          new Thread(
              () -> {
                locked.countDown();
                try (WorkspaceVersions.Hold second = versions.lock(alias)) {
                  entered.set(true);
                } catch (Exception e) {
                  throw new AssertionError(e);
                }
              });
      other.start();
      locked.await();
      Thread.sleep(100);
      assertFalse(entered.get(), "the second commit waits");
      hold.close();
      other.join(TimeUnit.SECONDS.toMillis(5));
      assertTrue(entered.get());
    } finally {
      Files.delete(alias);
    }
  }

  @Test
  void validatingWithoutTheLockIsAnError() throws Exception {
    long start = versions.begin(workspace);
    assertThrows(
        IllegalStateException.class,
        () -> versions.validate(workspace, start, Set.of(), Set.of("x")));
  }
}
