package dev.airlock.daemon.determinism;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Finds the first difference between two contents, by byte offset and, for text, by line. */
public final class ContentComparison {
  /** How many leading bytes decide whether content is binary: a NUL among them makes it so. */
  public static final int BINARY_PROBE = 8000;

  /** Longest line a difference shows, in characters; longer ones are cut and end in "...". */
  public static final int MAX_LINE_CHARS = 80;

  private static final int CHUNK = 64 * 1024;

  private ContentComparison() {}

  /** Where {@code first} and {@code second} first differ, or empty when they are identical. */
  public static Optional<ContentDifference> compare(Content first, Content second)
      throws IOException {
    long firstSize = first.size();
    long secondSize = second.size();
    byte[] a = new byte[CHUNK];
    byte[] b = new byte[CHUNK];
    long position = 0;
    long newlines = 0;
    long lineStart = 0;
    long offset = -1;
    long common = Math.min(firstSize, secondSize);
    while (position < common && offset < 0) {
      int want = (int) Math.min(CHUNK, common - position);
      int n = Math.min(first.read(position, a, want), second.read(position, b, want));
      if (n <= 0) {
        break;
      }
      int i = 0;
      while (i < n && a[i] == b[i]) {
        if (a[i] == '\n') {
          newlines++;
          lineStart = position + i + 1;
        }
        i++;
      }
      if (i < n) {
        offset = position + i;
      }
      position += n;
    }
    if (offset < 0) {
      if (firstSize == secondSize) {
        return Optional.empty();
      }
      offset = common;
    }
    boolean binary = hasNul(first) || hasNul(second);
    if (binary) {
      return Optional.of(new ContentDifference(offset, firstSize, secondSize, true, 0, "", ""));
    }
    return Optional.of(
        new ContentDifference(
            offset,
            firstSize,
            secondSize,
            false,
            newlines + 1,
            lineAt(first, lineStart),
            lineAt(second, lineStart)));
  }

  private static boolean hasNul(Content content) throws IOException {
    byte[] probe = new byte[BINARY_PROBE];
    int n = content.read(0, probe, BINARY_PROBE);
    for (int i = 0; i < n; i++) {
      if (probe[i] == 0) {
        return true;
      }
    }
    return false;
  }

  /** The line starting at {@code start}, without its newline, cut to {@link #MAX_LINE_CHARS}. */
  private static String lineAt(Content content, long start) throws IOException {
    // Four bytes per character at most in UTF-8, one more to know whether it was cut.
    byte[] bytes = new byte[4 * MAX_LINE_CHARS + 4];
    int n = content.read(start, bytes, bytes.length);
    int end = 0;
    while (end < n && bytes[end] != '\n') {
      end++;
    }
    String line = new String(bytes, 0, end, StandardCharsets.UTF_8);
    boolean cut = end == n && start + n < content.size();
    if (line.codePointCount(0, line.length()) > MAX_LINE_CHARS) {
      line = line.substring(0, line.offsetByCodePoints(0, MAX_LINE_CHARS));
      cut = true;
    }
    return cut ? line + "..." : line;
  }
}
