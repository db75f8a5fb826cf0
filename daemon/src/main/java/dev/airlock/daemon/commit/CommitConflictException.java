package dev.airlock.daemon.commit;

import java.nio.file.Path;
import java.util.List;

/** A commit refused because another commit since the action started touched what it used. */
public final class CommitConflictException extends CommitException {
  private static final long serialVersionUID = 1L;

  private final Path workspace;
  private final List<String> paths;

  public CommitConflictException(Path workspace, List<String> paths) {
    super(
        "conflict in "
            + workspace
            + ": another commit since this action started wrote "
            + String.join(", ", paths.subList(0, Math.min(paths.size(), 10)))
            + (paths.size() > 10 ? " and " + (paths.size() - 10) + " more" : ""));
    this.workspace = workspace;
    this.paths = List.copyOf(paths);
  }

  /** The workspace (root) the paths are relative to. */
  public Path workspace() {
    return workspace;
  }

  /** The conflicting workspace-relative paths, sorted. */
  public List<String> paths() {
    return paths;
  }
}
