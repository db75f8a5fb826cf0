package dev.airlock.daemon.cache;

import static dev.airlock.daemon.cache.CacheFixture.access;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Measures a 1,000-path lookup with a warm stat cache; prints the time, asserts only behaviour. */
class LookupSpeedTest {
  private static final int PATHS = 1_000;
  private static final int SAMPLES = 200;
  private static final Duration GRANULARITY = Duration.ofMillis(20);

  @TempDir Path stateDir;
  @TempDir Path work;

  @Test
  void aWarmThousandPathLookup() throws Exception {
    List<Access> accesses = new ArrayList<>();
    for (int i = 0; i < PATHS; i++) {
      Path dir = work.resolve("d" + i % 20);
      Files.createDirectories(dir);
      accesses.add(
          access(AccessKind.READ, Files.writeString(dir.resolve("f" + i), "content " + i)));
    }
    // Out of the racy window, so the stat cache trusts its entries.
    MovableClock clock = new MovableClock();
    clock.advance(GRANULARITY.multipliedBy(3));
    WeakFingerprint weak = CacheFixture.weak("big");
    try (CacheFixture f = new CacheFixture(stateDir, GRANULARITY, clock)) {
      f.record(weak, accesses, "ok");
      for (int i = 0; i < 20; i++) {
        assertTrue(f.cache.lookup(weak, f.reader).isPresent());
      }
      long hashedBefore = f.statCache.hashedCount();
      long[] nanos = new long[SAMPLES];
      for (int i = 0; i < SAMPLES; i++) {
        long t0 = System.nanoTime();
        boolean hit = f.cache.lookup(weak, f.reader).isPresent();
        nanos[i] = System.nanoTime() - t0;
        assertTrue(hit);
      }
      assertEquals(hashedBefore, f.statCache.hashedCount(), "warm: no file was read again");
      Arrays.sort(nanos);
      System.out.printf(
          "LookupSpeedTest: %d-path lookup, warm stat cache: median %.2f ms, min %.2f ms, p90 %.2f"
              + " ms%n",
          PATHS, nanos[SAMPLES / 2] / 1e6, nanos[0] / 1e6, nanos[SAMPLES * 9 / 10] / 1e6);
    }
  }
}
