package dev.airlock.daemon.determinism;

import dev.airlock.protocol.PathBytes;
import java.util.Objects;
import java.util.Optional;

/**
 * One way two runs of an action on the same inputs came out differently: a file's content, mode,
 * link target or presence, stdout, stderr or the exit status.
 *
 * @param subject an absolute path, or {@link #STDOUT}, {@link #STDERR}, {@link #EXIT_STATUS}
 * @param content for {@link Kind#TEXT} and {@link Kind#BINARY}: where the contents differ
 * @param first for the other kinds: what the first run left (a mode in octal, a link target, what
 *     it did at the path, an exit status)
 * @param second the same of the second run
 */
public record Difference(
    String subject, Kind kind, Optional<ContentDifference> content, String first, String second) {
  public static final String STDOUT = "stdout";
  public static final String STDERR = "stderr";
  public static final String EXIT_STATUS = "exit status";

  /** What about the subject differs. */
  public enum Kind {
    TEXT,
    BINARY,
    MODE,
    PRESENCE,
    LINK_TARGET,
    STATUS
  }

  public Difference {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(content, "content");
    if (content.isPresent() != (kind == Kind.TEXT || kind == Kind.BINARY)) {
      throw new IllegalArgumentException("content goes with TEXT and BINARY only, not " + kind);
    }
  }

  /** Two contents that differ as {@code content} says. */
  static Difference ofContent(String subject, ContentDifference content) {
    return new Difference(
        subject, content.binary() ? Kind.BINARY : Kind.TEXT, Optional.of(content), "", "");
  }

  /** A difference of another kind, with what each run left. */
  static Difference of(String subject, Kind kind, String first, String second) {
    return new Difference(subject, kind, Optional.empty(), first, second);
  }

  /**
   * In words: {@code /w/out differs at line 1 ("1765" vs "1766")}, {@code /w/t.o differs at byte
   * 1234 (sizes 1400 and 1400)}, {@code exit status differs (0 vs signal 9)}.
   */
  public String describe() {
    String name = PathBytes.display(subject);
    return switch (kind) {
      case TEXT -> {
        ContentDifference c = content.orElseThrow();
        yield name
            + " differs at line "
            + c.line()
            + " ("
            + line(c.firstLine(), c.firstEnded())
            + " vs "
            + line(c.secondLine(), c.secondEnded())
            + ")";
      }
      case BINARY -> {
        ContentDifference c = content.orElseThrow();
        yield name
            + " differs at byte "
            + c.offset()
            + (c.firstSize() == c.secondSize()
                ? " (both " + c.firstSize() + " bytes)"
                : " (" + c.firstSize() + " vs " + c.secondSize() + " bytes)");
      }
      case MODE -> name + " has mode " + first + " vs " + second;
      case LINK_TARGET ->
          name + " links to " + PathBytes.display(first) + " vs " + PathBytes.display(second);
      case PRESENCE -> name + ": the first run " + first + ", the second " + second;
      case STATUS -> name + " differs (" + first + " vs " + second + ")";
    };
  }

  private static String line(String text, boolean ended) {
    return ended && text.isEmpty() ? "end of file" : "\"" + escape(text) + "\"";
  }

  /** Control characters (a tab, a carriage return) as escapes, so a line stays one line. */
  private static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f) {
        out.append(String.format("\\x%02x", (int) c));
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }
}
