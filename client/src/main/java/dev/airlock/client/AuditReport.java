package dev.airlock.client;

import dev.airlock.protocol.Access;
import dev.airlock.protocol.AccessKind;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Violation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What `airlock audit` shows: the undeclared dependencies of a command run under the {@code
 * declared} policy, grouped for people (reads by directory, the system toolchain folded), and the
 * same as JSON for machines. The daemon decides what is undeclared; this only groups it.
 */
public final class AuditReport {
  /** Directories whose reads are the system toolchain: folded into one line unless verbose. */
  static final List<String> TOOLCHAIN =
      List.of("/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc", "/dev", "/proc", "/sys");

  private final ActionResult result;
  private final Path workspace;
  private final List<Violation> undeclaredReads = new ArrayList<>();
  private final List<Violation> undeclaredWrites = new ArrayList<>();
  private final List<Violation> undeclaredExecs = new ArrayList<>();
  private final Set<String> toolchainReads = new LinkedHashSet<>();
  private final Set<String> absentInWorkspace = new LinkedHashSet<>();
  private final Set<String> executed = new LinkedHashSet<>();
  private final Set<String> network = new LinkedHashSet<>();
  private final Set<String> escapes = new LinkedHashSet<>();

  /** Paths the action opened or listed as directories. */
  private final Set<String> directories = new HashSet<>();

  /**
   * @param declaredInputs the request's declared inputs, absolute: listing the directory that holds
   *     one is part of reading it
   */
  public AuditReport(ActionResult result, Path workspace, List<String> declaredInputs) {
    this.result = result;
    this.workspace = workspace;
    Set<Path> listable = listableDirectories(workspace, declaredInputs);
    // The guard checks a directory's open for reading as a read of it; the record tells it
    // apart: the open itself is a stat-probe, and what the action did next a listing, not a
    // read of content.
    Set<String> contentReads = new HashSet<>();
    Set<String> opened = new HashSet<>();
    for (Access a : result.getAccessReport().getAccessesList()) {
      if (a.getErrno() != 0) {
        continue;
      }
      switch (a.getKind()) {
        case ENUMERATE -> directories.add(PathBytes.fromWire(a.getPath()));
        case STAT_PROBE -> opened.add(PathBytes.fromWire(a.getPath()));
        case READ -> contentReads.add(PathBytes.fromWire(a.getPath()));
        default -> {}
      }
    }
    opened.removeAll(contentReads);
    directories.addAll(opened);
    // The action's own files are not dependencies: what it created is no input, and what it
    // created and deleted again (a temporary) is no output either.
    Set<String> created = new HashSet<>();
    Set<String> deleted = new HashSet<>();
    for (Access a : result.getAccessReport().getAccessesList()) {
      if (a.getErrno() == 0
          && (a.getKind() == AccessKind.CREATE || a.getKind() == AccessKind.RENAME_TO)) {
        created.add(PathBytes.fromWire(a.getPath()));
      } else if (a.getErrno() == 0
          && (a.getKind() == AccessKind.DELETE || a.getKind() == AccessKind.RENAME_FROM)) {
        deleted.add(PathBytes.fromWire(a.getPath()));
      }
    }
    for (Violation v : result.getAccessReport().getViolationsList()) {
      boolean own = created.contains(PathBytes.fromWire(v.getPath()));
      boolean temporary = own && deleted.contains(PathBytes.fromWire(v.getPath()));
      switch (v.getKind()) {
        case READ, ENUMERATE -> {
          boolean declaredListing =
              isDirectory(v)
                  && listable.contains(PathBytes.toPath(PathBytes.fromWire(v.getPath())));
          if (!own && !declaredListing) {
            undeclaredReads.add(v);
          }
        }
        case EXEC -> undeclaredExecs.add(v);
        case CONNECT, ESCAPE -> {}
        default -> {
          if (!temporary) {
            undeclaredWrites.add(v);
          }
        }
      }
    }
    for (Access a : result.getAccessReport().getAccessesList()) {
      String path = PathBytes.fromWire(a.getPath());
      switch (a.getKind()) {
        case READ -> {
          if (a.getErrno() == 0 && inToolchain(path)) {
            toolchainReads.add(path);
          }
        }
        case ABSENT_PROBE -> {
          if (PathBytes.toPath(path).startsWith(workspace)) {
            absentInWorkspace.add(path);
          }
        }
        case EXEC -> executed.add(path);
        case CONNECT ->
            network.add(path + (a.getErrno() == 0 ? "" : " (errno " + a.getErrno() + ")"));
        case ESCAPE -> escapes.add(path + " (refused)");
        default -> {}
      }
    }
  }

