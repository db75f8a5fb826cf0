package dev.airlock.daemon.cache;

import static dev.airlock.daemon.cache.CacheFixture.access;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What invalidates a cached result and what does not, on real files, LMDB and CAS. */
class LmdbActionCacheTest {
  @TempDir Path stateDir;
  @TempDir Path work;
  private CacheFixture f;
  private final WeakFingerprint weak = CacheFixture.weak("cc", "-c", "main.c");
  private Path src;
  private Path header;
  private Path inc;

  @BeforeEach
  void setUp() throws Exception {
    f = new CacheFixture(stateDir, StatCache.DEFAULT_GRANULARITY);
    src = Files.writeString(work.resolve("main.c"), "#include \"main.h\"\nint main(){}\n");
    inc = Files.createDirectory(work.resolve("inc"));
    header = Files.writeString(work.resolve("main.h"), "#define X 1\n");
  }

  @AfterEach
  void tearDown() {
    f.close();
  }

  /** cc reads main.c and main.h, looks for inc/main.h first (absent), and lists inc/. */
  private List<Access> compile() {
    return List.of(
        access(AccessKind.READ, src),
        access(AccessKind.ABSENT_PROBE, inc.resolve("main.h")),
        access(AccessKind.READ, header),
        access(AccessKind.ENUMERATE, inc),
        access(AccessKind.CREATE, work.resolve("main.o")));
  }

  private Optional<CacheHit> lookup() throws Exception {
    return f.cache.lookup(weak, f.reader);
  }

  @Test
  void anUnchangedWorkspaceHits() throws Exception {
    CachedResult recorded = f.record(weak, compile(), "ok");
    CacheHit hit = lookup().orElseThrow();
    assertEquals(recorded, hit.result());
    assertEquals("ok", new String(f.cas.read(hit.result().stdout())));
    assertTrue(f.cache.lookup(CacheFixture.weak("cc", "-c", "other.c"), f.reader).isEmpty());
  }

  @Test
  void changingAFileItReadMisses() throws Exception {
    f.record(weak, compile(), "ok");
    Files.writeString(header, "#define X 2\n");
    assertTrue(lookup().isEmpty());
  }

  @Test
  void changingAFileOutsideThePathSetInTheSameDirectoryHits() throws Exception {
    Files.writeString(work.resolve("unrelated.c"), "a");
    f.record(weak, compile(), "ok");
    Files.writeString(work.resolve("unrelated.c"), "b");
    Files.writeString(work.resolve("brand-new.c"), "c");
    assertTrue(lookup().isPresent(), "work/ itself was never listed");
  }

  @Test
  void creatingAFileWhereAnAbsentProbeWasMisses() throws Exception {
    f.record(weak, compile(), "ok");
    Files.writeString(inc.resolve("main.h"), "#define X 3\n");
    assertTrue(lookup().isEmpty(), "the include search path now finds inc/main.h first");
  }

  @Test
  void addingAFileToAListedDirectoryMisses() throws Exception {
    f.record(weak, compile(), "ok");
    Files.writeString(inc.resolve("extra.h"), "");
    Files.delete(inc.resolve("extra.h"));
    assertTrue(lookup().isPresent(), "the same names again");
    Files.writeString(inc.resolve("extra.h"), "");
    assertTrue(lookup().isEmpty());
  }

  @Test
  void aTouchWithoutAContentChangeHitsAfterRehashing() throws Exception {
    f.record(weak, compile(), "ok");
    long hashedBefore = f.statCache.hashedCount();
    Files.setLastModifiedTime(header, FileTime.from(Instant.now().plusSeconds(60)));
    assertTrue(lookup().isPresent());
    assertTrue(f.statCache.hashedCount() > hashedBefore, "main.h was read again, not trusted");
  }

  @Test
  void sameSizeAndMtimeButNewContentInTheRacyWindowMisses() throws Exception {
    f.record(weak, compile(), "ok");
    FileTime mtime = Files.getLastModifiedTime(header);
    Files.writeString(header, "#define X 9\n");
    Files.setLastModifiedTime(header, mtime);
    assertTrue(lookup().isEmpty());
  }

