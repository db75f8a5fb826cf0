package dev.airlock.sandbox.linux.trace;

import java.util.List;

/**
 * A process of the traced tree: its pid, its parent's pid (0 for the action's root), its last
 * command line, and how it ended (exit code, or 128 + signal; -1 if it never reported).
 */
public record TracedProcess(int pid, int parentPid, List<String> argv, int exitStatus) {
  public TracedProcess {
    argv = List.copyOf(argv);
  }
}
