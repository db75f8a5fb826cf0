package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.client.AirlockClient;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.ActionEvent;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheStatus;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How a tool embeds the client library to run an action through airlockd; read it as a guide. */
@Timeout(60)
class ClientWalkthroughTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @Test
  void executeAnActionReadItsEventsAndItsResult() throws Exception {
    Path project = Files.createDirectory(daemon.dir().resolve("project"));
    Files.writeString(project.resolve("in.txt"), "hello\n");

    // 1. A client needs only the daemon's socket (AirlockPaths.fromEnvironment() finds the usual
    //    one; DaemonStarter starts a daemon when none answers).
    AirlockClient client = AirlockClient.forSocket(daemon.socket());
    assertEquals(daemon.pid(), client.status().getPid());

    // 2. A request names everything: argv, the whole environment, the working directory. Names
    //    are bytes on the wire (PathBytes), since file names need not be UTF-8.
    ExecuteRequest request =
        ExecuteRequest.newBuilder()
            .addAllArgv(
                PathBytes.toWire(List.of("sh", "-c", "tr a-z A-Z < in.txt > out.txt && echo done")))
            .putAllEnv(PathBytes.toWire(Map.of("PATH", "/usr/bin:/bin")))
            .setCwd(PathBytes.toWire(project.toString()))
            .build();

    // 3. One call per action; its events come in order, and closing the call early cancels it.
    ActionResult result;
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    try (ActionCall call = client.execute(request)) {
      assertTrue(call.nextEvent().hasAccepted(), "first Accepted, with the action's id");
      assertTrue(call.nextEvent().hasStarted(), "then Started, with the command's pid");
      // Then output chunks as the command writes them, access batches, and Finished.
      for (ActionEvent e = call.nextEvent(); e != null; e = call.nextEvent()) {
        if (e.hasOutput()) {
          e.getOutput().getData().writeTo(stdout);
        }
      }
      result = call.result();
    }
    assertEquals("done\n", stdout.toString(StandardCharsets.UTF_8));

    // 4. The result: how it ended, what it touched, and what became of its writes (committed
    //    to the workspace, since it succeeded).
    assertEquals(Outcome.COMPLETED, result.getOutcome());
    assertEquals(0, result.getExitCode());
    List<String> read =
        result.getAccessReport().getAccessesList().stream()
            .filter(a -> a.getKind() == AccessKind.READ)
            .map(a -> PathBytes.fromWire(a.getPath()))
            .toList();
    assertTrue(read.contains(project.resolve("in.txt").toString()), read::toString);
    assertEquals(CommitOutcome.COMMITTED, result.getChanges().getOutcome());
    assertEquals("HELLO\n", Files.readString(project.resolve("out.txt")));

    // 5. awaitResult() does the reading and copies output as it comes. The same request again,
    //    its input unchanged, is replayed from the action cache instead of run.
    Files.delete(project.resolve("out.txt"));
    ByteArrayOutputStream replayed = new ByteArrayOutputStream();
    try (ActionCall call = client.execute(request)) {
      result = call.awaitResult(replayed, OutputStream.nullOutputStream());
    }
    assertEquals(CacheStatus.CACHE_HIT, result.getCache().getStatus());
    assertEquals("done\n", replayed.toString(StandardCharsets.UTF_8));
    assertEquals("HELLO\n", Files.readString(project.resolve("out.txt")));
  }
}
