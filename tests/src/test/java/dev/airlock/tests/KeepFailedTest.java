package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code run --keep-failed DIR}: says where the changes went, and never mixes two runs. */
@Timeout(90)
class KeepFailedTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @Test
  void theRunSaysWhereItKeptTheChangesAndASecondRunIntoThemIsRefusedBeforeRunning()
      throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("ws"));
    Path kept = daemon.dir().resolve("kept");
    // Outside the workspace, so written in place: proof that the command ran.
    Path ran = daemon.dir().resolve("second-ran");

    CliProcess.Result first =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "run",
            "--cwd",
            ws.toString(),
            "--keep-failed",
            kept.toString(),
            "--",
            "sh",
            "-c",
            "echo one > first.txt; exit 3");
    CliProcess.Result second =
        daemon.runCli(
            CLIENT_TIMEOUT,
            "run",
            "--cwd",
            ws.toString(),
            "--keep-failed",
            kept.toString(),
            "--",
            "sh",
            "-c",
            "touch " + ran + "; echo two > second.txt; exit 3");

    assertEquals(3, first.status(), first::toString);
    assertEquals("airlock: sh: its changes were kept in " + kept + "\n", first.stderr());
    assertEquals(125, second.status(), second::toString);
    assertEquals(
        "airlock: --keep-failed "
            + kept
            + ": not empty; name a new or empty directory (each failed run keeps its changes"
            + " apart)\n",
        second.stderr());
    assertFalse(Files.exists(ran), "the refused run must not have run");
    assertEquals(List.of("first.txt"), names(kept));
    assertEquals(List.of(), names(ws), "a failed run's changes stay out of the workspace");
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
