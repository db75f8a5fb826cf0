package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.client.ActionCall;
import dev.airlock.client.AirlockClient;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One daemon under load from many clients: no result lost, memory, descriptors and threads flat;
 * and killed with SIGKILL at random moments under load, a restarted daemon recovers every time: no
 * workspace half committed, no temporary left, the cache consistent. Sized for the suite by
 * default; {@code scripts/soak} runs the sizes (10,000 actions from 16 clients, 20 kills)
 * through the system properties {@code airlock.soak.actions}, {@code .clients}, {@code .kills}.
 */
@Timeout(value = 3, unit = TimeUnit.HOURS)
class SoakTest {
  private static final int ACTIONS = Integer.getInteger("airlock.soak.actions", 400);
  private static final int CLIENTS = Integer.getInteger("airlock.soak.clients", 16);
  private static final int KILLS = Integer.getInteger("airlock.soak.kills", 3);

  @TempDir Path dir;

  /** What the daemon holds at one moment of the load. */
  private record Sample(int done, long rssBytes, int fds, int threads) {
    String csv() {
      return done + "," + rssBytes / 1024 + "," + fds + "," + threads;
    }
  }

  private static Sample sample(long pid, int done) throws IOException {
    return new Sample(
        done,
        Procs.rssBytes(pid),
        count(Path.of("/proc/" + pid + "/fd")),
        count(Path.of("/proc/" + pid + "/task")));
  }

