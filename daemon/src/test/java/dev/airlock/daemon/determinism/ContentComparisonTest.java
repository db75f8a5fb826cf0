package dev.airlock.daemon.determinism;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContentComparisonTest {
  @Test
  void identicalContentsHaveNoDifference() throws IOException {
    assertEquals(Optional.empty(), compare("same\nlines\n", "same\nlines\n"));
    assertEquals(Optional.empty(), compare("", ""));
  }

  @Test
  void textNamesTheFirstDifferingLineAndBothLines() throws IOException {
    ContentDifference d = compare("one\ntwo\nSun 1765\nfour\n", "one\ntwo\nSun 1766\nfour\n").get();

    assertFalse(d.binary());
    assertEquals(3, d.line());
    assertEquals("Sun 1765", d.firstLine());
    assertEquals("Sun 1766", d.secondLine());
    assertEquals(15, d.offset());
    assertEquals(22, d.firstSize());
    assertEquals(22, d.secondSize());
  }

  @Test
  void aDifferenceOnTheFirstLineIsLine1() throws IOException {
    ContentDifference d = compare("1765000001\n", "1765000002\n").get();

    assertEquals(1, d.line());
    assertEquals("1765000001", d.firstLine());
    assertEquals("1765000002", d.secondLine());
    assertEquals(9, d.offset());
  }

  @Test
  void aPrefixDiffersWhereTheShorterEnds() throws IOException {
    ContentDifference d = compare("a\n", "a\nb\n").get();

    assertEquals(2, d.offset());
    assertEquals(2, d.line());
    assertTrue(d.firstEnded());
    assertFalse(d.secondEnded());
    assertEquals("", d.firstLine());
    assertEquals("b", d.secondLine());
    assertEquals(2, d.firstSize());
    assertEquals(4, d.secondSize());
  }

  @Test
  void longLinesAreCutAndSaySo() throws IOException {
    String a = "x".repeat(200) + "A\n";
    String b = "x".repeat(200) + "B\n";

    ContentDifference d = compare(a, b).get();

    assertEquals("x".repeat(ContentComparison.MAX_LINE_CHARS) + "...", d.firstLine());
    assertEquals(200, d.offset());
  }

  @Test
  void aNulByteInTheFirst8000BytesMakesItBinaryWithOffsetAndSizes() throws IOException {
    byte[] a = new byte[10_000];
    byte[] b = Arrays.copyOf(a, 10_004);
    a[9_000] = 1;
    b[9_000] = 2;

    ContentDifference d = ContentComparison.compare(Content.of(a), Content.of(b)).orElseThrow();

    assertTrue(d.binary());
    assertEquals(9_000, d.offset());
    assertEquals(10_000, d.firstSize());
    assertEquals(10_004, d.secondSize());
    assertEquals(0, d.line());
  }

  @Test
  void aNulOnlyInTheSecondContentStillMakesItBinary() throws IOException {
    ContentDifference d = compare("text\n", "te\0t\n").get();

    assertTrue(d.binary());
    assertEquals(2, d.offset());
  }

  @Test
  void differencesPastOneReadChunkAreFound(@TempDir Path dir) throws IOException {
    byte[] a = "line\n".repeat(40_000).getBytes(StandardCharsets.US_ASCII);
    byte[] b = a.clone();
    b[150_002] = 'X';
    Path fa = Files.write(dir.resolve("a"), a);
    Path fb = Files.write(dir.resolve("b"), b);

    ContentDifference d;
    try (FileChannel ca = FileChannel.open(fa);
        FileChannel cb = FileChannel.open(fb)) {
      d = ContentComparison.compare(Content.of(ca), Content.of(cb)).orElseThrow();
    }

    assertEquals(150_002, d.offset());
    assertEquals(30_001, d.line());
    assertEquals("line", d.firstLine());
    assertEquals("liXe", d.secondLine());
  }

  private static Optional<ContentDifference> compare(String a, String b) throws IOException {
    return ContentComparison.compare(
        Content.of(a.getBytes(StandardCharsets.UTF_8)),
        Content.of(b.getBytes(StandardCharsets.UTF_8)));
  }
}
