package dev.airlock.daemon.policy;

import java.nio.file.Path;
import java.util.List;

/**
 * What a policy's variables stand for in one action: ${workspace}, ${home}, ${tmp}, ${inputs},
 * ${outputs}; plus the paths that are hidden from every action: the daemon's socket and state, and
 * the host's block devices (a raw disk holds every file, hidden ones included).
 */
public record PolicyContext(
    Path workspace,
    Path home,
    Path tmp,
    List<Path> inputs,
    List<Path> outputs,
    List<Path> alwaysHidden,
    List<Path> blockDevices) {
  public PolicyContext {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
    alwaysHidden = List.copyOf(alwaysHidden);
    blockDevices = List.copyOf(blockDevices);
  }

  /** A context on a host without block devices to hide. */
  public PolicyContext(
      Path workspace,
      Path home,
      Path tmp,
      List<Path> inputs,
      List<Path> outputs,
      List<Path> alwaysHidden) {
    this(workspace, home, tmp, inputs, outputs, alwaysHidden, List.of());
  }
}
