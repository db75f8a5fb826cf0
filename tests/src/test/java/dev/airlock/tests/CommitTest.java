package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Copy-on-write commits through the CLI: an action's writes reach the workspace all together when
 * it succeeds, and not at all when it fails, is cancelled, breaks its policy, is a dry run or runs
 * out of disk space (conflicts: {@link CommitConflictTest}; crashes: {@link CrashRecoveryTest}).
 */
@Timeout(120)
class CommitTest {
  /** Appends to one file and rewrites others until killed; creates $1 once it is well under way. */
  private static final String WRITE_LOOP =
      """
      i=0
      while :; do
        echo "line $i" >> append.txt
        echo "$i" > "new-$((i % 20)).txt"
        i=$((i + 1))
        if [ "$i" = 20 ]; then : > "$1"; fi
      done
      """;

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();
  private final ReportedRuns runs = new ReportedRuns(daemon.fixture(), daemon.dir());

  @Test
  void aSuccessfulActionCommitsEveryKindOfChangeExactly() throws Exception {
    Path ws = workspace("commit");
    Path reference = workspace("commit-reference");
    TreeSnapshot before = TreeSnapshot.of(ws);
    EveryKindOfChange.runNatively(reference, EveryKindOfChange.SCRIPT);

    CliProcess.Result r = runs.run(ws, "commit", "--", "sh", "-c", EveryKindOfChange.SCRIPT);

    assertEquals(0, r.status(), r::toString);
    // Exactly what the script does when run directly: content, type, mode and link targets.
    TreeSnapshot expected = TreeSnapshot.of(reference).withoutMtimes();
    TreeSnapshot after = TreeSnapshot.of(ws);
    assertEquals(
        expected, after.withoutMtimes(), () -> expected.differences(after.withoutMtimes()));
    assertEquals("new content\n", Files.readString(ws.resolve("overwrite.txt")));
    assertEquals("first\nsecond\n", Files.readString(ws.resolve("append.txt")));
    assertEquals("append.txt", Files.readSymbolicLink(ws.resolve("link")).toString());
    assertEquals("rwxr-xr-x", permissions(ws.resolve("private")));
    assertTrue(Files.isDirectory(ws.resolve("swap")), "a file replaced by a directory");
    // What the action did not touch keeps its metadata, mtime included.
    for (String untouched : List.of("untouched.txt", "keep", "keep/inner.txt")) {
      assertEquals(before.entries().get(untouched), after.entries().get(untouched), untouched);
    }
    ReportChanges changes = runs.changes("commit");
    assertEquals("committed", changes.outcome(), changes::toString);
    assertEquals(EveryKindOfChange.REPORTED, changes.sortedFilesRelativeTo(ws));
    assertEquals(List.of(), TreeSnapshot.airlockTemps(ws));
  }

