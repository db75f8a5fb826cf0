package dev.airlock.daemon.commit;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The journal's record of one commit in flight: enough to make the workspace wholly old (remove
 * every temp) or wholly new (redo every step) after a crash.
 *
 * @param workspace the absolute workspace root the steps' paths are relative to
 */
public record JournalEntry(String commitId, State state, Path workspace, List<CommitStep> steps) {
  /** How far a commit got. */
  public enum State {
    /** Temps may exist; the workspace itself is untouched. Recovery removes the temps. */
    STAGING,
    /** Everything is staged and durable; recovery redoes every step. */
    COMMITTING
  }

  public JournalEntry {
    checkCommitId(commitId);
    Objects.requireNonNull(state, "state");
    if (!workspace.isAbsolute()) {
      throw new IllegalArgumentException("workspace must be absolute: " + workspace);
    }
    steps = List.copyOf(steps);
  }

  /** This entry in another state. */
  public JournalEntry withState(State newState) {
    return new JournalEntry(commitId, newState, workspace, steps);
  }

  /** Every temp name the commit creates, workspace-relative. */
  public List<String> temps() {
    List<String> temps = new ArrayList<>();
    for (CommitStep step : steps) {
      temps.addAll(step.temps());
    }
    return temps;
  }

  /** Commit ids become part of file names, so they are kept to a safe alphabet. */
  static void checkCommitId(String commitId) {
    if (commitId == null || !commitId.matches("[A-Za-z0-9_-]{1,64}")) {
      throw new IllegalArgumentException("bad commit id: " + commitId);
    }
  }
}
