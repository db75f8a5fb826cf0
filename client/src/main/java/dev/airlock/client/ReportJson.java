package dev.airlock.client;

import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.AccessReport;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.CacheReport;
import dev.airlock.protocol.ChangeReport;
import dev.airlock.protocol.DeterminismReport;
import dev.airlock.protocol.DifferenceKind;
import dev.airlock.protocol.FileChange;
import dev.airlock.protocol.FileChangeKind;
import dev.airlock.protocol.OutputDifference;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.ProcessInfo;
import dev.airlock.protocol.Violation;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The JSON form of an action's result and access record (schema in the README, "The access
 * record"). Hand-written: the schema is small and the client stays free of a JSON library.
 */
public final class ReportJson {
  private ReportJson() {}

  /**
   * The report of one action as a JSON document.
   *
   * @param workspace the action's workspace root (${workspace} in policies)
   */
  public static String format(
      String actionId, List<String> argv, String cwd, String workspace, ActionResult result) {
    AccessReport report = result.getAccessReport();
    StringBuilder json = new StringBuilder(256 + report.getAccessesCount() * 80);
    json.append("{\n  \"action_id\": ").append(quote(actionId));
    json.append(",\n  \"argv\": ");
    strings(json, argv);
    json.append(",\n  \"cwd\": ").append(quote(cwd));
    json.append(",\n  \"workspace\": ").append(quote(workspace));
    json.append(",\n  \"outcome\": ")
        .append(quote(result.getOutcome().name().toLowerCase(Locale.ROOT)));
    if (result.getTerminationCase() == ActionResult.TerminationCase.SIGNAL) {
      json.append(",\n  \"signal\": ").append(result.getSignal());
    } else if (result.getTerminationCase() == ActionResult.TerminationCase.EXIT_CODE) {
      json.append(",\n  \"exit_code\": ").append(result.getExitCode());
    }
    if (!result.getLimit().isEmpty()) {
      json.append(",\n  \"limit\": ").append(quote(result.getLimit()));
    }
    if (!result.getMessage().isEmpty()) {
      json.append(",\n  \"message\": ").append(quote(result.getMessage()));
    }
    json.append(",\n  \"wall_time_ms\": ").append(millis(result.getWallTimeUs()));
    json.append(",\n  \"traced\": ").append(report.getTraced());
    json.append(",\n  \"complete\": ")
        .append(report.getTraced() && report.getObservationGapsCount() == 0);
    json.append(",\n  \"observation_gaps\": ");
    strings(json, report.getObservationGapsList());
    json.append(",\n  \"counts\": {");
    Map<String, Integer> counts = new TreeMap<>(report.getCountsMap());
    boolean first = true;
    for (Map.Entry<String, Integer> e : counts.entrySet()) {
      json.append(first ? "" : ", ")
          .append(quote(e.getKey()))
          .append(": ")
          .append(Integer.toUnsignedString(e.getValue()));
      first = false;
    }
    json.append("},\n  \"cache\": ");
    cache(json, result.getCache());
    json.append(",\n  \"changes\": ");
    changes(json, result.getChanges());
    if (result.hasDeterminism()) {
      json.append(",\n  \"determinism\": ");
      determinism(json, result.getDeterminism());
    }
    json.append(",\n  \"accesses\": [");
    first = true;
    for (Access a : report.getAccessesList()) {
      json.append(first ? "\n" : ",\n")
          .append("    {\"kind\": ")
          .append(quote(label(a)))
          .append(", \"path\": ")
          .append(quote(PathBytes.fromWire(a.getPath())))
          .append(", \"errno\": ")
          .append(a.getErrno())
          .append(", \"pid\": ")
          .append(a.getPid())
          .append('}');
      first = false;
    }
    json.append(first ? "]" : "\n  ]");
    json.append(",\n  \"violations\": [");
    first = true;
    for (Violation v : report.getViolationsList()) {
      json.append(first ? "\n" : ",\n")
          .append("    {\"kind\": ")
          .append(quote(label(v.getKind())))
          .append(", \"path\": ")
          .append(quote(PathBytes.fromWire(v.getPath())))
          .append(", \"pid\": ")
          .append(v.getPid())
          .append(", \"denied\": ")
          .append(v.getDenied())
          .append('}');
      first = false;
    }
    json.append(first ? "]" : "\n  ]");
    json.append(",\n  \"processes\": [");
    first = true;
    for (ProcessInfo p : report.getProcessesList()) {
      json.append(first ? "\n" : ",\n")
          .append("    {\"pid\": ")
          .append(p.getPid())
          .append(", \"parent_pid\": ")
          .append(p.getParentPid())
          .append(", \"argv\": ");
      strings(json, PathBytes.fromWire(p.getArgvList()));
      json.append(", \"exit_status\": ").append(p.getExitStatus()).append('}');
      first = false;
    }
    json.append(first ? "]" : "\n  ]");
    json.append("\n}\n");
    return json.toString();
  }

