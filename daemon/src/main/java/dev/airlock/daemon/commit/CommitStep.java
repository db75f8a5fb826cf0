package dev.airlock.daemon.commit;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One idempotent step of applying a commit to a workspace, as the journal records it. Paths are
 * workspace-relative; temp names sit beside the path they stand for, so every rename stays within
 * one directory and one filesystem.
 *
 * @param staged the temp name of the new entry (RENAME, EXCHANGE), else null
 * @param retired the temp name the old entry is moved to before removal (EXCHANGE, DELETE), else
 *     null
 * @param mode the new permission bits (CHMOD), else 0
 */
public record CommitStep(Op op, String path, String staged, String retired, int mode) {
  /** What a step does. */
  public enum Op {
    /** Renames {@code staged} onto {@code path}, replacing a non-directory atomically. */
    RENAME,
    /** Moves {@code path} to {@code retired}, renames {@code staged} onto it, removes the old. */
    EXCHANGE,
    /** Moves {@code path} to {@code retired} and removes it (a whole tree for a directory). */
    DELETE,
    /** Sets the permission bits of {@code path}. */
    CHMOD
  }

  public CommitStep {
    Objects.requireNonNull(op, "op");
    Change.checkPath(path);
    boolean hasStaged = op == Op.RENAME || op == Op.EXCHANGE;
    boolean hasRetired = op == Op.EXCHANGE || op == Op.DELETE;
    if (hasStaged != (staged != null) || hasRetired != (retired != null)) {
      throw new IllegalArgumentException(op + " step of " + path + " with wrong temp names");
    }
    if (staged != null) {
      Change.checkPath(staged);
    }
    if (retired != null) {
      Change.checkPath(retired);
    }
    if (op != Op.CHMOD && mode != 0 || (mode & ~07777) != 0) {
      throw new IllegalArgumentException(op + " step of " + path + " with mode " + mode);
    }
  }

  static CommitStep rename(String path, String staged) {
    return new CommitStep(Op.RENAME, path, staged, null, 0);
  }

  static CommitStep exchange(String path, String staged, String retired) {
    return new CommitStep(Op.EXCHANGE, path, staged, retired, 0);
  }

  static CommitStep delete(String path, String retired) {
    return new CommitStep(Op.DELETE, path, null, retired, 0);
  }

  static CommitStep chmod(String path, int mode) {
    return new CommitStep(Op.CHMOD, path, null, null, mode);
  }

  /** The temp names this step uses. */
  public List<String> temps() {
    List<String> temps = new ArrayList<>(2);
    if (staged != null) {
      temps.add(staged);
    }
    if (retired != null) {
      temps.add(retired);
    }
    return temps;
  }
}
