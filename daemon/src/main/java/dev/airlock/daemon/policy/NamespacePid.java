package dev.airlock.daemon.policy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** A process's pid in its own (innermost) pid namespace, from the NSpid line of its status. */
final class NamespacePid {
  private NamespacePid() {}

  /**
   * @param pid the process as the daemon sees it
   * @return its pid in the innermost namespace it belongs to; empty when it is gone or the kernel
   *     does not say
   */
  static Optional<Integer> of(int pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("NSpid:")) {
          String[] pids = line.substring(6).trim().split("\\s+");
          return Optional.of(Integer.parseInt(pids[pids.length - 1]));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // The process ended, or a kernel without NSpid: nothing to match.
    }
    return Optional.empty();
  }
}
