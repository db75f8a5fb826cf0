package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fixed-output entries in a real LMDB cache and content store. */
class FixedOutputEntriesTest {
  @TempDir java.nio.file.Path stateDir;
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
  void theKeyIsTheDigestAloneAndNoOrdinaryFingerprint() {
    Digest a = Digest.sha256("a".getBytes(StandardCharsets.UTF_8));
    Digest b = Digest.sha256("b".getBytes(StandardCharsets.UTF_8));

    assertEquals(FixedOutputEntries.key(a), FixedOutputEntries.key(a));
    assertNotEquals(FixedOutputEntries.key(a), FixedOutputEntries.key(b));
    assertNotEquals(a, FixedOutputEntries.key(a).digest(), "domain-separated from the digest");
  }

  @Test
  void anEntryIsFoundWhileItsBlobIsStoredWithTheModeItRecorded() throws Exception {
    Digest content = f.cas.put("tool".getBytes(StandardCharsets.UTF_8));
    Digest empty = f.cas.put(new byte[0]);
    WeakFingerprint key = FixedOutputEntries.key(content);
    CachedResult entry = FixedOutputEntries.entry(content, 0755, empty, "act-1", Instant.now());
    f.cache.record(key, FixedOutputEntries.NO_PATHS, List.of(), entry);

    Optional<CacheHit> hit = f.cache.lookup(key, f.reader);
    assertTrue(hit.isPresent());
    assertTrue(FixedOutputEntries.isFixedOutput(hit.get().result()));
    assertEquals(0755, FixedOutputEntries.kept(hit.get().result(), content).orElseThrow().mode());
    assertEquals("act-1", hit.get().result().actionId());
    assertTrue(
        FixedOutputEntries.kept(hit.get().result(), empty).isEmpty(), "it keeps only its content");

    f.cas.delete(content);
    assertTrue(f.cache.lookup(key, f.reader).isEmpty(), "no hit without the blob");
  }

  @Test
  void gcKeepsTheBlobOfALiveEntryButNotAnUnkeptOne() throws Exception {
    Digest kept = f.cas.put("kept download".repeat(100).getBytes(StandardCharsets.UTF_8));
    Digest loose = f.cas.put("loose download".repeat(100).getBytes(StandardCharsets.UTF_8));
    Digest empty = f.cas.put(new byte[0]);
    f.cache.record(
        FixedOutputEntries.key(kept),
        FixedOutputEntries.NO_PATHS,
        List.of(),
        FixedOutputEntries.entry(kept, 0644, empty, "act-2", Instant.now()));
    FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
    for (Digest d : f.cas.digests()) {
      Files.setLastModifiedTime(f.cas.pathOf(d), old);
    }

    f.cache.gc(Long.MAX_VALUE);

    assertTrue(f.cas.contains(kept), "an entry keeps its download");
    assertFalse(f.cas.contains(loose), "an old blob no entry needs goes");
    assertTrue(f.cache.lookup(FixedOutputEntries.key(kept), f.reader).isPresent());
  }

  @Test
  void anOrdinaryEntryIsNoFixedOutputEntry() {
    Digest d = Digest.sha256(new byte[0]);
    CachedResult ordinary =
        CachedResult.of(
            0,
            d,
            d,
            java.util.Map.of("${workspace}/a", new Output.RegularFile(d, 0644)),
            "act",
            Instant.now());
    assertFalse(FixedOutputEntries.isFixedOutput(ordinary));
  }
}
