package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@code airlock run -- yes | head -1}: the client ends as a shell command would. */
@Timeout(90)
class ClosedStdoutTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

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
        CliProcess.start(
                List.of("bash", "-c", script), DaemonFixture.cliEnvironment(), daemon.dir(), null)
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