  /**
   * Directories whose listing is no undeclared read: the workspace itself (make, a shell glob), and
   * each declared input's directory and the input itself (finding a declared file, or reading a
   * declared directory).
   */
  private static Set<Path> listableDirectories(Path workspace, List<String> declaredInputs) {
    Set<Path> listable = new HashSet<>();
    listable.add(workspace);
    for (String input : declaredInputs) {
      Path p = PathBytes.toPath(input);
      listable.add(p);
      if (p.getParent() != null) {
        listable.add(p.getParent());
      }
    }
    return listable;
  }

  /** Whether anything was read, written or executed outside what was declared. */
  public boolean hasUndeclared() {
    return !undeclaredReads.isEmpty() || !undeclaredWrites.isEmpty() || !undeclaredExecs.isEmpty();
  }

  /** The report for people. */
  public String format(boolean verbose) {
    StringBuilder out = new StringBuilder();
    out.append("airlock audit: ")
        .append(result.getAccessReport().getAccessCount())
        .append(" distinct accesses by ")
        .append(result.getAccessReport().getProcessesCount())
        .append(" processes\n");
    out.append("\nUndeclared reads (")
        .append(undeclaredReads.size())
        .append(undeclaredReads.isEmpty() ? "): none\n" : "), by directory:\n");
    for (Map.Entry<String, List<String>> dir : byDirectory(undeclaredReads).entrySet()) {
      String shown = dir.getKey().endsWith("/") ? dir.getKey() : dir.getKey() + "/";
      out.append(String.format("  %5d  %s%n", dir.getValue().size(), shown));
      if (verbose) {
        dir.getValue().forEach(f -> out.append("           ").append(f).append('\n'));
      }
    }
    if (!undeclaredExecs.isEmpty()) {
      out.append("\nUndeclared executables (").append(undeclaredExecs.size()).append("):\n");
      undeclaredExecs.forEach(
          v -> out.append("  ").append(PathBytes.fromWire(v.getPath())).append('\n'));
    }
    out.append("\nSystem toolchain reads: ").append(toolchainReads.size()).append(" files");
    if (verbose) {
      out.append('\n');
      toolchainReads.forEach(f -> out.append("  ").append(f).append('\n'));
    } else {
      out.append(" under ")
          .append(String.join(", ", usedToolchainRoots()))
          .append(" (--verbose lists them)\n");
    }
    out.append("\nUndeclared writes (")
        .append(undeclaredWrites.size())
        .append(undeclaredWrites.isEmpty() ? "): none\n" : "):\n");
    undeclaredWrites.forEach(
        v ->
            out.append("  ")
                .append(label(v.getKind()))
                .append(' ')
                .append(PathBytes.fromWire(v.getPath()))
                .append('\n'));
    section(
        out,
        "Absent probes inside the workspace",
        absentInWorkspace,
        verbose ? Integer.MAX_VALUE : 20);
    section(out, "Executed tools", executed, Integer.MAX_VALUE);
    section(out, "Network use", network, Integer.MAX_VALUE);
    section(out, "Denied escape attempts", escapes, Integer.MAX_VALUE);
    // A name that is not UTF-8 is shown with \xNN escapes (a terminal would show '?').
    return PathBytes.display(out.toString());
  }

