package dev.airlock.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** File errors as the JDK throws them, said in words. */
class FileErrorsTest {
  @TempDir Path dir;

  @Test
  void aMissingFileIsSaidSoNotJustNamed() {
    Path missing = dir.resolve("missing.textproto");
    IOException e = assertThrows(IOException.class, () -> Files.readString(missing));

    assertEquals("no such file or directory", FileErrors.reason(e));
    assertEquals(missing + ": no such file or directory", FileErrors.describe(e));
  }

  @Test
  void readingADirectoryKeepsTheKernelsReason() {
    IOException e = assertThrows(IOException.class, () -> Files.readString(dir));

    assertEquals("is a directory", FileErrors.reason(e));
  }

  @Test
  void aFileUnderAFileIsNotADirectory() throws Exception {
    Path file = Files.writeString(dir.resolve("f"), "x");
    IOException e =
        assertThrows(IOException.class, () -> Files.writeString(file.resolve("x.json"), "{}"));

    assertEquals("not a directory", FileErrors.reason(e));
  }
}
