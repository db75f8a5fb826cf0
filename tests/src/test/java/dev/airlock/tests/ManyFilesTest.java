package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.airlock.client.ActionCall;
import dev.airlock.client.AirlockClient;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ChangeReport;
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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An action that creates a great many files in nested directories (100,000 in the suite; {@code
 * scripts/million-files} runs 1,000,000 with {@code -Dairlock.files.count}): committed whole, or,
 * when it fails, not at all, its layer removed either way. Prints the time and the daemon's peak
 * RSS for the README; asserts only outcomes.
 */
@Timeout(value = 3600)
class ManyFilesTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  /** Files per leaf directory; the action makes COUNT / PER_DIR of them, 10 per parent. */
  private static final int PER_DIR = 1000;

  private static final int COUNT = Integer.getInteger("airlock.files.count", 100_000);

  /** d0/e0/1 ... d{n}/e9/1000: touch through xargs, so a few processes make all of them. */
  private static String script(String then) {
    int parents = Math.max(1, COUNT / PER_DIR / 10);
    return "for a in $(seq 0 "
        + (parents - 1)
        + "); do for b in 0 1 2 3 4 5 6 7 8 9; do mkdir -p d$a/e$b && (cd d$a/e$b && seq 1 "
        + PER_DIR
        + " | xargs touch) || exit 9; done; done; "
        + then;
  }

  private static long expectedFiles() {
    return (long) Math.max(1, COUNT / PER_DIR / 10) * 10 * PER_DIR;
  }

  @Test
  void anActionMakingManyFilesCommitsThemAll() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("many"));
    long start = System.nanoTime();

    Run r = run(ws, script("echo made"));

    long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertEquals(Outcome.COMPLETED, r.result().getOutcome(), r::toString);
    assertEquals(0, r.result().getExitCode(), r::toString);
    assertEquals("made\n", r.stdout());
    assertEquals(expectedFiles(), regularFiles(ws), "every file reached the workspace");
    ChangeReport changes = r.result().getChanges();
    assertEquals(CommitOutcome.COMMITTED, changes.getOutcome());
    // Every file and directory is a change: the first 10,000 listed, the rest counted.
    long dirs = expectedFiles() / PER_DIR * 11 / 10;
    assertEquals(expectedFiles() + dirs, changes.getChangesCount() + changes.getUnlisted());
    assertEquals(Math.min(10_000, expectedFiles() + dirs), changes.getChangesCount());
    assertLayerGone();
    System.out.printf(
        Locale.ROOT,
        "many-files: %,d files committed in %.1f s (the daemon's wall time %.1f s, of which"
            + " reading and committing the changes %.1f s); daemon peak RSS %d MiB, RSS now %d"
            + " MiB%n",
        expectedFiles(),
        millis / 1000.0,
        r.result().getWallTimeUs() / 1e6,
        changes.getCommitTimeUs() / 1e6,
        peakRss() >> 20,
        Procs.rssBytes(daemon.pid()) >> 20);
  }

  @Test
  void anActionMakingManyFilesThenFailingLeavesTheWorkspaceUntouched() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("many-failed"));
    Files.writeString(ws.resolve("keep.txt"), "as it was\n");
    long start = System.nanoTime();

    Run r = run(ws, script("exit 3"));

    long millis = Duration.ofNanos(System.nanoTime() - start).toMillis();
    assertEquals(Outcome.COMPLETED, r.result().getOutcome(), r::toString);
    assertEquals(3, r.result().getExitCode(), r::toString);
    try (Stream<Path> entries = Files.list(ws)) {
      assertEquals(List.of(ws.resolve("keep.txt")), entries.toList(), "nothing was committed");
    }
    assertEquals("as it was\n", Files.readString(ws.resolve("keep.txt")));
    assertEquals(CommitOutcome.DISCARDED, r.result().getChanges().getOutcome());
    assertLayerGone();
    System.out.printf(
        Locale.ROOT,
        "many-files: %,d files discarded in %.1f s; daemon peak RSS %d MiB%n",
        expectedFiles(),
        millis / 1000.0,
        peakRss() >> 20);
  }

  /** A finished action: its result (accesses appended) and its stdout. */
  private record Run(ActionResult result, String stdout) {
    @Override
    public String toString() {
      return "stdout <" + stdout + ">, " + result.getOutcome() + ": " + result.getMessage();
    }
  }

  /**
   * Runs {@code script} under the build policy through the Java client library (the CLI's 64 MiB
   * heap does not hold the access record of 100,000 files: see the README).
   */
  private static Run run(Path ws, String script) throws IOException {
    ExecuteRequest request =
        ExecuteRequest.newBuilder()
            .addAllArgv(PathBytes.toWire(List.of("sh", "-c", script)))
            .putAllEnv(PathBytes.toWire(Map.of("PATH", "/usr/bin:/bin")))
            .setCwd(PathBytes.toWire(ws.toString()))
            .setPolicyName("build")
            .build();
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    try (ActionCall call = AirlockClient.forSocket(daemon.socket()).execute(request)) {
      ActionResult result = call.awaitResult(stdout, OutputStream.nullOutputStream());
      return new Run(result, stdout.toString(StandardCharsets.UTF_8));
    }
  }

  private static long regularFiles(Path ws) throws IOException {
    try (Stream<Path> all = Files.walk(ws)) {
      return all.filter(Files::isRegularFile).count();
    }
  }

  /** VmHWM: the daemon's peak resident set since it started. */
  private static long peakRss() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + daemon.pid() + "/status"))) {
      if (line.startsWith("VmHWM:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    return -1;
  }

  private static void assertLayerGone() {
    Procs.await(
        "the action's layer to be removed",
        Duration.ofSeconds(600),
        () -> {
          try (var left = Files.list(daemon.stateDir().resolve("overlays"))) {
            return left.findAny().isEmpty();
          } catch (IOException e) {
            return false;
          }
        });
  }
}
