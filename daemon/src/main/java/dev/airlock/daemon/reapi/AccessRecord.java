package dev.airlock.daemon.reapi;

import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.trace.Access;
import dev.airlock.sandbox.linux.trace.AccessKind;
import dev.airlock.sandbox.linux.trace.TraceResult;
import dev.airlock.sandbox.linux.trace.TracedProcess;
import dev.airlock.sandbox.linux.trace.Violation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A remote action's access record, as a server log a person can read (one access per line: kind,
 * path, errno, pid) and as a one-line summary for {@code ExecuteResponse.message}. Reads outside
 * the input root that are not the system toolchain's are hermeticity leaks: the summary names them.
 */
public final class AccessRecord {
  /** Where the system toolchain lives; reads there are expected of any build action. */
  private static final List<Path> TOOLCHAIN =
      List.of(
              "/usr",
              "/lib",
              "/lib32",
              "/lib64",
              "/libx32",
              "/bin",
              "/sbin",
              "/etc/ld.so.cache",
              "/etc/ld.so.conf",
              "/etc/ld.so.conf.d",
              "/etc/alternatives",
              "/etc/localtime",
              "/etc/nsswitch.conf",
              "/etc/passwd",
              "/etc/group",
              "/etc/locale.alias",
              // the link on the way to nscd's socket, which glibc tries before a user lookup
              "/var/run",
              "/dev",
              "/proc",
              "/sys")
          .stream()
          .map(Path::of)
          .toList();

  /** How many leaks the summary names before it only counts. */
  private static final int NAMED = 5;

  private final TraceResult trace;
  private final Path inputRoot;
  private final boolean privateTmp;

  public AccessRecord(TraceResult trace, Path inputRoot, boolean privateTmp) {
    this.trace = trace;
    this.inputRoot = inputRoot;
    this.privateTmp = privateTmp;
  }

  /** Reads (and executions) of files outside the input root and the toolchain, in order. */
  public List<String> leaks() {
    List<String> leaks = new ArrayList<>();
    for (Access a : trace.accesses()) {
      if ((a.kind() == AccessKind.READ || a.kind() == AccessKind.EXEC) && a.errno() == 0) {
        Path p = PathBytes.toPath(a.path());
        boolean expected =
            p.startsWith(inputRoot)
                || TOOLCHAIN.stream().anyMatch(p::startsWith)
                || (privateTmp && p.startsWith("/tmp"));
        if (!expected && !leaks.contains(a.path())) {
          leaks.add(a.path());
        }
      }
    }
    return leaks;
  }

  /** "accesses: 120 (read 80, exec 3, ...); reads outside the input root: /etc/x". */
  public String summary() {
    Map<String, Integer> counts = new TreeMap<>();
    trace.accesses().forEach(a -> counts.merge(a.kind().label(), 1, Integer::sum));
    StringBuilder s = new StringBuilder("accesses: ").append(trace.accesses().size());
    if (!counts.isEmpty()) {
      s.append(" (");
      counts.forEach((k, v) -> s.append(k).append(' ').append(v).append(", "));
      s.setLength(s.length() - 2);
      s.append(')');
    }
    List<String> leaks = leaks();
    if (leaks.isEmpty()) {
      s.append("; no reads outside the input root but the system toolchain");
    } else {
      s.append("; reads outside the input root: ");
      for (int i = 0; i < Math.min(NAMED, leaks.size()); i++) {
        s.append(i == 0 ? "" : ", ").append(PathBytes.display(leaks.get(i)));
      }
      if (leaks.size() > NAMED) {
        s.append(" (and ").append(leaks.size() - NAMED).append(" more in the access record)");
      }
    }
    if (!trace.violations().isEmpty()) {
      s.append("; policy violations: ").append(trace.violations().size());
    }
    if (!trace.observationGaps().isEmpty()) {
      s.append("; incomplete: ").append(trace.observationGaps().get(0));
    }
    return s.toString();
  }

  /** The whole record as text: a header, the violations, the processes, then every access. */
  public byte[] text(String actionId, String policy) {
    StringBuilder s = new StringBuilder();
    s.append("# Airlock access record of action ").append(actionId).append('\n');
    s.append("# policy: ").append(policy).append("; input root: ").append(inputRoot).append('\n');
    s.append("# ").append(summary()).append('\n');
    s.append("# complete: ").append(trace.observationGaps().isEmpty()).append('\n');
    for (String gap : trace.observationGaps()) {
      s.append("gap\t").append(gap).append('\n');
    }
    for (String leak : leaks()) {
      s.append("outside-input-root\t").append(PathBytes.display(leak)).append('\n');
    }
    for (Violation v : trace.violations()) {
      s.append("violation\t")
          .append(v.kind().label())
          .append('\t')
          .append(PathBytes.display(v.path()))
          .append('\t')
          .append(v.denied() ? (v.hidden() ? "hidden" : "denied") : "reported")
          .append('\n');
    }
    for (TracedProcess p : trace.processes()) {
      s.append("process\t")
          .append(p.pid())
          .append('\t')
          .append(p.parentPid())
          .append('\t')
          .append(PathBytes.display(String.join(" ", p.argv())))
          .append('\n');
    }
    s.append("# kind\tpath\terrno\tpid\n");
    for (Access a : trace.accesses()) {
      s.append(a.kind().label())
          .append('\t')
          .append(PathBytes.display(a.path()))
          .append('\t')
          .append(a.errno())
          .append('\t')
          .append(a.pid())
          .append('\n');
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }
}
