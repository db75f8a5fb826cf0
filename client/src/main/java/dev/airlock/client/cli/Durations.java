package dev.airlock.client.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Human durations such as 30s, 500ms, 5m, 1h, or plain seconds: parsed, and said. */
final class Durations {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

  private Durations() {}

  static long parseMillis(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (try 30s, 500ms, 5m)");
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    double millis =
        switch (unit) {
          case "ms" -> value;
          case "m" -> value * 60_000;
          case "h" -> value * 3_600_000;
          default -> value * 1_000;
        };
    if (millis < 1) {
      throw new IllegalArgumentException("the duration must be at least 1ms: '" + text + "'");
    }
    return Math.round(millis);
  }

  /** "15 minutes", "90 seconds", "1 hour", "250 ms": the largest unit that divides it. */
  static String format(long millis) {
    if (millis > 0 && millis % 3_600_000 == 0) {
      return count(millis / 3_600_000, "hour");
    }
    if (millis > 0 && millis % 60_000 == 0) {
      return count(millis / 60_000, "minute");
    }
    if (millis > 0 && millis % 1_000 == 0) {
      return count(millis / 1_000, "second");
    }
    return millis + " ms";
  }

  private static String count(long n, String unit) {
    return n + " " + unit + (n == 1 ? "" : "s");
  }
}
