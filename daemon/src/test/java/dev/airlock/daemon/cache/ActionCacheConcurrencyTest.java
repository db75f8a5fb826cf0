package dev.airlock.daemon.cache;

import static dev.airlock.daemon.cache.CacheFixture.access;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ActionCacheConcurrencyTest {
  private static final int THREADS = 8;
  private static final int ROUNDS = 25;

  @TempDir Path stateDir;
  @TempDir Path work;

  @Test
  @Timeout(60)
  void eightThreadsRecordingAndLookingUpOneActionAgree() throws Exception {
    Path src = Files.writeString(work.resolve("src"), "source");
    Path dir = Files.createDirectory(work.resolve("dir"));
    List<Access> accesses =
        List.of(
            access(AccessKind.READ, src),
            access(AccessKind.ENUMERATE, dir),
            access(AccessKind.ABSENT_PROBE, dir.resolve("missing")));
    WeakFingerprint weak = CacheFixture.weak("concurrent");
    try (CacheFixture f = new CacheFixture(stateDir, StatCache.DEFAULT_GRANULARITY)) {
      ExecutorService pool = Executors.newFixedThreadPool(THREADS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<List<String>>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        workers.add(
            pool.submit(
                () -> {
                  start.await();
                  List<String> served = new ArrayList<>();
                  for (int i = 0; i < ROUNDS; i++) {
                    Optional<CacheHit> hit = f.cache.lookup(weak, f.reader);
                    if (hit.isPresent()) {
                      served.add(new String(f.cas.read(hit.get().result().stdout())));
                    } else {
                      f.record(weak, accesses, "the one result");
                    }
                  }
                  return served;
                }));
      }
      start.countDown();
      int hits = 0;
      for (Future<List<String>> w : workers) {
        for (String stdout : w.get()) {
          assertEquals("the one result", stdout);
          hits++;
        }
      }
      pool.shutdown();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));

      CacheStats stats = f.cache.stats();
      assertTrue(hits > 0, "someone hit after the first record");
      assertEquals(1, stats.entries(), "every thread recorded the same strong fingerprint");
      assertEquals(1, stats.pathSets());
      assertEquals(hits, stats.hits());
      assertEquals(THREADS * ROUNDS, stats.hits() + stats.misses());
      assertEquals(2, f.cas.digests().size(), "stdout and the empty stderr, nothing torn");
      try (var temps = Files.list(stateDir.resolve("cas/tmp"))) {
        assertEquals(0, temps.count());
      }
    }
  }
}
