package dev.airlock.tests;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A shell script that builds a three-level process tree, main sh → child sh → grandchild sleep, and
 * writes each pid to a file, so a test can check that all of them die with the action.
 */
final class ProcessTree {
  private static final String SCRIPT =
      """
      #!/bin/sh
      # usage: tree.sh DIR [ignore-term]
      # main sh -> child sh -> grandchild sleep 300; each pid goes to DIR/<role> (written then renamed).
      # With ignore-term every process of the tree ignores SIGTERM (only SIGKILL ends it).
      d=$1
      if [ "$2" = ignore-term ]; then trap '' TERM; fi
      sh -c 'sleep 300 & echo $! > "$1/grandchild.tmp" && mv "$1/grandchild.tmp" "$1/grandchild"; wait' child "$d" &
      echo $! > "$d/child.tmp" && mv "$d/child.tmp" "$d/child"
      echo $$ > "$d/main.tmp" && mv "$d/main.tmp" "$d/main"
      wait
      """;

  final Path script;
  final Path pidDir;

  private ProcessTree(Path script, Path pidDir) {
    this.script = script;
    this.pidDir = pidDir;
  }

  /** Writes the script into {@code dir}; pid files will go to a fresh subdirectory of it. */
  static ProcessTree in(Path dir) throws IOException {
    Path script = dir.resolve("tree.sh");
    if (!Files.exists(script)) {
      Files.writeString(script, SCRIPT);
    }
    return new ProcessTree(script, Files.createTempDirectory(dir, "pids-"));
  }

  /** The command line that runs the tree. */
  String[] argv(boolean ignoreTerm) {
    return ignoreTerm
        ? new String[] {"sh", script.toString(), pidDir.toString(), "ignore-term"}
        : new String[] {"sh", script.toString(), pidDir.toString()};
  }

  /**
   * Waits until the whole tree runs; returns the host pids of main, child and grandchild. In a pid
   * namespace of its own the script writes the namespace's numbers, which are mapped to the host's
   * through the main process (found by its command line, which names the unique pid directory).
   */
  long[] awaitPids(Duration timeout) throws IOException {
    long[] seen = {
      Procs.awaitPidFile(pidDir.resolve("main"), timeout),
      Procs.awaitPidFile(pidDir.resolve("child"), timeout),
      Procs.awaitPidFile(pidDir.resolve("grandchild"), timeout)
    };
    long main = Procs.findByCommandLine("sh " + script + " " + pidDir);
    if (Procs.namespacePid(main) == main) {
      return seen; // no pid namespace: the numbers are the host's
    }
    long[] host = new long[seen.length];
    for (int i = 0; i < seen.length; i++) {
      host[i] = Procs.hostPidInNamespaceOf(main, seen[i]);
    }
    return host;
  }
}
