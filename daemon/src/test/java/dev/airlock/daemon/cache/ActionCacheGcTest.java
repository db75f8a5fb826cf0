package dev.airlock.daemon.cache;

import static dev.airlock.daemon.cache.CacheFixture.access;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.trace.AccessKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ActionCacheGcTest {
  @TempDir Path stateDir;
  @TempDir Path work;
  private CacheFixture f;

  @BeforeEach
  void setUp() throws Exception {
    f = new CacheFixture(stateDir, StatCache.DEFAULT_GRANULARITY);
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  @Test
  void evictsTheLeastRecentlyUsedAndKeepsEveryBlobALiveEntryNeeds() throws Exception {
    Path input = Files.writeString(work.resolve("in"), "input");
    WeakFingerprint a = CacheFixture.weak("a");
    WeakFingerprint b = CacheFixture.weak("b");
    Digest shared = f.cas.put("shared".repeat(1000).getBytes());
    Digest onlyA = f.cas.put("only a".repeat(500).getBytes());
    Digest onlyB = f.cas.put("only b".repeat(500).getBytes());
    CachedResult resultA = recordWithOutputs(a, input, "A", shared, onlyA);
    CachedResult resultB = recordWithOutputs(b, input, "B", shared, onlyB);
    assertTrue(f.cache.lookup(a, f.reader).isPresent(), "a hit makes A the most recently used");
    Digest oldOrphan = f.cas.put("left by a crash".getBytes());
    ageAllBlobs();
    Digest freshOrphan = f.cas.put("stored, not yet recorded".getBytes());

    long needed = sizes(resultA.blobs()) + f.cas.sizeOf(freshOrphan);
    GcReport report = f.cache.gc(needed);

    assertEquals(1, report.entriesRemoved());
    assertEquals(3, report.blobsRemoved(), "B's stdout, B's own output and the old orphan");
    assertEquals(needed, report.bytesAfter());
    assertEquals(needed, f.cas.totalBytes());
    for (Digest kept : List.of(shared, onlyA, resultA.stdout(), resultA.stderr(), freshOrphan)) {
      assertTrue(f.cas.contains(kept), kept.toString());
    }
    for (Digest gone : List.of(onlyB, resultB.stdout(), oldOrphan)) {
      assertFalse(f.cas.contains(gone), gone.toString());
    }
    assertEquals(resultA, f.cache.lookup(a, f.reader).orElseThrow().result());
    assertTrue(f.cache.lookup(b, f.reader).isEmpty());
    assertEquals(1, f.cache.stats().pathSets(), "B's path set went with its last entry");

    GcReport all = f.cache.gc(0);
    assertEquals(1, all.entriesRemoved());
    assertEquals(List.of(freshOrphan), f.cas.digests(), "a fresh blob survives even gc(0)");
  }

  @Test
  void aGcWithinBudgetRemovesOnlyUnreachableEntries() throws Exception {
    WeakFingerprint weak = CacheFixture.weak("many");
    int runs = LmdbActionCache.MAX_PATH_SETS_KEPT + 1;
    for (int i = 0; i < runs; i++) {
      Path input = Files.writeString(work.resolve("in" + i), "i" + i);
      f.record(weak, List.of(access(AccessKind.READ, input)), "run" + i);
    }
    CacheStats before = f.cache.stats();
    assertEquals(runs, before.entries());
    assertEquals(LmdbActionCache.MAX_PATH_SETS_KEPT, before.pathSets(), "the oldest was pruned");
    ageAllBlobs();
    GcReport report = f.cache.gc(Long.MAX_VALUE);
    assertEquals(1, report.entriesRemoved(), "only the entry of the pruned path set");
    assertEquals(1, report.blobsRemoved(), "run0's stdout");
    assertEquals(runs - 1, f.cache.stats().entries());
    assertEquals(
        "action-run" + (runs - 1), f.cache.lookup(weak, f.reader).get().result().actionId());
  }

  private CachedResult recordWithOutputs(
      WeakFingerprint weak, Path input, String name, Digest shared, Digest own) throws Exception {
    return f.record(
        weak,
        List.of(access(AccessKind.READ, input)),
        name,
        Map.of(
            "shared.bin",
            new Output.RegularFile(shared, 0644),
            name + ".bin",
            new Output.RegularFile(own, 0644)));
  }

  private long sizes(Iterable<Digest> blobs) throws Exception {
    long total = 0;
    for (Digest d : blobs) {
      total += f.cas.sizeOf(d);
    }
    return total;
  }

  /** Makes every stored blob older than the orphan grace period. */
  private void ageAllBlobs() throws Exception {
    FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
    for (Digest d : f.cas.digests()) {
      Files.setLastModifiedTime(f.cas.pathOf(d), old);
    }
  }
}
