package dev.airlock.client.learn;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.PathBytes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where learning gets its runs: an action's result as the daemon sent it, or a JSON report written
 * earlier, either by {@code airlock run --report} (the whole access record) or by {@code airlock
 * audit --json} (what was undeclared, the toolchain's reads, executed tools, network use).
 */
public final class ObservedRuns {
  private ObservedRuns() {}

  /** The run an action's result records. */
  public static ObservedRun fromResult(
      ActionResult result, String workspace, List<String> command) {
    boolean complete =
        result.getAccessReport().getTraced()
            && result.getAccessReport().getObservationGapsCount() == 0;
    return new ObservedRun(
        workspace, command, result.getAccessReport().getAccessesList(), complete);
  }

  /**
   * The run a JSON report records.
   *
   * @param workspace the workspace to use when the report names none (an audit report does not)
   * @throws IllegalArgumentException saying what is wrong with the document
   */
  public static ObservedRun fromJson(String json, Optional<String> workspace) {
    JsonObject report;
    try {
      JsonElement root = JsonParser.parseString(json);
      if (!root.isJsonObject()) {
        throw new IllegalArgumentException("it is not a JSON object");
      }
      report = root.getAsJsonObject();
    } catch (JsonParseException e) {
      throw new IllegalArgumentException("it is not valid JSON: " + e.getMessage(), e);
    }
    if (report.has("accesses")) {
      return fromRunReport(report, workspace);
    }
    if (report.has("undeclared_reads")) {
      return fromAuditReport(report, workspace);
    }
    throw new IllegalArgumentException(
        "it is neither an 'airlock run --report' nor an 'airlock audit --json' report"
            + " (no 'accesses' or 'undeclared_reads')");
  }

  private static ObservedRun fromRunReport(JsonObject report, Optional<String> workspace) {
    String root =
        workspace.orElseGet(
            () ->
                report.has("workspace")
                    ? report.get("workspace").getAsString()
                    : string(report, "cwd"));
    List<Access> accesses = new ArrayList<>();
    for (JsonElement e : array(report, "accesses")) {
      JsonObject a = e.getAsJsonObject();
      accesses.add(
          access(
              kind(string(a, "kind")),
              string(a, "path"),
              a.has("errno") ? a.get("errno").getAsInt() : 0));
    }
    boolean complete = !report.has("complete") || report.get("complete").getAsBoolean();
    return new ObservedRun(root, strings(report, "argv"), accesses, complete);
  }

  private static ObservedRun fromAuditReport(JsonObject report, Optional<String> workspace) {
    String root =
        workspace.orElseThrow(
            () ->
                new IllegalArgumentException(
                    "an audit report does not name its workspace: give --workspace"));
    List<Access> accesses = new ArrayList<>();
    for (String field : List.of("undeclared_reads", "toolchain_reads")) {
      for (String path : strings(report, field)) {
        accesses.add(access(AccessKind.READ, path, 0));
      }
    }
    for (String field : List.of("undeclared_executables", "executed")) {
      for (String path : strings(report, field)) {
        accesses.add(access(AccessKind.EXEC, path, 0));
      }
    }
    for (JsonElement e : array(report, "undeclared_writes")) {
      JsonObject w = e.getAsJsonObject();
      accesses.add(access(kind(string(w, "kind")), string(w, "path"), 0));
    }
    for (String address : strings(report, "network")) {
      accesses.add(access(AccessKind.CONNECT, address, 0));
    }
    // An audit lists only what lies outside the declarations: the declared inputs' reads are not
    // in it, so such a policy is as complete as the declarations it was audited against.
    return new ObservedRun(root, List.of("(audit report)"), accesses, false);
  }

  private static Access access(AccessKind kind, String path, int errno) {
    return Access.newBuilder()
        .setKind(kind)
        .setPath(PathBytes.toWire(path))
        .setErrno(errno)
        .build();
  }

  /** The kind a report's label names ("absent-probe" is ABSENT_PROBE). */
  private static AccessKind kind(String label) {
    try {
      return AccessKind.valueOf(label.toUpperCase(Locale.ROOT).replace('-', '_'));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown access kind '" + label + "'", e);
    }
  }

  private static String string(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null || !e.isJsonPrimitive()) {
      throw new IllegalArgumentException("'" + field + "' is missing or not a string");
    }
    return e.getAsString();
  }

  private static JsonArray array(JsonObject o, String field) {
    JsonElement e = o.get(field);
    if (e == null) {
      return new JsonArray();
    }
    if (!e.isJsonArray()) {
      throw new IllegalArgumentException("'" + field + "' is not an array");
    }
    return e.getAsJsonArray();
  }

  private static List<String> strings(JsonObject o, String field) {
    List<String> values = new ArrayList<>();
    for (JsonElement e : array(o, field)) {
      values.add(e.getAsString());
    }
    return values;
  }
}
