package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code airlock run -- yes | head -1}: the client ends as a shell command would. */
@Timeout(90)
class ClosedStdoutTest {
  @TempDir static Path dir;
  private static DaemonFixture daemon;

  @BeforeAll
  static void start() throws Exception {
    daemon = DaemonFixture.start(dir);
  }

  @AfterAll
  static void stop() {
    if (daemon != null) {
      daemon.close();
    }
  }

  @Test
  void aClosedOutputPipeEndsTheClientWith141SilentlyAndCancelsTheAction() throws Exception {
    String airlock =
        DaemonFixture.AIRLOCK
            + " --socket "
            + daemon.socket()
            + " --state-dir "
            + daemon.stateDir();
    String script =
        airlock + " run -- yes | head -n 1; echo \"airlock exited ${PIPESTATUS[0]}\" >&2";

    CliProcess.Result r =
        CliProcess.start(List.of("bash", "-c", script), DaemonFixture.cliEnvironment(), dir, null)
            .await(Duration.ofSeconds(60));

    assertEquals(0, r.status(), r::toString);
    assertEquals("y\n", r.stdout(), r::toString);
    assertEquals("airlock exited 141\n", r.stderr(), r::toString);
    Procs.awaitEquals(
        "the action to be cancelled", Duration.ofSeconds(20), 0, ClosedStdoutTest::running);
  }

  private static int running() {
    try {
      return daemon.client().status().getRunningActions();
    } catch (IOException e) {
      return -1;
    }
  }
}