  private static void cache(StringBuilder json, CacheReport cache) {
    String status = cache.getStatus().name().toLowerCase(Locale.ROOT);
    json.append("{\"status\": ")
        .append(quote(status.startsWith("cache_") ? status.substring(6) : status));
    if (!cache.getReason().isEmpty()) {
      json.append(", \"reason\": ").append(quote(cache.getReason()));
    }
    if (!cache.getSourceAction().isEmpty()) {
      json.append(", \"source_action\": ").append(quote(cache.getSourceAction()));
      json.append(", \"source_time_ms\": ").append(Long.toUnsignedString(cache.getSourceTimeMs()));
    }
    if (cache.getFixedOutput()) {
      json.append(", \"fixed_output\": true");
    }
    if (cache.getFromRemote()) {
      json.append(", \"from_remote\": true");
    }
    if (cache.getUploaded()) {
      json.append(", \"uploaded\": true");
    }
    if (!cache.getRemoteWarning().isEmpty()) {
      json.append(", \"remote_warning\": ").append(quote(cache.getRemoteWarning()));
    }
    if (!cache.getDeterminism().isEmpty()) {
      json.append(", \"determinism\": ").append(quote(cache.getDeterminism()));
      if (cache.getNondeterministicOutputsCount() > 0) {
        json.append(", \"nondeterministic_outputs\": ");
        strings(json, PathBytes.fromWire(cache.getNondeterministicOutputsList()));
      }
    }
    json.append(", \"path_set_size\": ").append(Integer.toUnsignedString(cache.getPathSetSize()));
    json.append(", \"lookup_time_ms\": ").append(millis(cache.getLookupTimeUs()));
    json.append('}');
  }

  private static void changes(StringBuilder json, ChangeReport report) {
    json.append("{\"outcome\": ")
        .append(quote(report.getOutcome().name().toLowerCase(Locale.ROOT)));
    if (!report.getReason().isEmpty()) {
      json.append(", \"reason\": ").append(quote(report.getReason()));
    }
    if (!report.getKeptAt().isEmpty()) {
      json.append(", \"kept_at\": ").append(quote(PathBytes.fromWire(report.getKeptAt())));
    }
    json.append(", \"undeclared\": ");
    strings(json, PathBytes.fromWire(report.getUndeclaredList()));
    json.append(", \"conflicts\": ");
    strings(json, PathBytes.fromWire(report.getConflictsList()));
    if (report.getUnlisted() != 0) {
      json.append(", \"unlisted\": ").append(Long.toUnsignedString(report.getUnlisted()));
    }
    json.append(", \"files\": [");
    boolean first = true;
    for (FileChange c : report.getChangesList()) {
      json.append(first ? "\n" : ",\n")
          .append("    {\"kind\": ")
          .append(quote(c.getKind().name().toLowerCase(Locale.ROOT).replace('_', '-')))
          .append(", \"path\": ")
          .append(quote(PathBytes.fromWire(c.getPath())));
      if (c.getKind() == FileChangeKind.CREATED || c.getKind() == FileChangeKind.MODIFIED) {
        json.append(", \"size\": ").append(Long.toUnsignedString(c.getSize()));
      }
      if (c.getKind() != FileChangeKind.DELETED) {
        json.append(", \"mode\": ").append(quote(String.format(Locale.ROOT, "%04o", c.getMode())));
      }
      if (!c.getLinkTarget().isEmpty()) {
        json.append(", \"target\": ").append(quote(PathBytes.fromWire(c.getLinkTarget())));
      }
      json.append('}');
      first = false;
    }
    json.append(first ? "]}" : "\n  ]}");
  }

