package dev.airlock.daemon.commit;

/**
 * Told by {@link WorkspaceCommitter} as a commit passes each point; a test hook. An {@link Error}
 * thrown from it stands for a crash at that point: the committer leaves everything as it is, for
 * {@link WorkspaceCommitter#recover} to find.
 */
@FunctionalInterface
public interface CommitObserver {
  /** Observes nothing. */
  CommitObserver NONE = (commitId, phase, step) -> {};

  /** The points a commit passes, in order. */
  enum Phase {
    /** The journal says STAGING and lists every temp; nothing is staged yet. */
    PLANNED,
    /** One more creation is staged ({@code step} counts them from 0). */
    STAGE,
    /** All creations are staged and synced. */
    STAGED,
    /** The journal says COMMITTING: from here on the commit will complete. */
    JOURNALED,
    /** Step {@code step} of the plan was applied to the workspace. */
    APPLY,
    /** The workspace is synced and the journal entry removed. */
    DONE
  }

  /** Called at {@code phase}; {@code step} is the index for STAGE and APPLY, else -1. */
  void reached(String commitId, Phase phase, int step);
}
