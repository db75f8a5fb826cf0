package dev.airlock.client.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses human durations such as 30s, 500ms, 5m, 1h, or plain seconds. */
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
}
