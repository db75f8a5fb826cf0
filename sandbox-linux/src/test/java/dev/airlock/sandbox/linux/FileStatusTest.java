package dev.airlock.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStatusTest {
  @TempDir Path dir;

  @Test
  void agreesWithTheJdksUnixAttributesForFilesDirectoriesAndLinks() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "twelve bytes");
    Files.setLastModifiedTime(
        file, FileTime.from(1_700_000_000_123_456_789L, TimeUnit.NANOSECONDS));
    Path link = Files.createSymbolicLink(dir.resolve("l"), Path.of("f"));
    for (Path p : new Path[] {file, dir, link}) {
      Map<String, Object> jdk =
          Files.readAttributes(
              p, "unix:mode,dev,ino,size,lastModifiedTime,ctime", LinkOption.NOFOLLOW_LINKS);
      FileStatus s = FileStatus.lstat(p).orElseThrow();
      assertEquals(jdk.get("mode"), s.mode(), p.toString());
      assertEquals(jdk.get("dev"), s.dev(), p.toString());
      assertEquals(jdk.get("ino"), s.ino(), p.toString());
      assertEquals(jdk.get("size"), s.size(), p.toString());
      assertEquals(
          ((FileTime) jdk.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS), s.mtimeNanos());
      assertEquals(((FileTime) jdk.get("ctime")).to(TimeUnit.NANOSECONDS), s.ctimeNanos());
    }
    assertEquals(1_700_000_000_123_456_789L, FileStatus.lstat(file).orElseThrow().mtimeNanos());
  }

  @Test
  void aMissingPathOrOneBelowAFileIsAbsent() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    assertTrue(FileStatus.lstat(dir.resolve("missing")).isEmpty());
    assertTrue(FileStatus.lstat(file.resolve("below")).isEmpty(), "ENOTDIR means absent");
  }
}
