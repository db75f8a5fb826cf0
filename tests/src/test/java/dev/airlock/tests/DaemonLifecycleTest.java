package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.StatusReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Starting, refusing to start twice, restarting after a crash, status, stop and SIGTERM. */
@Timeout(90)
class DaemonLifecycleTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

  @TempDir Path dir;

  @Test
  void theDaemonPreparesAPrivateStateDirectorySocketAndLog() throws Exception {
    try (DaemonFixture daemon = DaemonFixture.start(dir)) {
      assertEquals("rwx------", mode(daemon.stateDir()));
      assertEquals("rw-------", mode(daemon.socket()));
      assertTrue(Files.exists(daemon.stateDir().resolve("airlockd.lock")));
      assertEquals(
          daemon.pid() + "\n",
          Files.readString(daemon.stateDir().resolve("airlockd.lock"), StandardCharsets.UTF_8));
      assertTrue(Files.size(daemon.stateDir().resolve("logs/airlockd.log.0")) > 0, "empty log");
      assertTrue(
          daemon
              .daemonStdout()
              .startsWith("airlockd " + daemon.version() + " ready, pid " + daemon.pid() + "\n"),
          daemon.daemonStdout());
    }
  }

  @Test
  void aRestartAfterSigkillReplacesTheStaleSocket() throws Exception {
    Path state = dir.resolve("state");
    Path socket = dir.resolve("d.sock");
    try (DaemonFixture first = DaemonFixture.start(dir, state, socket)) {
      first.process().destroyForcibly();
      assertTrue(first.process().waitFor(20, TimeUnit.SECONDS));
      assertEquals(137, first.process().exitValue());
      assertTrue(
          Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "a killed daemon leaves its socket");
      assertFalse(first.client().isDaemonRunning());
    }

    try (DaemonFixture second = DaemonFixture.start(dir, state, socket)) {
      assertEquals(second.pid(), second.client().status().getPid());
      try (ActionCall call =
          second.client().execute(second.request("echo", "after restart").build())) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ActionResult result = call.awaitResult(out, new ByteArrayOutputStream());
        assertEquals(Outcome.COMPLETED, result.getOutcome(), result::toString);
        assertEquals("after restart\n", out.toString(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void aSecondDaemonOnTheSameStateDirectoryExits3() throws Exception {
    Path otherSocket = dir.resolve("other.sock");
    try (DaemonFixture first = DaemonFixture.start(dir);
        DaemonFixture.Launched second = DaemonFixture.launch(dir, first.stateDir(), otherSocket)) {

      assertEquals(3, second.awaitExit(Duration.ofSeconds(30)), second.stderr());
      String stderr = second.stderr();
      assertEquals(1, stderr.lines().count(), stderr);
      assertTrue(stderr.startsWith("airlockd: another airlockd"), stderr);
      assertTrue(stderr.contains("(pid " + first.pid() + ")"), stderr);
      assertFalse(Files.exists(otherSocket, LinkOption.NOFOLLOW_LINKS));
      assertEquals(
          first.pid(), first.client().status().getPid(), "the first daemon must keep serving");
    }
  }

  @Test
  void aSecondDaemonOnTheSameSocketExits3AndLeavesTheFirstServing() throws Exception {
    try (DaemonFixture first = DaemonFixture.start(dir);
        DaemonFixture.Launched second =
            DaemonFixture.launch(dir, dir.resolve("other-state"), first.socket())) {

      assertEquals(3, second.awaitExit(Duration.ofSeconds(30)), second.stderr());
      String stderr = second.stderr();
      assertEquals(1, stderr.lines().count(), stderr);
      assertTrue(stderr.startsWith("airlockd: another airlockd"), stderr);
      assertTrue(
          Files.exists(first.socket(), LinkOption.NOFOLLOW_LINKS),
          "the first daemon's socket was removed");
      assertEquals(
          first.pid(), first.client().status().getPid(), "the first daemon must keep serving");
    }
  }

  @Test
  void anInvalidOptionExits2WithOneLine() throws Exception {
    try (DaemonFixture.Launched daemon =
        DaemonFixture.launch(
            dir, dir.resolve("state"), dir.resolve("d.sock"), "--max-parallel", "0")) {

      assertEquals(2, daemon.awaitExit(Duration.ofSeconds(30)), daemon.stderr());
      assertEquals(1, daemon.stderr().lines().count(), daemon.stderr());
      assertTrue(daemon.stderr().startsWith("airlockd: "), daemon.stderr());
      assertTrue(daemon.stderr().contains("--max-parallel"), daemon.stderr());
    }
  }

  @Test
  void statusShowsIdentityPathsAndCounts() throws Exception {
    try (DaemonFixture daemon =
        DaemonFixture.start(dir, "--max-parallel", "3", "--max-queued", "7")) {
      try (ActionCall call = daemon.client().execute(daemon.request("true").build())) {
        assertEquals(
            Outcome.COMPLETED,
            call.awaitResult(OutputStream.nullOutputStream(), OutputStream.nullOutputStream())
                .getOutcome());
      }

      CliProcess.Result r = daemon.runCli(CLIENT_TIMEOUT, "status");

      assertEquals(0, r.status(), r::toString);
      String out = r.stdout();
      assertTrue(out.startsWith("airlockd " + daemon.version()), out);
      assertTrue(out.contains("pid:       " + daemon.pid() + "\n"), out);
      assertTrue(out.matches("(?s).*uptime: +\\d+s\n.*"), out);
      assertTrue(out.contains("socket:    " + daemon.socket() + "\n"), out);
      assertTrue(out.contains("state dir: " + daemon.stateDir() + "\n"), out);
      assertTrue(out.contains("0 running, 0 queued, 1 finished"), out);
      assertTrue(out.contains("at most 3 in parallel, 7 queued"), out);

      StatusReply s = daemon.client().status();
      assertEquals(daemon.version(), s.getVersion());
      assertEquals(daemon.stateDir().resolve("logs/airlockd.log.0").toString(), s.getLogPath());
    }
  }

  @Test
  void stopDuringARunningActionCancelsItAndStopsTheDaemon() throws Exception {
    try (DaemonFixture daemon = DaemonFixture.start(dir)) {
      CliProcess run = daemon.cli("run", "--", "sleep", "60");
      Procs.awaitEquals("the action to run", Duration.ofSeconds(20), 1, () -> running(daemon));

      CliProcess.Result status = daemon.runCli(CLIENT_TIMEOUT, "status");
      assertEquals(0, status.status(), status::toString);
      assertTrue(status.stdout().contains("pid:       " + daemon.pid()), status::toString);
      assertTrue(status.stdout().contains("1 running"), status::toString);

      CliProcess.Result stop = daemon.runCli(CLIENT_TIMEOUT, "stop");
      assertEquals(0, stop.status(), stop::toString);
      assertEquals("airlockd stopped (1 action cancelled)\n", stop.stdout(), stop::toString);

      CliProcess.Result cancelled = run.await(CLIENT_TIMEOUT);
      assertEquals(143, cancelled.status(), cancelled::toString);
      assertTrue(cancelled.stderr().contains("shutting down"), cancelled::toString);

      assertTrue(daemon.process().waitFor(20, TimeUnit.SECONDS), "airlockd still runs after stop");
      assertEquals(0, daemon.process().exitValue());
      assertFalse(Files.exists(daemon.socket(), LinkOption.NOFOLLOW_LINKS), "socket left behind");

      CliProcess.Result after = daemon.runCli(CLIENT_TIMEOUT, "status");
      assertEquals(3, after.status(), after::toString);
      assertTrue(after.stdout().contains("airlockd is not running"), after::toString);
    }
  }

  @Test
  void sigtermStopsTheDaemonGracefullyCancellingItsActions() throws Exception {
    try (DaemonFixture daemon = DaemonFixture.start(dir);
        ActionCall call = daemon.client().execute(daemon.request("sleep", "300").build())) {
      assertTrue(call.nextEvent().hasAccepted());
      long pid = call.nextEvent().getStarted().getPid();

      daemon.process().destroy();
      ActionResult result =
          call.awaitResult(OutputStream.nullOutputStream(), OutputStream.nullOutputStream());

      assertNotNull(result);
      assertEquals(Outcome.CANCELLED, result.getOutcome(), result::toString);
      assertEquals(15, result.getSignal(), result::toString);
      assertTrue(result.getMessage().contains("shutting down"), result::toString);
      assertTrue(Procs.isGone(pid), "the action's process survived");
      assertTrue(
          daemon.process().waitFor(20, TimeUnit.SECONDS), "airlockd still runs after SIGTERM");
      assertEquals(0, daemon.process().exitValue(), "a graceful stop on SIGTERM exits 0");
      assertFalse(Files.exists(daemon.socket(), LinkOption.NOFOLLOW_LINKS), "socket left behind");
      try (FileChannel lockFile =
              FileChannel.open(
                  daemon.stateDir().resolve("airlockd.lock"), StandardOpenOption.WRITE);
          FileLock lock = lockFile.tryLock()) {
        assertNotNull(lock, "the stopped daemon still holds the state directory's lock");
      }
    }
  }

  private static int running(DaemonFixture daemon) {
    try {
      return daemon.client().status().getRunningActions();
    } catch (IOException e) {
      return -1;
    }
  }

  private static String mode(Path path) throws IOException {
    return PosixFilePermissions.toString(
        Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS));
  }
}