  /** The report for machines. */
  public String json() {
    StringBuilder json = new StringBuilder("{\n");
    json.append("  \"undeclared_reads\": ");
    paths(json, undeclaredReads.stream().map(v -> PathBytes.fromWire(v.getPath())).toList());
    json.append(",\n  \"undeclared_executables\": ");
    paths(json, undeclaredExecs.stream().map(v -> PathBytes.fromWire(v.getPath())).toList());
    json.append(",\n  \"undeclared_writes\": [");
    for (int i = 0; i < undeclaredWrites.size(); i++) {
      Violation v = undeclaredWrites.get(i);
      json.append(i == 0 ? "" : ", ")
          .append("{\"kind\": ")
          .append(ReportJson.quote(label(v.getKind())))
          .append(", \"path\": ")
          .append(ReportJson.quote(PathBytes.fromWire(v.getPath())))
          .append('}');
    }
    json.append("],\n  \"toolchain_reads\": ");
    paths(json, new ArrayList<>(toolchainReads));
    json.append(",\n  \"absent_probes_in_workspace\": ");
    paths(json, new ArrayList<>(absentInWorkspace));
    json.append(",\n  \"executed\": ");
    paths(json, new ArrayList<>(executed));
    json.append(",\n  \"network\": ");
    paths(json, new ArrayList<>(network));
    json.append(",\n  \"escapes\": ");
    paths(json, new ArrayList<>(escapes));
    json.append(",\n  \"undeclared\": ").append(hasUndeclared()).append("\n}\n");
    return json.toString();
  }

  private static void section(StringBuilder out, String title, Set<String> items, int limit) {
    out.append('\n')
        .append(title)
        .append(" (")
        .append(items.size())
        .append(items.isEmpty() ? "): none\n" : "):\n");
    int shown = 0;
    for (String item : items) {
      if (shown++ == limit) {
        out.append("  ... ").append(items.size() - limit).append(" more (--verbose)\n");
        break;
      }
      out.append("  ").append(item).append('\n');
    }
  }

  /** Whether a read violation is of a directory (opened, listed) rather than a file's content. */
  private boolean isDirectory(Violation v) {
    return v.getKind() == AccessKind.ENUMERATE
        || directories.contains(PathBytes.fromWire(v.getPath()));
  }

  /** Reads by the directory they reveal: a file's parent, a directory read itself. */
  private Map<String, List<String>> byDirectory(List<Violation> violations) {
    Map<String, List<String>> dirs = new TreeMap<>();
    for (Violation v : violations) {
      Path p = PathBytes.toPath(PathBytes.fromWire(v.getPath()));
      if (isDirectory(v)) {
        dirs.computeIfAbsent(PathBytes.of(p), d -> new ArrayList<>()).add("(the directory)");
        continue;
      }
      String dir = p.getParent() == null ? "/" : PathBytes.of(p.getParent());
      dirs.computeIfAbsent(dir, d -> new ArrayList<>())
          .add(p.getFileName() == null ? "/" : PathBytes.of(p.getFileName()));
    }
    return dirs;
  }

  private List<String> usedToolchainRoots() {
    List<String> used = new ArrayList<>();
    for (String root : TOOLCHAIN) {
      if (toolchainReads.stream().anyMatch(p -> PathBytes.toPath(p).startsWith(root))) {
        used.add(root);
      }
    }
    return used;
  }

  private static boolean inToolchain(String path) {
    Path p = PathBytes.toPath(path);
    return TOOLCHAIN.stream().anyMatch(p::startsWith);
  }

  private static String label(AccessKind kind) {
    return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
  }

  private static void paths(StringBuilder json, List<String> values) {
    json.append('[');
    for (int i = 0; i < values.size(); i++) {
      json.append(i == 0 ? "" : ", ").append(ReportJson.quote(values.get(i)));
    }
    json.append(']');
  }
}
