package dev.airlock.daemon.cache;

import static dev.airlock.daemon.cache.ObservationKind.CONTENT;
import static dev.airlock.daemon.cache.ObservationKind.EXISTENCE;
import static dev.airlock.daemon.cache.ObservationKind.LISTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.airlock.daemon.store.StateDatabase;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PathStateReaderTest {
  @TempDir Path stateDir;
  @TempDir Path work;
  private StateDatabase db;
  private PathStateReader reader;

  @BeforeEach
  void open() throws Exception {
    db = StateDatabase.open(stateDir.resolve("db"));
    reader = new PathStateReader(new StatCache(db, Duration.ofMillis(20)));
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void contentOfEachKindOfPath() throws Exception {
    Path file = Files.writeString(work.resolve("f"), "data");
    Path link = Files.createSymbolicLink(work.resolve("l"), Path.of("f"));
    Path dir = Files.createDirectory(work.resolve("d"));
    List<PathState> states =
        reader.readAll(
            List.of(
                observed(file, CONTENT),
                observed(link, CONTENT),
                observed(dir, CONTENT),
                observed(work.resolve("missing"), CONTENT)));
    assertEquals(
        List.of(
            new PathState.FileContent(Digest.sha256("data".getBytes(StandardCharsets.UTF_8))),
            new PathState.Symlink("f"),
            new PathState.Exists(FileType.DIRECTORY),
            PathState.ABSENT),
        states);
  }

  @Test
  void existenceIsTheTypeOnly() throws Exception {
    Path file = Files.writeString(work.resolve("f"), "one");
    PathState before = reader.read(observed(file, EXISTENCE));
    Files.writeString(file, "two, longer");
    assertEquals(new PathState.Exists(FileType.FILE), before);
    assertEquals(before, reader.read(observed(file, EXISTENCE)), "an edit is not observed");
  }

  @Test
  void aPathBelowAFileIsAbsent() throws Exception {
    Path file = Files.writeString(work.resolve("f"), "x");
    assertEquals(PathState.ABSENT, reader.read(observed(file.resolve("below"), EXISTENCE)));
    assertEquals(PathState.ABSENT, reader.read(observed(file.resolve("a/b"), CONTENT)));
  }

  @Test
  void listingsChangeWithEntriesNotTimestamps() throws Exception {
    Path dir = Files.createDirectory(work.resolve("d"));
    Files.writeString(dir.resolve("a"), "a");
    PathState first = reader.read(observed(dir, LISTING));
    assertInstanceOf(PathState.DirectoryListing.class, first);
    Files.setLastModifiedTime(dir, FileTime.fromMillis(0));
    assertEquals(first, reader.read(observed(dir, LISTING)));
    Files.writeString(dir.resolve("b"), "b");
    assertNotEquals(first, reader.read(observed(dir, LISTING)));
    assertEquals(
        new PathState.Exists(FileType.FILE), reader.read(observed(dir.resolve("a"), LISTING)));
  }

  @Test
  void aTouchKeepsTheContentState() throws Exception {
    Path file = Files.writeString(work.resolve("f"), "same");
    PathState before = reader.read(observed(file, CONTENT));
    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    assertEquals(before, reader.read(observed(file, CONTENT)));
  }

  private static ObservedPath observed(Path p, ObservationKind kind) {
    return new ObservedPath(p.toString(), kind);
  }
}
