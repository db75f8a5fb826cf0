package dev.airlock.daemon.commit;

import dev.airlock.daemon.commit.CommitObserver.Phase;
import dev.airlock.daemon.commit.JournalEntry.State;
import dev.airlock.daemon.store.StateDatabase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Logger;

/**
 * Applies change sets to workspaces so that a crash at any point leaves each workspace wholly old
 * or, once the journal says COMMITTING, wholly new after {@link #recover}.
 *
 * <p>The protocol: (1) journal STAGING with every temp name; (2) stage each creation under its temp
 * name beside its target, fsync it and the directories; (3) journal COMMITTING; (4) apply the
 * idempotent steps (renames over targets, deletions through a temp, chmods), fsync the directories;
 * (5) remove the journal entry. Callers serialise commits to one workspace (see {@link
 * WorkspaceVersions}); the upper dir's files are moved, so it is spent afterwards.
 */
public final class WorkspaceCommitter {
  private static final Logger log = Logger.getLogger(WorkspaceCommitter.class.getName());
  private static final SecureRandom ids = new SecureRandom();

  private final CommitJournal journal;
  private final CommitObserver observer;

  public WorkspaceCommitter(StateDatabase db) {
    this(db, CommitObserver.NONE);
  }

  /** A committer that reports its progress to {@code observer} (tests). */
  public WorkspaceCommitter(StateDatabase db, CommitObserver observer) {
    this.journal = new CommitJournal(db);
    this.observer = observer;
  }

  /**
   * Applies {@code changes} to {@code workspace} and returns the commit id.
   *
   * @throws CommitException when staging fails (the workspace is untouched and no temp is left), or
   *     when applying fails (the journal keeps the commit for {@link #recover} to finish)
   */
  public String commit(Path workspace, ChangeSet changes) throws CommitException {
    String commitId = newCommitId();
    if (changes.isEmpty()) {
      return commitId;
    }
    Path root = realWorkspace(workspace);
    CommitPlan plan = CommitPlan.of(commitId, changes);
    JournalEntry entry = new JournalEntry(commitId, State.STAGING, root, plan.steps());
    CreationStager.check(root, plan);
    try {
      journal.put(entry);
      observer.reached(commitId, Phase.PLANNED, -1);
      CreationStager.stage(root, commitId, plan, observer);
      observer.reached(commitId, Phase.STAGED, -1);
      // The commit point: once this write is durable, recovery completes the commit.
      journal.put(entry.withState(State.COMMITTING));
    } catch (CommitException | RuntimeException e) {
      throw abort(entry, e);
    }
    observer.reached(commitId, Phase.JOURNALED, -1);
    apply(journal, entry, observer);
    observer.reached(commitId, Phase.DONE, -1);
    return commitId;
  }

  /**
   * Finishes or undoes the commits a crash interrupted: STAGING ones lose their temps, COMMITTING
   * ones are redone. Runs at daemon start, before any action; returns how many it found.
   */
  public static int recover(StateDatabase db) throws CommitException {
    CommitJournal journal = new CommitJournal(db);
    List<JournalEntry> entries = journal.entries();
    for (JournalEntry entry : entries) {
      if (!Files.isDirectory(entry.workspace())) {
        log.warning("commit " + entry.commitId() + ": workspace " + entry.workspace() + " is gone");
        journal.remove(entry.commitId());
        continue;
      }
      if (entry.state() == State.STAGING) {
        try {
          StepApplier.removeTemps(entry.workspace(), entry.temps());
        } catch (IOException e) {
          throw new CommitException(
              "cannot roll back commit "
                  + entry.commitId()
                  + " in "
                  + entry.workspace()
                  + ": "
                  + CommitException.reason(e),
              e);
        }
        journal.remove(entry.commitId());
        log.info("rolled back commit " + entry.commitId() + " in " + entry.workspace());
      } else {
        apply(journal, entry, CommitObserver.NONE);
        log.info("completed commit " + entry.commitId() + " in " + entry.workspace());
      }
    }
    return entries.size();
  }

  /** Applies (or re-applies) every step, syncs, and closes the journal entry. */
  private static void apply(CommitJournal journal, JournalEntry entry, CommitObserver observer)
      throws CommitException {
    List<CommitStep> steps = entry.steps();
    int i = 0;
    try {
      for (; i < steps.size(); i++) {
        StepApplier.apply(entry.workspace(), steps.get(i));
        observer.reached(entry.commitId(), Phase.APPLY, i);
      }
      StepApplier.sync(entry.workspace(), steps);
    } catch (IOException e) {
      String at = i < steps.size() ? steps.get(i).path() : "(sync)";
      throw new CommitException(
          "commit "
              + entry.commitId()
              + " into "
              + entry.workspace()
              + " stopped at "
              + at
              + ": "
              + CommitException.reason(e)
              + "; it stays journaled and recovery will complete it",
          e);
    }
    journal.remove(entry.commitId());
  }

  private CommitException abort(JournalEntry entry, Exception cause) {
    CommitException failure =
        cause instanceof CommitException ce
            ? ce
            : new CommitException(
                "cannot stage commit into "
                    + entry.workspace()
                    + ": "
                    + CommitException.reason(cause),
                cause);
    try {
      StepApplier.removeTemps(entry.workspace(), entry.temps());
      // Only with every temp gone may the entry go: otherwise recovery must find them.
      journal.remove(entry.commitId());
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
    return failure;
  }

  private static Path realWorkspace(Path workspace) throws CommitException {
    try {
      return workspace.toRealPath();
    } catch (IOException e) {
      throw new CommitException(
          "cannot commit into " + workspace + ": " + CommitException.reason(e), e);
    }
  }

  private static String newCommitId() {
    byte[] random = new byte[6];
    ids.nextBytes(random);
    return HexFormat.of().formatHex(random);
  }
}