  private static void determinism(StringBuilder json, DeterminismReport report) {
    json.append("{\"checked\": ").append(report.getChecked());
    json.append(", \"deterministic\": ").append(report.getDeterministic());
    if (!report.getReason().isEmpty()) {
      json.append(", \"reason\": ").append(quote(report.getReason()));
    }
    json.append(", \"differences\": [");
    boolean first = true;
    for (OutputDifference d : report.getDifferencesList()) {
      String kind = d.getKind().name().toLowerCase(Locale.ROOT).substring("difference_".length());
      json.append(first ? "\n" : ",\n")
          .append("    {\"subject\": ")
          .append(quote(PathBytes.fromWire(d.getSubject())))
          .append(", \"kind\": ")
          .append(quote(kind.replace('_', '-')));
      if (d.getKind() == DifferenceKind.DIFFERENCE_TEXT) {
        json.append(", \"line\": ").append(Long.toUnsignedString(d.getLine()));
      }
      if (d.getKind() == DifferenceKind.DIFFERENCE_TEXT
          || d.getKind() == DifferenceKind.DIFFERENCE_BINARY) {
        json.append(", \"offset\": ").append(Long.toUnsignedString(d.getOffset()));
        json.append(", \"first_size\": ").append(Long.toUnsignedString(d.getFirstSize()));
        json.append(", \"second_size\": ").append(Long.toUnsignedString(d.getSecondSize()));
      }
      if (d.getKind() != DifferenceKind.DIFFERENCE_BINARY) {
        json.append(", \"first\": ").append(quote(d.getFirstText()));
        json.append(", \"second\": ").append(quote(d.getSecondText()));
      }
      json.append(", \"description\": ").append(quote(d.getDescription())).append('}');
      first = false;
    }
    json.append(first ? "]}" : "\n  ]}");
  }

  /**
   * Microseconds as milliseconds with three decimals. The protocol's counters are unsigned (uint32,
   * uint64) and Java reads them into signed ints and longs: a value past the signed range must not
   * print as a negative number.
   */
  private static String millis(long us) {
    return new BigDecimal(new BigInteger(Long.toUnsignedString(us)))
        .movePointLeft(3)
        .toPlainString();
  }

  /** The kind as reports name it: "read", "absent-probe", ... */
  public static String label(Access access) {
    return label(access.getKind());
  }

  private static String label(AccessKind kind) {
    return kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  private static void strings(StringBuilder json, List<String> values) {
    json.append('[');
    for (int i = 0; i < values.size(); i++) {
      json.append(i == 0 ? "" : ", ").append(quote(values.get(i)));
    }
    json.append(']');
  }

  /**
   * A JSON string. A byte of a file name that is not UTF-8 (see {@link PathBytes}) is written as
   * the escape {@code \\udcXX}, where XX is the byte: valid JSON, and exactly the string Python's
   * {@code os.fsdecode} gives for the name, so {@code os.fsencode} returns the original bytes.
   */
  static String quote(String s) {
    StringBuilder q = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> q.append("\\\"");
        case '\\' -> q.append("\\\\");
        case '\n' -> q.append("\\n");
        case '\r' -> q.append("\\r");
        case '\t' -> q.append("\\t");
        default -> {
          if (c < 0x20 || Character.isSurrogate(c) && !isPairedAt(s, i)) {
            q.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            q.append(c);
          }
        }
      }
    }
    return q.append('"').toString();
  }

  /** Whether the surrogate at {@code i} is half of a valid pair (an emoji, say), not a lone one. */
  private static boolean isPairedAt(String s, int i) {
    char c = s.charAt(i);
    return Character.isHighSurrogate(c)
        ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
        : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
  }
}