  @Test
  void aCorruptBlobIsAMissAndTheEntryIsDropped() throws Exception {
    CachedResult result = f.record(weak, compile(), "ok");
    Path blob = f.cas.pathOf(result.stdout());
    Files.setPosixFilePermissions(blob, PosixFilePermissions.fromString("rw-------"));
    Files.writeString(blob, "KO");
    assertThrows(CorruptBlobException.class, () -> f.cas.read(result.stdout()));
    assertTrue(lookup().isEmpty());
    assertEquals(0, f.cache.stats().entries(), "dropped, not kept for the next lookup");
    f.record(weak, compile(), "ok");
    assertTrue(lookup().isPresent(), "a rerun records it again");
  }

  @Test
  void eachRecordedPathSetIsTried() throws Exception {
    Path other = Files.writeString(work.resolve("other.h"), "y");
    f.record(weak, compile(), "with main.h");
    f.record(
        weak,
        List.of(access(AccessKind.READ, src), access(AccessKind.READ, other)),
        "with other.h");
    Files.writeString(header, "#define X 5\n");
    assertEquals("action-with other.h", lookup().orElseThrow().result().actionId());
    Files.writeString(other, "z");
    assertTrue(lookup().isEmpty());
    assertEquals(2, f.cache.stats().pathSets());
  }

  @Test
  void aStatOnlyInputIgnoresContent() throws Exception {
    Path config = Files.writeString(work.resolve("config"), "v1");
    f.record(weak, List.of(access(AccessKind.STAT_PROBE, config)), "ok");
    Files.writeString(config, "v2, a different size");
    assertTrue(lookup().isPresent());
    Files.delete(config);
    assertTrue(lookup().isEmpty());
  }

  @Test
  void aSymlinkFollowedIsComparedByItsTarget() throws Exception {
    Path link = Files.createSymbolicLink(work.resolve("current.h"), Path.of("main.h"));
    f.record(weak, List.of(access(AccessKind.READ, link), access(AccessKind.READ, header)), "ok");
    assertTrue(lookup().isPresent());
    Files.delete(link);
    Files.createSymbolicLink(link, Path.of("main.c"));
    assertTrue(lookup().isEmpty());
  }

  @Test
  void explainNamesTheFirstChangedPath() throws Exception {
    assertTrue(f.cache.explain(weak, f.reader).isEmpty(), "nothing recorded yet");
    f.record(weak, compile(), "ok");
    Files.writeString(header, "#define X 7\n");
    Explanation why = f.cache.explain(weak, f.reader).orElseThrow();
    Explanation.Difference first = why.firstDifference().orElseThrow();
    assertEquals(header.toString(), first.path().path());
    assertEquals(
        new PathState.FileContent(Digest.sha256("#define X 1\n".getBytes())), first.recorded());
    assertEquals(new PathState.FileContent(Digest.sha256("#define X 7\n".getBytes())), first.now());
    assertEquals(3, why.pathsMatching());
    assertEquals(1, why.differences().size());
  }

  @Test
  void recordRefusesAResultWhoseBlobsAreMissing() throws Exception {
    PathSet set = PathSet.fromAccesses(compile(), List.of());
    Digest missing = Digest.sha256(new byte[] {42});
    CachedResult result = CachedResult.of(0, missing, missing, Map.of(), "a", Instant.now());
    assertThrows(
        IllegalArgumentException.class,
        () -> f.cache.record(weak, set, f.reader.readAll(set.paths()), result));
    assertFalse(lookup().isPresent());
  }

  @Test
  void entriesSurviveAReopen() throws Exception {
    CachedResult recorded =
        f.record(
            weak,
            compile(),
            "ok",
            Map.of(
                "main.o", new Output.RegularFile(f.cas.put("obj".getBytes()), 0644),
                "bin", new Output.Directory(0755),
                "latest", new Output.Symlink("main.o"),
                "stale.o", new Output.Deleted()));
    assertTrue(lookup().isPresent());
    f.reopen();
    assertEquals(recorded, lookup().orElseThrow().result());
    CacheStats stats = f.cache.stats();
    assertEquals(1, stats.entries());
    assertEquals(2, stats.hits(), "counters were saved on close");
    assertEquals(0, stats.misses());
    assertEquals(1.0, stats.hitRate());
  }
}
