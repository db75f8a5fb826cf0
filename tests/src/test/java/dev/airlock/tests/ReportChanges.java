package dev.airlock.tests;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "changes" object of an {@code airlock run --report} document, read with patterns that follow
 * the layout ReportJson writes (the tests have no JSON library; paths here hold no quotes).
 *
 * @param files one "kind path" string per change, in report order, paths absolute
 */
record ReportChanges(
    String outcome,
    String reason,
    String keptAt,
    List<String> undeclared,
    List<String> conflicts,
    List<String> files) {
  private static final String STRING = "\"((?:[^\"\\\\]|\\\\.)*)\"";
  private static final Pattern OUTCOME = Pattern.compile("^\\{\"outcome\": " + STRING);
  private static final Pattern REASON = Pattern.compile("\"reason\": " + STRING);
  private static final Pattern KEPT_AT = Pattern.compile("\"kept_at\": " + STRING);
  private static final Pattern UNDECLARED = Pattern.compile("\"undeclared\": \\[([^]]*)]");
  private static final Pattern CONFLICTS = Pattern.compile("\"conflicts\": \\[([^]]*)]");
  private static final Pattern FILE =
      Pattern.compile("\\{\"kind\": \"([a-z-]+)\", \"path\": " + STRING);
  private static final Pattern QUOTED = Pattern.compile(STRING);

  ReportChanges {
    undeclared = List.copyOf(undeclared);
    conflicts = List.copyOf(conflicts);
    files = List.copyOf(files);
  }

  /** The files as "kind path" with paths relative to {@code root}, sorted. */
  List<String> sortedFilesRelativeTo(Path root) {
    String prefix = " " + root + "/";
    return files.stream().map(f -> f.replace(prefix, " ")).sorted().toList();
  }

  /** Reads the "changes" object of a whole report. */
  static ReportChanges parse(String report) {
    int start = report.indexOf("\"changes\": {");
    int end = report.indexOf(",\n  \"accesses\": ");
    if (start < 0 || end < start) {
      throw new AssertionError("no \"changes\" object in the report:\n" + report);
    }
    String changes = report.substring(start + "\"changes\": ".length(), end);
    List<String> files = new ArrayList<>();
    Matcher file = FILE.matcher(changes);
    while (file.find()) {
      files.add(file.group(1) + " " + file.group(2));
    }
    return new ReportChanges(
        required(OUTCOME, changes),
        optional(REASON, changes),
        optional(KEPT_AT, changes),
        strings(required(UNDECLARED, changes)),
        strings(required(CONFLICTS, changes)),
        files);
  }

  private static String required(Pattern pattern, String text) {
    String value = optional(pattern, text);
    if (value.isEmpty() && !pattern.matcher(text).find()) {
      throw new AssertionError("no " + pattern + " in the report's changes: " + text);
    }
    return value;
  }

  private static String optional(Pattern pattern, String text) {
    Matcher m = pattern.matcher(text);
    return m.find() ? m.group(1) : "";
  }

  private static List<String> strings(String list) {
    List<String> out = new ArrayList<>();
    Matcher m = QUOTED.matcher(list);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }
}
