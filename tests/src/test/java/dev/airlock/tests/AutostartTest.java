package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.AirlockClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./airlock run} starts a daemon when none answers; path problems are one clear line. */
@Timeout(90)
class AutostartTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;
  private final List<AirlockClient> started = new ArrayList<>();

  /** Stops a daemon a failed test may have left running (it is detached: not our child). */
  @AfterEach
  void stopLeftoverDaemons() throws Exception {
    for (AirlockClient client : started) {
      long pid;
      try {
        pid = client.status().getPid();
      } catch (IOException notRunning) {
        continue;
      }
      Procs.signal(pid, "TERM");
      Procs.awaitGone("the autostarted daemon " + pid, Duration.ofSeconds(20), pid);
    }
  }

  private static CliProcess airlock(Map<String, String> env, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(DaemonFixture.AIRLOCK.toString()));
    command.addAll(List.of(args));
    return CliProcess.start(command, env, null, null);
  }

  @Test
  void runStartsADaemonWhenNoneRunsAndLaterRunsReuseIt() throws Exception {
    Path state = dir.resolve("state");
    Path socket = dir.resolve("a.sock");
    AirlockClient client = AirlockClient.forSocket(socket);
    started.add(client);
    assertFalse(client.isDaemonRunning());
    Map<String, String> env = DaemonFixture.cliEnvironment();
    String[] paths = {"--state-dir", state.toString(), "--socket", socket.toString()};

    CliProcess.Result first =
        airlock(env, concat(paths, "run", "--", "echo", "hi")).await(CLIENT_TIMEOUT);

    assertEquals(0, first.status(), first::toString);
    assertEquals("hi\n", first.stdout(), first::toString);
    assertTrue(client.isDaemonRunning(), "no daemon answers after autostart");
    long pid = client.status().getPid();
    assertEquals(state.toString(), client.status().getStateDir());

    CliProcess.Result status = airlock(env, concat(paths, "status")).await(CLIENT_TIMEOUT);
    assertEquals(0, status.status(), status::toString);
    assertTrue(status.stdout().contains("pid:       " + pid + "\n"), status::toString);

    Map<String, String> byEnv = DaemonFixture.cliEnvironment();
    byEnv.put("AIRLOCK_STATE_DIR", state.toString());
    byEnv.put("AIRLOCK_SOCKET", socket.toString());
    CliProcess.Result second = airlock(byEnv, "run", "--", "echo", "again").await(CLIENT_TIMEOUT);
    assertEquals(0, second.status(), second::toString);
    assertEquals("again\n", second.stdout(), second::toString);
    assertEquals(pid, client.status().getPid(), "a second run must reuse the running daemon");
    assertEquals(2, client.status().getFinishedActions());

    CliProcess.Result stop = airlock(env, concat(paths, "stop")).await(CLIENT_TIMEOUT);
    assertEquals(0, stop.status(), stop::toString);
    assertTrue(stop.stdout().contains("airlockd stopped"), stop::toString);
    Procs.awaitGone("the autostarted daemon after stop", Duration.ofSeconds(20), pid);
    assertFalse(client.isDaemonRunning());
  }

  @Test
  void cacheStatsStartsADaemonWhenNoneRunsAsRunDoes() throws Exception {
    Path socket = dir.resolve("c.sock");
    AirlockClient client = AirlockClient.forSocket(socket);
    started.add(client);

    CliProcess.Result stats =
        airlock(
                DaemonFixture.cliEnvironment(),
                "--state-dir",
                dir.resolve("state").toString(),
                "--socket",
                socket.toString(),
                "cache",
                "stats")
            .await(CLIENT_TIMEOUT);

    assertEquals(0, stats.status(), stats::toString);
    assertTrue(stats.stdout().startsWith("entries:   0 (0 path sets)\n"), stats::toString);
    assertTrue(client.isDaemonRunning(), "cache stats should have started a daemon");
  }

  @Test
  void runWithNoStartAndNoDaemonExits125() throws Exception {
    Path socket = dir.resolve("none.sock");

    CliProcess.Result r =
        airlock(
                DaemonFixture.cliEnvironment(),
                "--state-dir",
                dir.resolve("state").toString(),
                "--socket",
                socket.toString(),
                "run",
                "--no-start",
                "--",
                "true")
            .await(CLIENT_TIMEOUT);

    assertEquals(125, r.status(), r::toString);
    assertTrue(r.stderr().startsWith("airlock: "), r::toString);
    assertTrue(r.stderr().contains("not running"), r::toString);
    assertFalse(AirlockClient.forSocket(socket).isDaemonRunning());
  }

  @Test
  void aSocketPathTooLongForTheKernelIsOneLineNamingItsLength() throws Exception {
    Path socket = dir.resolve("d".repeat(120)).resolve("airlockd.sock");
    int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    Path state = dir.resolve("state");

    CliProcess.Result r =
        airlock(
                DaemonFixture.cliEnvironment(),
                "--state-dir",
                state.toString(),
                "--socket",
                socket.toString(),
                "run",
                "--",
                "true")
            .await(CLIENT_TIMEOUT);

    assertEquals(125, r.status(), r::toString);
    assertEquals(1, r.stderr().strip().lines().count(), r::toString);
    assertTrue(r.stderr().startsWith("airlock: "), r::toString);
    assertTrue(
        r.stderr().contains(Integer.toString(length)),
        "should name the length " + length + ": " + r);
    assertFalse(r.stderr().contains("Exception"), r::toString);
    assertFalse(r.stderr().contains("\tat "), r::toString);
    assertFalse(Files.exists(state), "no daemon should have been started");
  }

  @Test
  void aSocketPathOf107BytesIsRefusedUpFrontThoughTheKernelWouldBindIt() throws Exception {
    // 107 bytes fit sun_path, and the daemon's Netty socket would listen there; the JDK client
    // cannot connect to more than 106.
    String prefix = dir + "/";
    Path socket = Path.of(prefix + "s".repeat(107 - prefix.length()));
    assertEquals(107, socket.toString().getBytes(StandardCharsets.UTF_8).length);
    Path state = dir.resolve("state");

    CliProcess.Result client =
        airlock(
                DaemonFixture.cliEnvironment(),
                "--state-dir",
                state.toString(),
                "--socket",
                socket.toString(),
                "run",
                "--",
                "true")
            .await(CLIENT_TIMEOUT);

    assertEquals(125, client.status(), client::toString);
    assertEquals(
        "airlock: socket path is too long (107 bytes; at most 106 can be used): "
            + socket
            + "; set AIRLOCK_SOCKET (or --socket) to a shorter path\n",
        client.stderr());
    assertTrue(client.elapsed().toSeconds() < 10, "refused only after " + client.elapsed());
    assertFalse(Files.exists(state), "no daemon should have been started");
    try (DaemonFixture.Launched daemon = DaemonFixture.launchUnchecked(dir, state, socket)) {
      assertEquals(2, daemon.awaitExit(Duration.ofSeconds(30)), daemon.stderr());
      assertTrue(daemon.stderr().startsWith("airlockd: socket path is too long (107 bytes"));
    }
  }

  @Test
  void anotherSocketOnAStateDirInUseIsRefusedAtOnceAndTheRunningDaemonsOutputKept()
      throws Exception {
    Path state = dir.resolve("state");
    Path socket = dir.resolve("a.sock");
    Path other = dir.resolve("b.sock");
    AirlockClient client = AirlockClient.forSocket(socket);
    started.add(client);
    Map<String, String> env = DaemonFixture.cliEnvironment();
    CliProcess.Result first =
        airlock(
                env,
                "--state-dir",
                state.toString(),
                "--socket",
                socket.toString(),
                "run",
                "--",
                "true")
            .await(CLIENT_TIMEOUT);
    assertEquals(0, first.status(), first::toString);
    long pid = client.status().getPid();
    Path out = state.resolve("airlockd.out");
    String runningOutput = Files.readString(out);
    assertTrue(runningOutput.contains("ready, pid " + pid + "\n"), runningOutput);

    CliProcess.Result second =
        airlock(
                env,
                "--state-dir",
                state.toString(),
                "--socket",
                other.toString(),
                "run",
                "--",
                "true")
            .await(CLIENT_TIMEOUT);

    assertEquals(125, second.status(), second::toString);
    assertEquals(
        "airlock: another airlockd (pid "
            + pid
            + ") already uses "
            + state
            + ", serving "
            + socket
            + "; reach it with --socket "
            + socket
            + ", or give this one another --state-dir\n",
        second.stderr());
    assertTrue(second.elapsed().toSeconds() < 15, "refused only after " + second.elapsed());
    assertTrue(Files.readString(out).startsWith(runningOutput), "airlockd.out was truncated");
    assertFalse(AirlockClient.forSocket(other).isDaemonRunning());
    assertEquals(pid, client.status().getPid(), "the running daemon must keep serving");
  }

  @Test
  void theDaemonRefusesASocketPathTooLongWithOneLine() throws Exception {
    Path socket = dir.resolve("d".repeat(120)).resolve("airlockd.sock");
    try (DaemonFixture.Launched daemon =
        DaemonFixture.launchUnchecked(dir, dir.resolve("state"), socket)) {

      assertEquals(2, daemon.awaitExit(Duration.ofSeconds(30)), daemon.stderr());
      String stderr = daemon.stderr();
      assertEquals(1, stderr.strip().lines().count(), stderr);
      assertTrue(stderr.startsWith("airlockd: "), stderr);
      assertTrue(
          stderr.contains(
              Integer.toString(socket.toString().getBytes(StandardCharsets.UTF_8).length)),
          stderr);
      assertFalse(stderr.contains("Exception"), stderr);
    }
  }

  private static String[] concat(String[] head, String... tail) {
    String[] all = new String[head.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(tail, 0, all, head.length, tail.length);
    return all;
  }
}
