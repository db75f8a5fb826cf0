package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Outcome;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections that send nothing are closed after the daemon's idle timeout (here 1 s), even when
 * there are more of them than the daemon has descriptors for; a connection with a running action is
 * kept however long the action takes.
 */
@Timeout(120)
class IdleConnectionTest {
  private static final String IDLE_TIMEOUT_MS = "1000";

  @TempDir Path dir;

  @Test
  void moreIdleConnectionsThanDescriptorsAreAllClosedAndTheDaemonServesOn() throws Exception {
    try (DaemonFixture daemon = DaemonFixture.start(dir, "--idle-timeout-ms", IDLE_TIMEOUT_MS)) {
      // Leave the daemon 100 descriptors to spare, then open 300 connections: accept runs into
      // EMFILE and must neither spin nor end the daemon.
      int limit = openDescriptors(daemon.pid()) + 100;
      Process prlimit =
          new ProcessBuilder(
                  "prlimit", "--pid", Long.toString(daemon.pid()), "--nofile=" + limit + ":")
              .inheritIO()
              .start();
      assertEquals(0, prlimit.waitFor(), "prlimit failed");
      List<SocketChannel> idle = new ArrayList<>();
      try (Selector selector = Selector.open()) {
        for (int i = 0; i < 300; i++) {
          SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
          idle.add(channel);
          channel.connect(UnixDomainSocketAddress.of(daemon.socket()));
          channel.configureBlocking(false);
          channel.register(selector, SelectionKey.OP_READ);
        }

        int closed = awaitClosedByDaemon(selector, Duration.ofSeconds(60));

        assertEquals(300, closed, "idle connections the daemon closed");
      } finally {
        for (SocketChannel channel : idle) {
          channel.close();
        }
      }
      assertTrue(daemon.process().isAlive(), "the daemon died");
      String log = Files.readString(daemon.stateDir().resolve("logs/airlockd.log.0"));
      assertTrue(
          log.matches("(?s).*cannot accept connections: [^\n]*Too many open files.*"),
          "the daemon never ran out of descriptors, so the test proves nothing:\n" + log);
      CliProcess.Result after = daemon.runCli(Duration.ofSeconds(60), "run", "--", "echo", "ok");
      assertEquals(0, after.status(), after::toString);
      assertEquals("ok\n", after.stdout(), after::toString);
    }
  }

  @Test
  void aConnectionWithARunningActionOutlivesTheIdleTimeout() throws Exception {
    try (DaemonFixture daemon = DaemonFixture.start(dir, "--idle-timeout-ms", IDLE_TIMEOUT_MS);
        ActionCall call =
            daemon.client().execute(daemon.request("sh", "-c", "sleep 3; echo done").build())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();

      ActionResult result = call.awaitResult(out, OutputStream.nullOutputStream());

      assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
      assertEquals(0, result.getExitCode(), result::toString);
      assertEquals("done\n", out.toString(StandardCharsets.UTF_8));
    }
  }

  /** Waits until the daemon has closed every registered channel; returns how many it closed. */
  private static int awaitClosedByDaemon(Selector selector, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int closed = 0;
    ByteBuffer buffer = ByteBuffer.allocate(256);
    while (!selector.keys().isEmpty() && System.nanoTime() < deadline) {
      selector.select(200);
      for (SelectionKey key : selector.selectedKeys()) {
        buffer.clear();
        int n;
        try {
          n = ((SocketChannel) key.channel()).read(buffer);
        } catch (IOException reset) {
          n = -1;
        }
        if (n < 0) {
          key.cancel();
          closed++;
        }
      }
      selector.selectedKeys().clear();
      selector.selectNow(); // flushes the cancelled keys out of keys()
    }
    return closed;
  }

  private static int openDescriptors(long pid) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) fds.count();
    }
  }
}
