package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Optimistic concurrency through the CLI: of two actions whose changes overlap (one wrote what the
 * other read or wrote), the one that finishes second commits nothing and exits 75 naming the path,
 * also when their workspaces are nested (every working directory is a workspace).
 *
 * <p>The actions wait for files in a sync directory outside their workspaces: under the default
 * audit policy, writes there are made in place, so the test sees them while the actions run.
 */
@Timeout(120)
class CommitConflictTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();
  private final ReportedRuns runs = new ReportedRuns(daemon.fixture(), daemon.dir());

  @Test
  void ofTwoActionsWritingOnePathTheSecondToFinishExits75NamingIt() throws Exception {
    Path ws = Files.createDirectory(daemon.dir().resolve("write-write"));
    Files.writeString(ws.resolve("shared.txt"), "base\n");
    Path sync = Files.createDirectory(daemon.dir().resolve("write-write.sync"));
    String script =
        "echo \"$1\" > shared.txt; : > \"$2/$1.ready\";"
            + " until [ -e \"$2/$1.go\" ]; do sleep 0.02; done";

    try (CliProcess a = runs.start(ws, "ww-a", "sh", "-c", script, "sh", "A", "" + sync);
        CliProcess b = runs.start(ws, "ww-b", "sh", "-c", script, "sh", "B", "" + sync)) {
      Procs.await(
          "both actions to have written",
          Duration.ofSeconds(30),
          () -> Files.exists(sync.resolve("A.ready")) && Files.exists(sync.resolve("B.ready")));
      Files.createFile(sync.resolve("A.go"));
      CliProcess.Result first = a.await(ReportedRuns.CLIENT_TIMEOUT);
      Files.createFile(sync.resolve("B.go"));
      CliProcess.Result second = b.await(ReportedRuns.CLIENT_TIMEOUT);

      assertEquals(0, first.status(), first::toString);
      assertEquals("committed", runs.changes("ww-a").outcome());
      assertEquals(75, second.status(), second::toString);
      assertTrue(second.stderr().contains("wrote shared.txt"), second::toString);
      ReportChanges conflict = runs.changes("ww-b");
      assertEquals("conflict", conflict.outcome(), conflict::toString);
      assertEquals(List.of(ws.resolve("shared.txt").toString()), conflict.conflicts());
    }
    assertEquals("A\n", Files.readString(ws.resolve("shared.txt")));
    assertEquals(List.of(), TreeSnapshot.airlockTemps(ws));
  }

  @Test
  void withRetryOnConflictAnActionWhoseInputWasRewrittenRunsAgainOnTheNewInput() throws Exception {
    Path ws = Files.createDirectory(daemon.dir().resolve("retry"));
    Files.writeString(ws.resolve("in.txt"), "v1\n");
    Path sync = Files.createDirectory(daemon.dir().resolve("retry.sync"));
    // The first attempt waits after reading; the rerun finds a.go there and goes straight on.
    String reader =
        "v=$(cat in.txt); : > \"$1/a.ready\";"
            + " until [ -e \"$1/a.go\" ]; do sleep 0.02; done; echo \"$v\" > out.txt";
    try (CliProcess a =
        daemon.cli(
            "run",
            "--no-start",
            "--cwd",
            ws.toString(),
            "--retry-on-conflict",
            "1",
            "--",
            "sh",
            "-c",
            reader,
            "sh",
            sync.toString())) {
      Procs.await(
          "A to have read in.txt",
          Duration.ofSeconds(30),
          () -> Files.exists(sync.resolve("a.ready")));
      CliProcess.Result writer = runs.run(ws, "retry-b", "--", "sh", "-c", "echo v2 > in.txt");
      assertEquals(0, writer.status(), writer::toString);
      Files.createFile(sync.resolve("a.go"));
      CliProcess.Result r = a.await(ReportedRuns.CLIENT_TIMEOUT);
      assertEquals(0, r.status(), r::toString);
    }
    assertEquals("v2\n", Files.readString(ws.resolve("out.txt")), "the rerun read the new input");
  }

  @Test
  void anActionWhoseInputWasRewrittenMeanwhileExits75NamingIt() throws Exception {
    Path ws = Files.createDirectory(daemon.dir().resolve("read-write"));
    Files.writeString(ws.resolve("in.txt"), "v1\n");
    Path sync = Files.createDirectory(daemon.dir().resolve("read-write.sync"));
    String reader =
        "cat in.txt > /dev/null; : > \"$1/a.ready\";"
            + " until [ -e \"$1/a.go\" ]; do sleep 0.02; done; echo derived > out.txt";

    try (CliProcess a = runs.start(ws, "rw-a", "sh", "-c", reader, "sh", "" + sync)) {
      Procs.await(
          "A to have read in.txt",
          Duration.ofSeconds(30),
          () -> Files.exists(sync.resolve("a.ready")));
      CliProcess.Result writer = runs.run(ws, "rw-b", "--", "sh", "-c", "echo v2 > in.txt");
      assertEquals(0, writer.status(), writer::toString);
      assertEquals("committed", runs.changes("rw-b").outcome());
      Files.createFile(sync.resolve("a.go"));
      CliProcess.Result r = a.await(ReportedRuns.CLIENT_TIMEOUT);

      assertEquals(75, r.status(), r::toString);
      assertTrue(r.stderr().contains("wrote in.txt"), r::toString);
      ReportChanges conflict = runs.changes("rw-a");
      assertEquals("conflict", conflict.outcome(), conflict::toString);
      assertEquals(List.of(ws.resolve("in.txt").toString()), conflict.conflicts());
    }
    assertEquals("v2\n", Files.readString(ws.resolve("in.txt")));
    assertFalse(Files.exists(ws.resolve("out.txt")), "a conflicting action commits nothing");
  }

  @Test
  void aCommitFromASubdirectoryConflictsWithAnActionOfTheEnclosingWorkspaceThatReadIt()
      throws Exception {
    // Every working directory is a workspace of its own: ws and ws/sub overlap.
    Path ws = Files.createDirectories(daemon.dir().resolve("nested-read/sub")).getParent();
    Files.writeString(ws.resolve("sub/in.txt"), "v1\n");
    Path sync = Files.createDirectory(daemon.dir().resolve("nested-read.sync"));
    String reader =
        "cat sub/in.txt > /dev/null; : > \"$1/a.ready\";"
            + " until [ -e \"$1/a.go\" ]; do sleep 0.02; done; echo derived > out.txt";

    try (CliProcess a = runs.start(ws, "nr-a", "sh", "-c", reader, "sh", "" + sync)) {
      Procs.await(
          "A to have read sub/in.txt",
          Duration.ofSeconds(30),
          () -> Files.exists(sync.resolve("a.ready")));
      CliProcess.Result writer =
          runs.run(ws.resolve("sub"), "nr-b", "--", "sh", "-c", "echo v2 > in.txt");
      assertEquals(0, writer.status(), writer::toString);
      assertEquals("committed", runs.changes("nr-b").outcome());
      Files.createFile(sync.resolve("a.go"));
      CliProcess.Result r = a.await(ReportedRuns.CLIENT_TIMEOUT);

      assertEquals(75, r.status(), r::toString);
      assertTrue(r.stderr().contains("wrote sub/in.txt"), r::toString);
      assertEquals(List.of(ws.resolve("sub/in.txt").toString()), runs.changes("nr-a").conflicts());
    }
    assertFalse(Files.exists(ws.resolve("out.txt")), "derived from a stale input");
  }

  @Test
  void aCommitOfTheEnclosingWorkspaceConflictsWithAnActionInASubdirectoryWritingThePath()
      throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("nested-write/sub")).getParent();
    Files.writeString(ws.resolve("sub/shared.txt"), "base\n");
    Path sync = Files.createDirectory(daemon.dir().resolve("nested-write.sync"));
    String inner =
        "echo inner > shared.txt; : > \"$1/a.ready\";"
            + " until [ -e \"$1/a.go\" ]; do sleep 0.02; done";

    try (CliProcess a = runs.start(ws.resolve("sub"), "nw-a", "sh", "-c", inner, "sh", "" + sync)) {
      Procs.await(
          "A to have written", Duration.ofSeconds(30), () -> Files.exists(sync.resolve("a.ready")));
      CliProcess.Result outer =
          runs.run(ws, "nw-b", "--", "sh", "-c", "echo outer > sub/shared.txt");
      assertEquals(0, outer.status(), outer::toString);
      Files.createFile(sync.resolve("a.go"));
      CliProcess.Result r = a.await(ReportedRuns.CLIENT_TIMEOUT);

      assertEquals(75, r.status(), r::toString);
      assertTrue(r.stderr().contains("wrote shared.txt"), r::toString);
      assertEquals(
          List.of(ws.resolve("sub/shared.txt").toString()), runs.changes("nw-a").conflicts());
    }
    assertEquals("outer\n", Files.readString(ws.resolve("sub/shared.txt")), "no lost update");
  }
}
