package dev.airlock.daemon.commit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.store.StateDatabase;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A real process committing, killed with SIGKILL at a point, then recovered by this one. */
@Timeout(120)
class CommitKillTest {
  @TempDir Path root;

  @ParameterizedTest
  @ValueSource(strings = {"STAGE:3", "STAGED", "JOURNALED", "APPLY:2", "APPLY:6"})
  void aKilledCommitIsRecoveredWhole(String point) throws Exception {
    CommitScenario scenario = CommitScenario.run(root);
    Path db = root.resolve("db");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process process =
        new ProcessBuilder(
                java.toString(),
                "-cp",
                System.getProperty("java.class.path"),
                CommitCrashMain.class.getName(),
                db.toString(),
                scenario.workspace.toString(),
                scenario.overlay.upper.toString(),
                point)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("paused", out.readLine(), "the committer reached " + point);
    } finally {
      process.destroyForcibly(); // SIGKILL on Linux: no shutdown hooks, no finally blocks
    }
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(137, process.exitValue(), "killed by SIGKILL");

    try (StateDatabase reopened = StateDatabase.open(db)) {
      assertEquals(1, WorkspaceCommitter.recover(reopened));
    }
    boolean committed = point.startsWith("JOURNALED") || point.startsWith("APPLY");
    assertEquals(List.of(), TreeSnapshot.temps(scenario.workspace).collect(Collectors.toList()));
    assertEquals(committed ? scenario.after() : scenario.before, scenario.now());
  }
}