  @Test
  void withTheWorkspaceAboveTheWorkingDirectoryWritesAboveItAreCommittedToo() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("wider/sub")).getParent();

    CliProcess.Result r =
        runs.run(
            ws.resolve("sub"),
            "wider",
            "--workspace",
            "..",
            "--",
            "sh",
            "-c",
            "echo top > ../top.txt && echo here > here.txt");

    assertEquals(0, r.status(), r::toString);
    assertEquals("top\n", Files.readString(ws.resolve("top.txt")));
    assertEquals("here\n", Files.readString(ws.resolve("sub/here.txt")));
    ReportChanges changes = runs.changes("wider");
    assertEquals("committed", changes.outcome(), changes::toString);
    assertEquals(
        List.of("created sub/here.txt", "created top.txt"), changes.sortedFilesRelativeTo(ws));
  }

  @Test
  void aFailingActionLeavesTheWorkspaceUnchangedByteForByteAndInMetadata() throws Exception {
    Path ws = workspace("failing");
    TreeSnapshot before = TreeSnapshot.of(ws);

    CliProcess.Result r =
        runs.run(ws, "failing", "--", "sh", "-c", EveryKindOfChange.SCRIPT + "exit 1\n");

    assertEquals(1, r.status(), r::toString);
    assertUnchanged(before, ws);
    ReportChanges changes = runs.changes("failing");
    assertEquals("discarded", changes.outcome(), changes::toString);
    assertEquals("the command exited with status 1", changes.reason());
    assertEquals(EveryKindOfChange.REPORTED, changes.sortedFilesRelativeTo(ws));
  }

  @Test
  void ctrlCWhileTheActionWritesLeavesTheWorkspaceUnchanged() throws Exception {
    Path ws = workspace("interrupted");
    Path underWay = daemon.dir().resolve("interrupted.under-way");
    TreeSnapshot before = TreeSnapshot.of(ws);

    try (CliProcess cli =
        runs.start(ws, "interrupted", "sh", "-c", WRITE_LOOP, "sh", underWay.toString())) {
      Procs.await("the action to be writing", Duration.ofSeconds(30), () -> Files.exists(underWay));
      cli.signal("INT");
      CliProcess.Result r = cli.await(ReportedRuns.CLIENT_TIMEOUT);

      assertEquals(130, r.status(), r::toString);
    }
    assertUnchanged(before, ws);
    ReportChanges changes = runs.changes("interrupted");
    assertEquals("discarded", changes.outcome(), changes::toString);
    assertTrue(changes.files().contains("modified " + ws.resolve("append.txt")), changes::toString);
  }

  @Test
  void anActionThatTimesOutWhileWritingLeavesTheWorkspaceUnchanged() throws Exception {
    Path ws = workspace("timed-out");
    Path underWay = daemon.dir().resolve("timed-out.under-way");
    TreeSnapshot before = TreeSnapshot.of(ws);

    CliProcess.Result r =
        runs.run(
            ws, "timed-out", "--timeout", "2s", "--", "sh", "-c", WRITE_LOOP, "sh", "" + underWay);

    assertEquals(124, r.status(), r::toString);
    assertTrue(Files.exists(underWay), "the action should have been writing when it timed out");
    assertUnchanged(before, ws);
    ReportChanges changes = runs.changes("timed-out");
    assertEquals("discarded", changes.outcome(), changes::toString);
    assertEquals("the action timed out", changes.reason());
  }

  @Test
  void writesOutsideTheDeclaredOutputsUnderAnEnforcingPolicyExit126AndCommitNothing()
      throws Exception {
    Path ws = workspace("undeclared");
    TreeSnapshot before = TreeSnapshot.of(ws);

    CliProcess.Result r =
        runs.run(
            ws,
            "undeclared",
            "--policy",
            "build",
            "--outputs",
            "out",
            "--",
            "sh",
            "-c",
            "mkdir out && echo ok > out/ok.txt && echo stray > stray.txt && echo more >> append.txt");

    assertEquals(126, r.status(), r::toString);
    assertTrue(r.stderr().contains("refused writes outside the declared outputs"), r::toString);
    assertTrue(r.stderr().contains(ws.resolve("stray.txt").toString()), r::toString);
    assertUnchanged(before, ws);
    ReportChanges changes = runs.changes("undeclared");
    assertEquals("discarded", changes.outcome(), changes::toString);
    assertEquals(
        Set.of(ws.resolve("append.txt").toString(), ws.resolve("stray.txt").toString()),
        Set.copyOf(changes.undeclared()));
  }

  @Test
  void aWriteTheKernelRefusesDiscardsTheActionsAllowedWritesToo() throws Exception {
    Path ws = workspace("denied");
    Files.createDirectory(ws.resolve("out"));
    Path policy = daemon.dir().resolve("out-only.textproto");
    Files.writeString(
        policy,
        """
        # writes only under out/, enforced
        mode: MODE_ENFORCE
        readable: "/"
        executable: "/"
        writable: ["${workspace}/out", "/dev/null", "/dev/tty"]
        network: NETWORK_NONE
        """);
    TreeSnapshot before = TreeSnapshot.of(ws);

    CliProcess.Result r =
        runs.run(
            ws,
            "denied",
            "--policy",
            policy.toString(),
            "--",
            "sh",
            "-c",
            "echo ok > out/ok.txt; echo stray > stray.txt; true");

    assertEquals(126, r.status(), r::toString);
    assertTrue(r.stderr().contains("write " + ws.resolve("stray.txt")), r::toString);
    assertUnchanged(before, ws);
    ReportChanges changes = runs.changes("denied");
    assertEquals("discarded", changes.outcome(), changes::toString);
    assertEquals(List.of("created out/ok.txt"), changes.sortedFilesRelativeTo(ws));
  }

  @Test
  void aDryRunReportsTheChangesAndKeepsNone() throws Exception {
    Path ws = workspace("dry-run");
    TreeSnapshot before = TreeSnapshot.of(ws);

    CliProcess.Result r =
        runs.run(ws, "dry-run", "--discard", "--", "sh", "-c", EveryKindOfChange.SCRIPT);

    assertEquals(0, r.status(), r::toString);
    assertUnchanged(before, ws);
    ReportChanges changes = runs.changes("dry-run");
    assertEquals("discarded", changes.outcome(), changes::toString);
    assertEquals("a dry run (--discard)", changes.reason());
    assertEquals(EveryKindOfChange.REPORTED, changes.sortedFilesRelativeTo(ws));
  }

  @Test
  void keepFailedPutsAFailedActionsChangesInTheGivenDirectory() throws Exception {
    Path ws = workspace("keep-failed");
    Path kept = daemon.dir().resolve("kept");
    TreeSnapshot before = TreeSnapshot.of(ws);

    CliProcess.Result r =
        runs.run(
            ws,
            "keep-failed",
            "--keep-failed",
            kept.toString(),
            "--",
            "sh",
            "-c",
            EveryKindOfChange.SCRIPT + "exit 3\n");

    assertEquals(3, r.status(), r::toString);
    assertUnchanged(before, ws);
    ReportChanges changes = runs.changes("keep-failed");
    assertEquals("discarded", changes.outcome(), changes::toString);
    assertEquals(kept.toString(), changes.keptAt());
    assertEquals("new content\n", Files.readString(kept.resolve("overwrite.txt")));
    assertEquals("first\nsecond\n", Files.readString(kept.resolve("append.txt")));
    assertEquals("", Files.readString(kept.resolve("truncate.txt")));
    assertEquals("moving\n", Files.readString(kept.resolve("renamed.txt")));
    assertEquals("deep\n", Files.readString(kept.resolve("made/deeper/file.txt")));
    assertEquals("in\n", Files.readString(kept.resolve("swap/in.txt")));
    assertEquals("created\n", Files.readString(kept.resolve("created.txt")));
    assertEquals("renamed.txt", Files.readSymbolicLink(kept.resolve("new-link")).toString());
    assertEquals("append.txt", Files.readSymbolicLink(kept.resolve("link")).toString());
    assertFalse(Files.exists(kept.resolve("untouched.txt")), "only changes are kept");
    assertEquals(
        Set.of("delete.txt", "empty-dir", "rename-me.txt", "swap", "tree").stream()
            .map(p -> ws.resolve(p).toString())
            .collect(Collectors.toSet()),
        Set.copyOf(Files.readAllLines(kept.resolve("DELETED"))));
  }

  @Test
  @Timeout(300)
  void aGigabyteSparseFileAndTenThousandSmallFilesAreCommitted() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("large/many")).getParent();
    String script =
        "truncate -s 1G big.img && awk 'BEGIN { for (i = 1; i <= 10000; i++) {"
            + " f = \"many/f\" i; print i > f; close(f) } }'";

    long start = System.nanoTime();
    ActionResult result;
    ByteArrayOutputStream stderr = new ByteArrayOutputStream();
    try (ActionCall call =
        daemon
            .client()
            .execute(
                daemon.request("sh", "-c", script).setCwd(PathBytes.toWire("" + ws)).build())) {
      result = call.awaitResult(OutputStream.nullOutputStream(), stderr);
    }
    long clientMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
    assertEquals(0, result.getExitCode(), () -> stderr.toString(StandardCharsets.UTF_8));
    assertEquals(CommitOutcome.COMMITTED, result.getChanges().getOutcome());
    // A result lists the first 10,000 changes and counts the rest.
    assertEquals(10_000, result.getChanges().getChangesCount());
    assertEquals(1, result.getChanges().getUnlisted());
    Path big = ws.resolve("big.img");
    assertEquals(1L << 30, Files.size(big));
    assertTrue(allocatedBytes(big) < (1 << 20), "the committed file should still be sparse");
    List<String> names;
    try (Stream<Path> list = Files.list(ws.resolve("many"))) {
      names = list.map(p -> p.getFileName().toString()).toList();
    }
    assertEquals(10_000, names.size());
    for (int i = 1; i <= 10_000; i++) {
      assertEquals(i + "\n", Files.readString(ws.resolve("many/f" + i)), "many/f" + i);
    }
    assertEquals(List.of(), TreeSnapshot.airlockTemps(ws));
    System.out.printf(
        "commit of a 1 GiB sparse file and 10,000 small files: %d ms reading and committing the"
            + " change set; %d ms for the whole action, %d ms seen by the client%n",
        TimeUnit.MICROSECONDS.toMillis(result.getChanges().getCommitTimeUs()),
        TimeUnit.MICROSECONDS.toMillis(result.getWallTimeUs()),
        clientMillis);
  }

  @Test
  void aCommitThatRunsOutOfDiskSpaceFailsWholeAndLeavesNoTemp() throws Exception {
    Path ws = Files.createDirectory(daemon.dir().resolve("full-at-commit"));
    // The workspace is the filesystem's root, so the upper dirs stay in the state dir on another
    // filesystem: the action's writes succeed and the commit has to copy them into 2 MB.
    try (SmallFilesystem fs = SmallFilesystem.mount(ws)) {
      Files.writeString(ws.resolve("f"), "original\n");
      Files.createDirectory(ws.resolve("d"));
      Files.writeString(ws.resolve("d/x"), "x\n");
      TreeSnapshot before = TreeSnapshot.of(ws);

      // Staged in path order: f and nd before zz-big.bin runs out of space.
      CliProcess.Result r =
          runs.run(
              ws,
              "full-at-commit",
              "--",
              "sh",
              "-c",
              "echo more >> f; mkdir nd; echo y > nd/y; head -c 5000000 /dev/zero > zz-big.bin");

      assertEquals(125, r.status(), r::toString);
      assertTrue(r.stderr().contains("No space left on device"), r::toString);
      ReportChanges changes = runs.changes("full-at-commit");
      assertEquals("commit_failed", changes.outcome(), changes::toString);
      assertTrue(changes.reason().contains("No space left on device"), changes::toString);
      // Staging made temps beside their targets and removed them: only directory mtimes moved.
      TreeSnapshot expected = before.withoutDirectoryMtimes();
      TreeSnapshot after = TreeSnapshot.of(ws).withoutDirectoryMtimes();
      assertEquals(expected, after, () -> expected.differences(after));
      assertEquals(List.of(), TreeSnapshot.airlockTemps(ws));
    }
  }

  @Test
  void anActionThatFillsTheDiskSeesEnospcAndCommitsNothing() throws Exception {
    Path top = Files.createDirectory(daemon.dir().resolve("full-in-action"));
    // Below the filesystem's root the upper dirs live on it too (<top>/.airlock-overlays), so the
    // action's own write fails.
    try (SmallFilesystem fs = SmallFilesystem.mount(top)) {
      Path ws = Files.createDirectory(top.resolve("ws"));
      Files.writeString(ws.resolve("f"), "original\n");
      TreeSnapshot before = TreeSnapshot.of(ws);

      // Without the free-space reserve, which would stop the action first (exit 124).
      Path noReserve =
          Files.writeString(
              daemon.dir().resolve("no-reserve.textproto"),
              "extends: \"audit\"\nlimits { disk_reserve_bytes: 0 }\n");
      CliProcess.Result r =
          runs.run(
              ws,
              "full-in-action",
              "--policy",
              noReserve.toString(),
              "--",
              "sh",
              "-c",
              "echo more >> f; head -c 5000000 /dev/zero > big");

      assertEquals(1, r.status(), r::toString);
      assertTrue(r.stderr().contains("No space left on device"), r::toString);
      assertEquals("discarded", runs.changes("full-in-action").outcome());
      assertUnchanged(before, ws);
      assertEquals(List.of(), TreeSnapshot.airlockTemps(ws));
      // Removed by the daemon's cleanup thread, just after the result.
      Procs.await(
          "the action's upper dir to be gone",
          Duration.ofSeconds(10),
          () -> {
            try (Stream<Path> overlays = Files.list(top.resolve(".airlock-overlays"))) {
              return overlays.findAny().isEmpty();
            } catch (java.io.IOException e) {
              return false;
            }
          });
    }
  }

  /** A 2 MB tmpfs mounted over a directory for the length of a test (needs root). */
  private record SmallFilesystem(Path mountPoint) implements AutoCloseable {
    static SmallFilesystem mount(Path dir) throws IOException, InterruptedException {
      assumeTrue("root".equals(System.getProperty("user.name")), "mounting a tmpfs needs root");
      Procs.run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir.toString());
      return new SmallFilesystem(dir);
    }

    @Override
    public void close() throws IOException, InterruptedException {
      Procs.run("umount", mountPoint.toString());
    }
  }

  /** A workspace with one entry for each change of {@link EveryKindOfChange#SCRIPT}, and more. */
  private static Path workspace(String name) throws IOException {
    Path ws = Files.createDirectory(daemon.dir().resolve(name));
    EveryKindOfChange.populate(ws);
    return ws;
  }

  private static void assertUnchanged(TreeSnapshot before, Path ws) throws IOException {
    TreeSnapshot after = TreeSnapshot.of(ws);
    assertEquals(before, after, () -> "the workspace changed:" + before.differences(after));
  }

  private static String permissions(Path path) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  private static long allocatedBytes(Path file) throws IOException, InterruptedException {
    Process stat = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).start();
    String[] out =
        new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split(" ");
    assertEquals(0, stat.waitFor(), "stat " + file);
    return Long.parseLong(out[0]) * Long.parseLong(out[1].trim());
  }
}
