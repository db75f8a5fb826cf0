package dev.airlock.daemon.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Path states as `airlock cache explain` says them: in words, never as record dumps. */
class PathStateTest {
  @Test
  void eachStateIsSaidInWords() {
    Digest digest = Digest.sha256("hello\n".getBytes(StandardCharsets.UTF_8));
    String shortHex = digest.hex().substring(0, 12);

    assertEquals(
        "a file with content sha256:" + shortHex + "...",
        new PathState.FileContent(digest).describe());
    assertEquals(
        "a directory whose listing hashes to sha256:" + shortHex + "...",
        new PathState.DirectoryListing(digest).describe());
    assertEquals("absent", PathState.ABSENT.describe());
    assertEquals("a symlink to 'lib.so.1'", new PathState.Symlink("lib.so.1").describe());
    assertEquals("a directory", new PathState.Exists(FileType.DIRECTORY).describe());
    assertEquals("a file", new PathState.Exists(FileType.FILE).describe());
    assertEquals("a symlink", new PathState.Exists(FileType.SYMLINK).describe());
    assertEquals("a device, fifo or socket", new PathState.Exists(FileType.OTHER).describe());
  }
}
