package dev.airlock.daemon.determinism;

/**
 * Where two contents first differ. For text (neither has a NUL byte in its first {@value
 * ContentComparison#BINARY_PROBE} bytes, git's rule) also the line that differs and that line in
 * each, cut short; a side that ended before the difference has an empty line and {@code firstEnded}
 * or {@code secondEnded}.
 *
 * @param offset the first byte offset at which they differ (the shorter one's size when one is a
 *     prefix of the other)
 * @param line 1-based; 0 for binary content
 */
public record ContentDifference(
    long offset,
    long firstSize,
    long secondSize,
    boolean binary,
    long line,
    String firstLine,
    String secondLine) {

  /** Whether the first content ended where they start to differ. */
  public boolean firstEnded() {
    return offset >= firstSize;
  }

  /** Whether the second content ended where they start to differ. */
  public boolean secondEnded() {
    return offset >= secondSize;
  }
}
