package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the action cache keeps only in memory between writes (hit and miss counts, each entry's last
 * use) is saved when the daemon stops: after {@code airlock stop} and a restart the counts are
 * there, and gc still evicts the entry that was really used least recently.
 */
@Timeout(120)
class CacheRestartTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private static final List<String> MAKE_A = List.of("sh", "-c", "yes a | head -c 100000 > a.out");
  private static final List<String> MAKE_B = List.of("sh", "-c", "yes b | head -c 100000 > b.out");

  @Test
  void countsAndLastUseTimesSurviveAirlockStop() throws Exception {
    Path ws = Files.createDirectories(dir.resolve("ws"));
    try (DaemonFixture first = DaemonFixture.start(dir)) {
      CachedRun.launch(first, ws, List.of(), MAKE_A).await().assertExit(0).assertRecorded();
      CachedRun.launch(first, ws, List.of(), MAKE_B).await().assertExit(0).assertRecorded();
      // A is used again after B was recorded: B is now the least recently used entry. This use
      // (and the hit) lives in memory until the next cache write, which never comes here (nor a
      // `cache stats` or `gc`, which would save it too).
      Files.delete(ws.resolve("a.out"));
      CachedRun.launch(first, ws, List.of(), MAKE_A).await().assertExit(0).assertHit();

      CliProcess.Result stop = first.runCli(CLIENT_TIMEOUT, "stop");
      assertEquals(0, stop.status(), stop::toString);
      assertTrue(first.awaitExit(Duration.ofSeconds(30)), "airlock stop ends the daemon");
    }

    try (DaemonFixture second = DaemonFixture.start(dir)) {
      String stats = stats(second);
      assertTrue(stats.contains("hits:      1\n"), stats);
      assertTrue(stats.contains("misses:    2\n"), stats);

      // Room for one entry's output only: the least recently used one goes.
      CliProcess.Result gc = second.runCli(CLIENT_TIMEOUT, "cache", "gc", "--max-size", "150K");
      assertEquals(0, gc.status(), gc::toString);

      Files.delete(ws.resolve("a.out"));
      Files.delete(ws.resolve("b.out"));
      CachedRun.launch(second, ws, List.of(), MAKE_A).await().assertExit(0).assertHit();
      CachedRun b = CachedRun.launch(second, ws, List.of(), MAKE_B).await().assertExit(0);
      assertFalse("hit".equals(b.status()), "B was evicted, not A: " + b);
      assertTrue(Files.readString(ws.resolve("b.out")).startsWith("b\nb\n"));
    }
  }

  private static String stats(DaemonFixture daemon) {
    try {
      CliProcess.Result r = daemon.runCli(CLIENT_TIMEOUT, "cache", "stats");
      assertEquals(0, r.status(), r::toString);
      return r.stdout();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
