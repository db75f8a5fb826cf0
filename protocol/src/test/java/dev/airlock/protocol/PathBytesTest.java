package dev.airlock.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PathBytesTest {
  private static byte[] bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return b;
  }

  @Test
  void everyByteStringDecodesToOneStringAndBack() {
    Random random = new Random(42);
    Map<String, byte[]> seen = new HashMap<>();
    for (int round = 0; round < 20_000; round++) {
      byte[] name = new byte[random.nextInt(12)];
      random.nextBytes(name);
      String s = PathBytes.decode(name);
      assertArrayEquals(name, PathBytes.encode(s), () -> "round trip of " + s);
      byte[] before = seen.putIfAbsent(s, name);
      assertTrue(before == null || Arrays.equals(before, name), "two byte strings, one string");
    }
    for (int b = 0; b < 256; b++) {
      byte[] one = bytes(b);
      assertArrayEquals(one, PathBytes.encode(PathBytes.decode(one)));
    }
  }

  @Test
  void validUtf8DecodesAsTextAndOnlyBadBytesAreEscaped() {
    assertEquals(
        "plain/ü/日本/😀", PathBytes.decode("plain/ü/日本/😀".getBytes(StandardCharsets.UTF_8)));
    assertEquals("bad\uDCFF.txt", PathBytes.decode(bytes('b', 'a', 'd', 0xff, '.', 't', 'x', 't')));
    // An overlong '/', an encoded surrogate and a truncated sequence are not UTF-8.
    assertEquals("\uDCC0\uDCAF", PathBytes.decode(bytes(0xc0, 0xaf)));
    assertEquals("\uDCED\uDCA0\uDC80", PathBytes.decode(bytes(0xed, 0xa0, 0x80)));
    assertEquals("a\uDCE6\uDC97", PathBytes.decode(bytes('a', 0xe6, 0x97)));
    assertTrue(PathBytes.isUtf8("ü"));
    assertFalse(PathBytes.isUtf8("bad\uDCFF"));
    assertEquals("bad\\xFF.txt", PathBytes.display("bad\uDCFF.txt"));
  }

  @Test
  void jdkPathsOfUndecodableNamesKeepTheirBytes(@TempDir Path dir) throws IOException {
    String odd = "bad\uDCFF\uDCFE é %41 #?.txt";
    Path file = PathBytes.resolve(dir, odd);
    Files.writeString(file, "x");
    List<Path> listed;
    try (Stream<Path> entries = Files.list(dir)) {
      listed = entries.toList();
    }
    assertEquals(1, listed.size());
    assertEquals(odd, PathBytes.of(listed.get(0).getFileName()));
    assertEquals(PathBytes.of(dir) + "/" + odd, PathBytes.of(listed.get(0)));
    // The JDK itself would have lost the bytes: its string has U+FFFD where they were.
    assertTrue(listed.get(0).getFileName().toString().contains("\uFFFD"));
    assertEquals(listed.get(0), PathBytes.toPath(PathBytes.of(dir) + "/" + odd));

    Path sub = PathBytes.resolve(dir, "d\uDC80");
    Files.createDirectory(sub);
    assertEquals(PathBytes.of(dir) + "/d\uDC80", PathBytes.of(sub), "no slash for a directory");
    Path relative = dir.relativize(sub);
    assertEquals("d\uDC80", PathBytes.of(relative));
    assertEquals(relative, PathBytes.toPath("d\uDC80"));
  }

  @Test
  void wireFormIsTheRawBytes() {
    assertArrayEquals(bytes('/', 'x', 0xff), PathBytes.toWire("/x\uDCFF").toByteArray());
    assertEquals("/x\uDCFF", PathBytes.fromWire(PathBytes.toWire("/x\uDCFF")));
    assertEquals(
        List.of("a", "b\uDC99"), PathBytes.fromWire(PathBytes.toWire(List.of("a", "b\uDC99"))));
  }
}