  private static int count(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return (int) entries.count();
    }
  }

  /** Action {@code i} of a client: writes its token to two files; half the tokens repeat (hits). */
  private static ExecuteRequest request(Path ws, String token) {
    return ExecuteRequest.newBuilder()
        .addAllArgv(
            PathBytes.toWire(
                List.of("sh", "-c", "echo $TOKEN > a.txt; cat in.txt; echo $TOKEN > b.txt")))
        .putAllEnv(PathBytes.toWire(Map.of("PATH", "/usr/bin:/bin", "TOKEN", token)))
        .setCwd(PathBytes.toWire(ws.toString()))
        .build();
  }

  private static String token(int client, int i) {
    return i % 2 == 0 ? "c" + client + "-" + i : "c" + client + "-repeat-" + (i % 10);
  }

  @Test
  void manyActionsFromManyClientsLoseNothingAndLeakNothing() throws Exception {
    List<Path> workspaces = workspaces(CLIENTS);
    try (DaemonFixture daemon = DaemonFixture.start(dir)) {
      AirlockClient client = AirlockClient.forSocket(daemon.socket());
      // Warm up: every client once, so that lazily made threads and buffers exist at the baseline.
      for (int c = 0; c < CLIENTS; c++) {
        runChecked(client, workspaces.get(c), token(c, 0));
      }
      Sample baseline = sample(daemon.pid(), 0);
      AtomicInteger done = new AtomicInteger();
      ConcurrentLinkedQueue<Sample> curve = new ConcurrentLinkedQueue<>();
      AtomicBoolean loading = new AtomicBoolean(true);
      Thread sampler =
          new Thread(
              () -> {
                try {
                  while (loading.get()) {
                    curve.add(sample(daemon.pid(), done.get()));
                    Thread.sleep(500);
                  }
                } catch (IOException | InterruptedException e) {
                  // the test ends it
                }
              });
      sampler.start();
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      List<Future<?>> clients = new ArrayList<>();
      for (int c = 0; c < CLIENTS; c++) {
        int id = c;
        clients.add(
            pool.submit(
                () -> {
                  for (int i = id; i < ACTIONS; i += CLIENTS) {
                    runChecked(client, workspaces.get(id), token(id, i));
                    done.incrementAndGet();
                  }
                  return null;
                }));
      }
      for (Future<?> f : clients) {
        f.get(); // a lost or wrong result fails here, with the client's assertion
      }
      pool.shutdown();
      loading.set(false);
      sampler.join();
      assertEquals(ACTIONS, done.get(), "every action has its result");

      // The daemon settles (connections closed, actions reaped): wait for it, up to 10 s; what is
      // still open then is a leak, which the assertions below name.
      Sample end = settled(daemon.pid(), done.get(), baseline, Duration.ofSeconds(10));
      curve.add(end);
      Path csv = Path.of("target/soak-curve.csv").toAbsolutePath();
      Files.createDirectories(csv.getParent());
      StringBuilder out = new StringBuilder("actions_done,rss_kib,fds,threads\n");
      curve.forEach(s -> out.append(s.csv()).append('\n'));
      Files.writeString(csv, out);
      System.out.printf(
          "soak: %d actions from %d clients; baseline rss %d MiB fds %d threads %d; end rss %d MiB"
              + " fds %d threads %d; curve in %s%n",
          ACTIONS,
          CLIENTS,
          baseline.rssBytes() >> 20,
          baseline.fds(),
          baseline.threads(),
          end.rssBytes() >> 20,
          end.fds(),
          end.threads(),
          csv);

      assertTrue(
          end.fds() <= baseline.fds() + 4, () -> "descriptors leak: " + baseline + " -> " + end);
      assertTrue(
          end.threads() <= baseline.threads() + 8,
          () -> "threads leak: " + baseline + " -> " + end);
      // Flat memory: the last quarter of the load holds no more than the second quarter did,
      // with room for the heap's own sizing.
      List<Sample> samples = new ArrayList<>(curve);
      long secondQuarter = maxRss(samples, ACTIONS / 4, ACTIONS / 2);
      long lastQuarter = maxRss(samples, 3 * ACTIONS / 4, ACTIONS);
      assertTrue(
          lastQuarter <= secondQuarter * 5 / 4 + (48L << 20),
          () ->
              "memory grows: second quarter "
                  + (secondQuarter >> 20)
                  + " MiB, last quarter "
                  + (lastQuarter >> 20)
                  + " MiB; curve in "
                  + csv);
    }
  }

  /** The first sample back within the baseline's descriptors and threads, or the last one. */
  private static Sample settled(long pid, int done, Sample baseline, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Sample s = sample(pid, done);
    while ((s.fds() > baseline.fds() + 4 || s.threads() > baseline.threads() + 8)
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
      s = sample(pid, done);
    }
    return s;
  }

  private static long maxRss(List<Sample> samples, int from, int to) {
    return samples.stream()
        .filter(s -> s.done() >= from && s.done() <= to)
        .mapToLong(Sample::rssBytes)
        .max()
        .orElse(0);
  }

  @Test
  void killedAtRandomMomentsUnderLoadTheDaemonRecoversEveryTime() throws Exception {
    int clients = Math.min(CLIENTS, 4);
    List<Path> workspaces = workspaces(clients);
    for (int kill = 0; kill < KILLS; kill++) {
      try (DaemonFixture daemon = DaemonFixture.start(dir)) {
        AirlockClient client = AirlockClient.forSocket(daemon.socket());
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger finished = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        int round = kill;
        for (int c = 0; c < clients; c++) {
          int id = c;
          pool.submit(
              () -> {
                for (int i = 0; running.get(); i++) {
                  try {
                    run(client, workspaces.get(id), "k" + round + "-" + token(id, i));
                    finished.incrementAndGet();
                  } catch (IOException e) {
                    return; // the daemon is gone
                  }
                }
              });
        }
        // Under load: actions are finishing, others running, when the kill comes.
        Procs.await("a first action finished", Duration.ofSeconds(60), () -> finished.get() > 0);
        Thread.sleep(ThreadLocalRandom.current().nextLong(0, 2000));
        ProcessHandle.of(daemon.pid()).orElseThrow().destroyForcibly();
        assertTrue(daemon.process().waitFor(20, TimeUnit.SECONDS), "the daemon should be dead");
        running.set(false);
        pool.shutdown();
        assertTrue(pool.awaitTermination(60, TimeUnit.SECONDS), "clients end when it dies");
      }
      try (DaemonFixture restarted = DaemonFixture.start(dir)) {
        for (Path ws : workspaces) {
          assertEquals(List.of(), TreeSnapshot.airlockTemps(ws), "kill " + kill + ": temps left");
          assertWhole(ws, kill);
        }
        Path overlays = restarted.stateDir().resolve("overlays");
        if (Files.exists(overlays)) {
          try (Stream<Path> layers = Files.list(overlays)) {
            assertEquals(List.of(), layers.toList(), "kill " + kill + ": dead actions' layers");
          }
        }
        CliProcess.Result verify =
            restarted.runCli(Duration.ofSeconds(300), "cache", "verify", "--sample", "8");
        assertEquals(0, verify.status(), "kill " + kill + ": " + verify);
      }
    }
  }

  /**
   * Both files of the last committed action, or neither: never one action's a.txt with another's
   * b.txt.
   */
  private static void assertWhole(Path ws, int kill) throws IOException {
    Path a = ws.resolve("a.txt");
    Path b = ws.resolve("b.txt");
    assertEquals(Files.exists(a), Files.exists(b), "kill " + kill + ": half a commit in " + ws);
    if (Files.exists(a)) {
      assertEquals(
          Files.readString(a), Files.readString(b), "kill " + kill + ": mixed commits in " + ws);
    }
  }

  private List<Path> workspaces(int n) throws IOException {
    List<Path> workspaces = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      Path ws = Files.createDirectories(dir.resolve("ws-" + c));
      Files.writeString(ws.resolve("in.txt"), "input of client " + c + "\n");
      workspaces.add(ws);
    }
    return workspaces;
  }

  private static void run(AirlockClient client, Path ws, String token) throws IOException {
    try (ActionCall call = client.execute(request(ws, token))) {
      call.awaitResult(OutputStream.nullOutputStream(), OutputStream.nullOutputStream());
    }
  }

  private static void runChecked(AirlockClient client, Path ws, String token) throws IOException {
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    ActionResult result;
    try (ActionCall call = client.execute(request(ws, token))) {
      result = call.awaitResult(stdout, OutputStream.nullOutputStream());
    }
    String where = ws + " " + token + ": " + result;
    assertEquals(Outcome.COMPLETED, result.getOutcome(), where);
    assertEquals(0, result.getExitCode(), where);
    assertEquals(
        Files.readString(ws.resolve("in.txt")), stdout.toString(StandardCharsets.UTF_8), where);
    assertEquals(CommitOutcome.COMMITTED, result.getChanges().getOutcome(), where);
    // Each client runs its actions one after another: its workspace holds its last action's.
    assertEquals(token + "\n", Files.readString(ws.resolve("a.txt")), where);
    assertEquals(token + "\n", Files.readString(ws.resolve("b.txt")), where);
  }
}
