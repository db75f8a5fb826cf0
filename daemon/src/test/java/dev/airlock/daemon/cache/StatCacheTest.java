package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.airlock.daemon.store.StateDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatCacheTest {
  private static final Duration SHORT = Duration.ofMillis(20);

  @TempDir Path stateDir;
  @TempDir Path work;
  private final MovableClock clock = new MovableClock();
  private StateDatabase db;

  @BeforeEach
  void open() throws Exception {
    db = StateDatabase.open(stateDir.resolve("db"));
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void anUnchangedFileIsHashedOnce() throws Exception {
    StatCache cache = new StatCache(db, SHORT, clock);
    Path f = write("a.txt", "alpha");
    settle();
    assertEquals(Digest.sha256(bytes("alpha")), cache.digestOf(f));
    assertEquals(Digest.sha256(bytes("alpha")), cache.digestOf(f));
    assertEquals(1, cache.hashedCount(), "the second answer came from the cache");
  }

  @Test
  void aChangedFileIsRehashed() throws Exception {
    StatCache cache = new StatCache(db, SHORT, clock);
    Path f = write("a.txt", "alpha");
    settle();
    cache.digestOf(f);
    write("a.txt", "beta!");
    // No real time passed, so the kernel may stamp the rewrite as it stamped the write: stamp it
    // with the clock's time, as a rewrite that much later would be (same size, new mtime).
    Files.setLastModifiedTime(f, FileTime.from(clock.instant()));
    assertEquals(Digest.sha256(bytes("beta!")), cache.digestOf(f));
    assertEquals(2, cache.hashedCount());
  }

  @Test
  void entriesRecordedWithinTheWindowAreRehashedEachTime() throws Exception {
    StatCache cache = new StatCache(db, Duration.ofHours(1));
    Path f = write("a.txt", "alpha");
    cache.digestOf(f);
    cache.digestOf(f);
    assertEquals(2, cache.hashedCount(), "racy-clean entries are never trusted");
  }

  @Test
  void sameSizeAndMtimeButNewContentInTheRacyWindowIsSeen() throws Exception {
    StatCache cache = new StatCache(db, StatCache.DEFAULT_GRANULARITY);
    Path f = write("a.txt", "alpha");
    FileTime mtime = Files.getLastModifiedTime(f);
    assertEquals(Digest.sha256(bytes("alpha")), cache.digestOf(f));
    write("a.txt", "omega");
    Files.setLastModifiedTime(f, mtime);
    assertEquals(Digest.sha256(bytes("omega")), cache.digestOf(f));
  }

  @Test
  void racinessComparesBothTimestampsWithTheRecordingTime() {
    long recordedAt = 10_000_000_000L;
    long g = 100_000_000L;
    StatFingerprint old =
        new StatFingerprint(FileType.FILE, 1, 2, 3, recordedAt - 2 * g, recordedAt - 2 * g);
    assertFalse(StatCache.isRacy(old, recordedAt, g));
    StatFingerprint freshMtime =
        new StatFingerprint(FileType.FILE, 1, 2, 3, recordedAt - g / 2, old.ctimeNanos());
    assertTrue(StatCache.isRacy(freshMtime, recordedAt, g));
    StatFingerprint freshCtime =
        new StatFingerprint(FileType.FILE, 1, 2, 3, old.mtimeNanos(), recordedAt - g);
    assertTrue(StatCache.isRacy(freshCtime, recordedAt, g), "the boundary itself is racy");
    StatFingerprint future =
        new StatFingerprint(FileType.FILE, 1, 2, 3, recordedAt + g, recordedAt + g);
    assertTrue(StatCache.isRacy(future, recordedAt, g), "a clock step back is not trusted");
  }

  @Test
  void aListingDigestFollowsNamesAndTypesNotContent() throws Exception {
    StatCache cache = new StatCache(db, SHORT);
    Path dir = Files.createDirectory(work.resolve("d"));
    Files.writeString(dir.resolve("x"), "1");
    Digest first = cache.digestOf(dir);
    Files.writeString(dir.resolve("x"), "2");
    assertEquals(first, StatCache.listingDigest(dir), "content is not part of a listing");
    Files.writeString(dir.resolve("y"), "new");
    Digest withY = cache.digestOf(dir);
    assertNotEquals(first, withY);
    Files.delete(dir.resolve("y"));
    Files.createDirectory(dir.resolve("y"));
    assertNotEquals(withY, cache.digestOf(dir), "a file replaced by a directory");
  }

  @Test
  void batchesAnswerInOrder() throws Exception {
    StatCache cache = new StatCache(db, SHORT);
    Path a = write("a", "A");
    Path b = write("b", "B");
    List<Digest> digests =
        cache.digests(
            List.of(a, b, a),
            List.of(
                StatFingerprint.read(a).orElseThrow(),
                StatFingerprint.read(b).orElseThrow(),
                StatFingerprint.read(a).orElseThrow()));
    assertEquals(
        List.of(Digest.sha256(bytes("A")), Digest.sha256(bytes("B")), Digest.sha256(bytes("A"))),
        digests);
  }

  @Test
  void veryLongPathsAreKeyedByTheirHash() throws Exception {
    StatCache cache = new StatCache(db, SHORT);
    Path deep = work;
    for (int i = 0; i < 12; i++) {
      deep = deep.resolve("d".repeat(50) + i);
    }
    Files.createDirectories(deep);
    Path f = Files.writeString(deep.resolve("f"), "deep");
    assertTrue(f.toString().length() > 511);
    assertEquals(Digest.sha256(bytes("deep")), cache.digestOf(f));
    assertEquals(33, StatCache.keyOf(f).length);
  }

  @Test
  void refusesWhatItCannotDigest() throws Exception {
    StatCache cache = new StatCache(db, SHORT);
    assertThrows(NoSuchFileException.class, () -> cache.digestOf(work.resolve("missing")));
    Path link = Files.createSymbolicLink(work.resolve("l"), work.resolve("missing"));
    assertThrows(IllegalArgumentException.class, () -> cache.digestOf(link));
    assertThrows(IllegalArgumentException.class, () -> cache.digestOf(Path.of("relative")));
  }

  @Test
  void entriesSurviveReopening() throws Exception {
    Path f = write("a.txt", "alpha");
    settle();
    new StatCache(db, SHORT, clock).digestOf(f);
    db.close();
    db = StateDatabase.open(stateDir.resolve("db"));
    StatCache reopened = new StatCache(db, SHORT, clock);
    assertEquals(Digest.sha256(bytes("alpha")), reopened.digestOf(f));
    assertEquals(0, reopened.hashedCount());
  }

  private Path write(String name, String content) throws Exception {
    return Files.writeString(work.resolve(name), content);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** Moves the recording clock so that the files' timestamps fall out of the short racy window. */
  private void settle() {
    clock.advance(SHORT.multipliedBy(3));
  }
}
