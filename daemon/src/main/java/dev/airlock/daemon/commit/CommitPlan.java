package dev.airlock.daemon.commit;

import dev.airlock.daemon.commit.Change.Kind;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How a change set becomes temps and steps: each created entry is staged under a temp name beside
 * its final place, except that everything below a new directory is staged inside that directory's
 * temp under its real name, so one rename publishes the whole tree.
 */
final class CommitPlan {
  /** Where one creation is staged, workspace-relative; top-level stagings are temps. */
  record Staging(Change change, String destination, boolean topLevel) {}

  private final List<CommitStep> steps;
  private final List<Staging> stagings;

  private CommitPlan(List<CommitStep> steps, List<Staging> stagings) {
    this.steps = List.copyOf(steps);
    this.stagings = List.copyOf(stagings);
  }

  static CommitPlan of(String commitId, ChangeSet changes) {
    JournalEntry.checkCommitId(commitId);
    List<CommitStep> steps = new ArrayList<>();
    List<CommitStep> chmods = new ArrayList<>();
    List<Staging> stagings = new ArrayList<>();
    Map<String, String> stagedDirs = new HashMap<>();
    List<Change> list = changes.changes();
    int temps = 0;
    for (int i = 0; i < list.size(); i++) {
      Change change = list.get(i);
      String inside = insideStagedDir(change.path(), stagedDirs);
      if (inside != null) {
        // Below a new directory nothing exists yet: nothing to delete or chmod, no temp needed.
        if (change.creates()) {
          stagings.add(new Staging(change, inside, false));
        }
        continue;
      }
      if (change.kind() == Kind.CHMOD) {
        // Last, so that a directory losing its write bit has already received its new entries.
        chmods.add(CommitStep.chmod(change.path(), change.mode()));
        continue;
      }
      String retired = null;
      if (change.kind() == Kind.DELETE) {
        retired = temp(commitId, change.path(), temps++);
        Change next = i + 1 < list.size() ? list.get(i + 1) : null;
        if (next == null || !next.path().equals(change.path())) {
          steps.add(CommitStep.delete(change.path(), retired));
          continue;
        }
        change = list.get(++i);
      }
      String staged = temp(commitId, change.path(), temps++);
      stagings.add(new Staging(change, staged, true));
      if (change.kind() == Kind.CREATE_DIR) {
        stagedDirs.put(change.path(), staged);
      }
      steps.add(
          retired == null
              ? CommitStep.rename(change.path(), staged)
              : CommitStep.exchange(change.path(), staged, retired));
    }
    steps.addAll(chmods);
    return new CommitPlan(steps, stagings);
  }

  private static String insideStagedDir(String path, Map<String, String> stagedDirs) {
    for (String dir = Change.parentOf(path); !dir.isEmpty(); dir = Change.parentOf(dir)) {
      String staged = stagedDirs.get(dir);
      if (staged != null) {
        return staged + path.substring(dir.length());
      }
    }
    return null;
  }

  /** A hidden name in the same directory as {@code path}, unique to this commit. */
  static String temp(String commitId, String path, int n) {
    String parent = Change.parentOf(path);
    String name = ".airlock-" + commitId + "-" + n;
    return parent.isEmpty() ? name : parent + "/" + name;
  }

  /** The journal's steps, in application order. */
  List<CommitStep> steps() {
    return steps;
  }

  /** The creations to stage, parents before children. */
  List<Staging> stagings() {
    return stagings;
  }
}
