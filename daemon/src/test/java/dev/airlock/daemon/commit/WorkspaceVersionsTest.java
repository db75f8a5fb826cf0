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
    assertEquals(5, versions.historySize(), "the old action may still conflict");
    versions.end(workspace, old);
    assertEquals(0, versions.historySize());
    assertEquals(5, versions.sequence());
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
      // Parked on the lock (a ReentrantLock parks: WAITING), not merely not scheduled yet.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (other.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(Thread.State.WAITING, other.getState(), "the second commit waits for the lock");
      assertFalse(entered.get(), "the second commit waits");
      hold.close();
      other.join(TimeUnit.SECONDS.toMillis(5));
      assertTrue(entered.get());
    } finally {
      Files.delete(alias);
    }
  }

  @Test
  void commitsToNestedWorkspacesConflictThroughTheirCommonPaths() throws Exception {
    // Each working directory is a workspace: an action in ws and one in ws/sub share ws/sub.
    Path sub = Files.createDirectory(workspace.resolve("sub"));
    long outer = versions.begin(workspace);
    long inner = versions.begin(sub);
    long innerLate = versions.begin(sub);
    try (WorkspaceVersions.Hold hold = versions.lock(sub)) {
      versions.check(sub, inner, Set.of(), Set.of("in.txt"));
      versions.record(sub, Set.of("in.txt"));
    } finally {
      versions.end(sub, inner);
    }
    try (WorkspaceVersions.Hold hold = versions.lock(workspace)) {
      assertEquals(
          List.of("sub/in.txt"),
          versions.validate(workspace, outer, Set.of("sub/in.txt", "in.txt"), Set.of("out")));
      assertEquals(
          List.of("sub"),
          versions.validate(workspace, outer, Set.of(), Set.of("sub")),
          "deleting the directory the inner commit wrote into");
      versions.record(workspace, Set.of("sub"));
    }
    try (WorkspaceVersions.Hold hold = versions.lock(sub)) {
      assertEquals(
          List.of("in.txt", "x"),
          versions.validate(sub, innerLate, Set.of("x"), Set.of("in.txt")),
          "the outer commit replaced the whole inner workspace");
    }
  }

  @Test
  void aCommitLocksOutCommitsToWorkspacesInsideOrAroundItButNotBesideIt() throws Exception {
    Path a = Files.createDirectory(workspace.resolve("a"));
    Path inside = Files.createDirectory(a.resolve("inside"));
    Path beside = Files.createDirectory(workspace.resolve("b"));
    versions.begin(inside);
    try (WorkspaceVersions.Hold hold = versions.lock(a)) {
      assertTrue(lockableElsewhere(beside), "a commit beside it does not wait");
      // Last: a waiting commit around both holds the lock of their parent meanwhile.
      assertFalse(lockableElsewhere(inside), "a commit inside waits");
      assertFalse(lockableElsewhere(workspace), "a commit around it waits");
    }
    assertTrue(lockableElsewhere(inside));
  }

  /** Whether another thread gets the commit lock of {@code path} within 200 ms. */
  private boolean lockableElsewhere(Path path) throws Exception {
    CountDownLatch locked = new CountDownLatch(1);
    Thread other =
        new Thread(
            () -> {
              try (WorkspaceVersions.Hold hold = versions.lock(path)) {
                locked.countDown();
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            });
    other.setDaemon(true);
    other.start();
    boolean got = locked.await(200, TimeUnit.MILLISECONDS);
    if (got) {
      other.join();
    }
    // Otherwise it gets the lock, and lets it go, once the holder releases it.
    return got;
  }

  @Test
  void validatingWithoutTheLockIsAnError() throws Exception {
    long start = versions.begin(workspace);
    assertThrows(
        IllegalStateException.class,
        () -> versions.validate(workspace, start, Set.of(), Set.of("x")));
  }
}
