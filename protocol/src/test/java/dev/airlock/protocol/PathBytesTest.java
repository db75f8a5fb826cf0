package dev.airlock.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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
  void validUtf8DecodesAsTextAndEscapedBytesShowAsHex() {
    assertEquals(
        "plain/ü/日本/😀", PathBytes.decode("plain/ü/日本/😀".getBytes(StandardCharsets.UTF_8)));
    assertTrue(PathBytes.isUtf8("ü"));
    assertFalse(PathBytes.isUtf8("bad\uDCFF"));
    assertEquals("bad\\xFF.txt", PathBytes.display("bad\uDCFF.txt"));
  }

  /** Byte strings that are not UTF-8, and their decoding: only the bad bytes are escaped. */
  static Stream<Arguments> notUtf8() {
    return Stream.of(
        arguments("a stray 0xFF", bytes('b', 'a', 'd', 0xff, '.', 't', 'x', 't'), "bad\uDCFF.txt"),
        arguments("an overlong '/'", bytes(0xc0, 0xaf), "\uDCC0\uDCAF"),
        arguments("an encoded surrogate", bytes(0xed, 0xa0, 0x80), "\uDCED\uDCA0\uDC80"),
        arguments("a truncated sequence", bytes('a', 0xe6, 0x97), "a\uDCE6\uDC97"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notUtf8")
  void onlyTheBytesThatAreNotUtf8AreEscaped(String what, byte[] name, String decoded) {
    assertEquals(decoded, PathBytes.decode(name), what);
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
