package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.ObservationKind;
import dev.airlock.daemon.commit.CommitConflictException;
import dev.airlock.daemon.commit.OverlayLayer;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.FileErrors;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.trace.Access;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Commits a successful action's changes to the workspace (atomic, conflict-checked against the
 * commits made since it started), or throws them away: a dry run, a failure (kept for inspection
 * with {@code --keep-failed}). A lost conflict ends the action as COMMIT_CONFLICT; a failed commit
 * (disk full) as SANDBOX_ERROR, the workspace unchanged.
 */
final class CommitChanges implements FinishingStep {
  private static final Logger log = Logger.getLogger(CommitChanges.class.getName());

  @Override
  public void apply(Finishing run) {
    try {
      if (!run.writes.decided()) {
        decide(run, run.layer().orElseThrow());
      }
    } finally {
      run.writes.stopClock();
    }
  }

  private static void decide(Finishing run, OverlayLayer layer) {
    boolean none = run.changes.stream().allMatch(rc -> rc.changes().isEmpty());
    if (run.action().request().commitMode() == CommitMode.DISCARD) {
      run.writes.decide(CommitOutcome.DISCARDED, "a dry run (--discard)");
    } else if (!run.succeeded()) {
      run.writes.decide(
          none ? CommitOutcome.NO_CHANGES : CommitOutcome.DISCARDED, run.failureReason());
      Optional<Path> keep = run.action().request().keepFailedDir();
      if (run.action().request().commitMode() == CommitMode.KEEP_FAILED
          && keep.isPresent()
          && !none) {
        keepFailed(run, layer, keep.get());
      }
    } else {
      try {
        // Even with no changes: the conflict check tells whether what it read is still current.
        layer.commit(run.changes, readSet(run.trace().map(t -> t.accesses()).orElse(List.of())));
        run.writes.decide(none ? CommitOutcome.NO_CHANGES : CommitOutcome.COMMITTED, "");
      } catch (CommitConflictException e) {
        run.writes.decide(CommitOutcome.CONFLICT, e.getMessage());
        run.writes.conflicts(
            e.paths().stream()
                .map(r -> PathBytes.of(PathBytes.resolve(e.workspace(), r)))
                .toList());
        run.fail(Outcome.COMMIT_CONFLICT, e.getMessage());
      } catch (IOException | RuntimeException e) {
        log.log(Level.WARNING, "action " + run.action().id() + ": commit failed", e);
        failed(run, e);
      }
    }
  }

  /** The commit (or reading the changes) failed: nothing was committed. */
  static void failed(Finishing run, Exception e) {
    run.writes.decide(CommitOutcome.COMMIT_FAILED, String.valueOf(e.getMessage()));
    run.fail(
        Outcome.SANDBOX_ERROR,
        "the action's changes could not be committed (nothing was): " + e.getMessage());
  }

  private static void keepFailed(Finishing run, OverlayLayer layer, Path dir) {
    try {
      run.writes.keptAt(PathBytes.of(layer.keep(run.changes, dir)));
    } catch (IOException e) {
      // The action failed either way; not keeping its changes must not hide how.
      log.log(Level.WARNING, "action " + run.action().id() + ": cannot keep its changes", e);
      run.writes.addReason("; its changes were not kept: " + FileErrors.describe(e));
    }
  }

  /** What the cache keys on is what the action depended on: its read set. */
  private static Set<String> readSet(List<Access> accesses) {
    Set<String> reads = new HashSet<>();
    for (Access a : accesses) {
      if (ObservationKind.of(a.kind(), a.errno()).isPresent()) {
        reads.add(a.path());
      }
    }
    return reads;
  }
}
