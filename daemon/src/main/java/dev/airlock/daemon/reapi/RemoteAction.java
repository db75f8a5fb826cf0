package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.Action;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A checked Execute request, ready to run: the Action and its digest, its Command, its input tree
 * (every blob present), the exec root it will run in, and what the client asked to be inlined.
 *
 * @param execRoot the per-action directory the input root is laid out in
 * @param workingDir the command's working directory, below {@code execRoot}
 * @param outputs every output as an absolute path below {@code execRoot}
 */
public record RemoteAction(
    BlobId digest,
    Action action,
    CommandSpec command,
    InputTree inputs,
    Path execRoot,
    Path workingDir,
    List<Path> outputs,
    boolean inlineStdout,
    boolean inlineStderr) {
  public RemoteAction {
    outputs = List.copyOf(outputs);
  }

  /** Variables that name a scratch directory of the action (Bazel's tests set TEST_TMPDIR). */
  static final List<String> SCRATCH_VARIABLES = List.of("TMPDIR", "TEST_TMPDIR");

  /**
   * The directories the action may write below: each output's parent (tools write temporary files
   * beside their outputs and rename them, as in Bazel's own sandboxes), and the scratch directories
   * its environment names inside the exec root. The rest of the input root stays read-only. They
   * exist before the action starts; inputs there are copies, never links into the CAS.
   */
  public List<Path> writableDirectories() {
    List<Path> dirs = new ArrayList<>();
    for (Path out : outputs) {
      dirs.add(out.getParent());
    }
    for (String variable : SCRATCH_VARIABLES) {
      String value = command.environment().get(variable);
      if (value != null && !value.isEmpty()) {
        Path dir = workingDir.resolve(value).normalize();
        if (dir.startsWith(execRoot) && !dir.equals(execRoot)) {
          dirs.add(dir);
        }
      }
    }
    return dirs.stream().distinct().toList();
  }

  /** The action's timeout in milliseconds, 0 for none. */
  public long timeoutMillis() {
    if (!action.hasTimeout()) {
      return 0;
    }
    return action.getTimeout().getSeconds() * 1000 + action.getTimeout().getNanos() / 1_000_000;
  }
}
