package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A daemon that dies in the middle of a commit (halted like kill -9 by AIRLOCK_TEST_CRASH_AT) and
 * is restarted on the same state dir leaves the workspace wholly old when it died before the
 * journal said COMMITTING, wholly new from then on, and never with a commit temp in it.
 */
@Timeout(60)
class CrashRecoveryTest {
  /** Crash points from which recovery must complete the commit rather than roll it back. */
  private static final Set<String> COMMITTED = Set.of("JOURNALED", "APPLY:0", "APPLY:1", "DONE");

  /** Crash points at which staged temps are in the workspace, for recovery to deal with. */
  private static final Set<String> LEAVES_TEMPS =
      Set.of("STAGE:0", "STAGED", "JOURNALED", "APPLY:0", "APPLY:1");

  @TempDir Path dir;

  @ParameterizedTest(name = "crash at {0}")
  @ValueSource(
      strings = {"PLANNED", "STAGE:0", "STAGED", "JOURNALED", "APPLY:0", "APPLY:1", "DONE"})
  void afterACrashMidCommitARestartedDaemonLeavesTheWorkspaceWhollyOldOrWhollyNew(String crashAt)
      throws Exception {
    Path ws = Files.createDirectory(dir.resolve("ws"));
    Path reference = Files.createDirectory(dir.resolve("reference"));
    EveryKindOfChange.populate(ws);
    EveryKindOfChange.populate(reference);
    EveryKindOfChange.runNatively(reference, EveryKindOfChange.SCRIPT);
    TreeSnapshot old = TreeSnapshot.of(ws);

    try (DaemonFixture crashing =
        DaemonFixture.start(dir, Map.of("AIRLOCK_TEST_CRASH_AT", crashAt))) {
      CliProcess.Result r =
          crashing.runCli(
              Duration.ofSeconds(30),
              "run",
              "--no-start",
              "--cwd",
              ws.toString(),
              "--",
              "sh",
              "-c",
              EveryKindOfChange.SCRIPT);

      assertTrue(crashing.process().waitFor(20, TimeUnit.SECONDS), "the daemon should have halted");
      assertEquals(137, crashing.process().exitValue(), "halted as by kill -9");
      assertEquals(125, r.status(), r::toString);
      assertTrue(r.stderr().contains("closed the connection"), r::toString);
    }
    List<String> tempsAtCrash = TreeSnapshot.airlockTemps(ws);
    assertEquals(LEAVES_TEMPS.contains(crashAt), !tempsAtCrash.isEmpty(), tempsAtCrash::toString);

    try (DaemonFixture restarted = DaemonFixture.start(dir)) {
      assertEquals(List.of(), TreeSnapshot.airlockTemps(ws));
      try (Stream<Path> overlays = Files.list(restarted.stateDir().resolve("overlays"))) {
        assertEquals(List.of(), overlays.toList(), "the dead action's upper dir is collected");
      }
      if (COMMITTED.contains(crashAt)) {
        // Wholly new: what the script does when run directly (mtimes are the action's own).
        TreeSnapshot expected = TreeSnapshot.of(reference).withoutMtimes();
        TreeSnapshot actual = TreeSnapshot.of(ws).withoutMtimes();
        assertEquals(expected, actual, () -> "not wholly new:" + expected.differences(actual));
      } else {
        // Wholly old: every entry as it was, mtimes of files included; only directories that held
        // a staged temp for a while have a new mtime.
        TreeSnapshot expected = old.withoutDirectoryMtimes();
        TreeSnapshot actual = TreeSnapshot.of(ws).withoutDirectoryMtimes();
        assertEquals(expected, actual, () -> "not wholly old:" + expected.differences(actual));
      }
    }
  }
}
