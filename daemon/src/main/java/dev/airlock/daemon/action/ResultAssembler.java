package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.CachedResult;
import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ChangeReport;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.FileChange;
import dev.airlock.protocol.FileChangeKind;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.ResourceUsage;
import dev.airlock.sandbox.linux.ExitStatus;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Builds an action's result, in one place, from where its attempt ended. */
final class ResultAssembler {
  /** Changes a result lists; the rest are only counted (ChangeReport.unlisted). */
  static final int MAX_LISTED_CHANGES = 10_000;

  private ResultAssembler() {}

  /** The result of a run and its finishing steps. */
  static ActionResult.Builder finished(Finishing run) {
    ExitStatus status = run.run().status();
    ActionResult.Builder result =
        ActionResult.newBuilder()
            .setOutcome(run.outcome())
            .setPolicy(run.action().policy().name())
            .setUsage(
                ResourceUsage.newBuilder()
                    .setUserCpuUs(status.userCpuMicros())
                    .setSystemCpuUs(status.systemCpuMicros())
                    .setMaxRssKib(status.maxRssKib()))
            .addAllConfinement(run.run().confinement())
            .setChanges(changes(run.writes, run.changes))
            .setCache(run.cache.build());
    if (status.exited()) {
      result.setExitCode(status.exitCode());
    } else {
      result.setSignal(status.signal());
    }
    if (!run.message().isEmpty()) {
      result.setMessage(run.message());
    }
    if (!run.limit().isEmpty()) {
      result.setLimit(run.limit());
    }
    run.trace().ifPresent(trace -> result.setAccessReport(AccessReports.summary(trace)));
    run.determinism.ifPresent(check -> result.setDeterminism(DeterminismReports.of(check)));
    return result;
  }

  /** The result of a cache hit replayed without running. */
  static ActionResult.Builder replayed(
      Action action, CachedResult cached, List<RootChanges> changes, CacheTrail cache) {
    ChangeSummary writes = new ChangeSummary();
    boolean none = changes.stream().allMatch(rc -> rc.changes().isEmpty());
    writes.decide(none ? CommitOutcome.NO_CHANGES : CommitOutcome.COMMITTED, "");
    return ActionResult.newBuilder()
        .setOutcome(Outcome.COMPLETED)
        .setPolicy(action.policy().name())
        .setExitCode(cached.exitCode())
        .setMessage("replayed from the cache (action " + cached.actionId() + ")")
        .setChanges(changes(writes, changes))
        .setCache(cache.build());
  }

  /** The result of a fixed-output action served from the content store without running. */
  static ActionResult.Builder fixedOutput(
      Action action, int pinned, List<RootChanges> changes, boolean dryRun, CacheTrail cache) {
    ChangeSummary writes = new ChangeSummary();
    boolean none = changes.stream().allMatch(rc -> rc.changes().isEmpty());
    if (dryRun) {
      writes.decide(CommitOutcome.DISCARDED, "a dry run (--discard)");
    } else {
      writes.decide(none ? CommitOutcome.NO_CHANGES : CommitOutcome.COMMITTED, "");
    }
    return ActionResult.newBuilder()
        .setOutcome(Outcome.COMPLETED)
        .setPolicy(action.policy().name())
        .setExitCode(0)
        .setMessage(
            "fixed-output: "
                + (pinned == 1 ? "its pinned output was" : "its " + pinned + " pinned outputs were")
                + " served from the content store without running")
        .setChanges(changes(writes, changes))
        .setCache(cache.build());
  }

  /** An action refused before it ran, saying why. */
  static ActionResult.Builder refused(Action action, String message) {
    return ActionResult.newBuilder()
        .setOutcome(Outcome.SANDBOX_ERROR)
        .setPolicy(action.policy().name())
        .setMessage(message);
  }

  private static ChangeReport changes(ChangeSummary writes, List<RootChanges> changes) {
    ChangeReport.Builder report =
        ChangeReport.newBuilder()
            .setOutcome(writes.outcome())
            .setReason(writes.reason())
            .addAllUndeclared(PathBytes.toWire(writes.undeclared()))
            .addAllConflicts(PathBytes.toWire(writes.conflicts()))
            .setCommitTimeUs(TimeUnit.NANOSECONDS.toMicros(writes.elapsedNanos()));
    writes.keptAt().ifPresent(dir -> report.setKeptAt(PathBytes.toWire(dir)));
    long unlisted = 0;
    for (RootChanges rc : changes) {
      for (Change c : rc.changes().changes()) {
        if (report.getChangesCount() >= MAX_LISTED_CHANGES) {
          unlisted++;
          continue;
        }
        FileChange.Builder f =
            FileChange.newBuilder()
                .setPath(PathBytes.toWire(rc.absolute(c)))
                .setKind(kind(c.kind()))
                .setMode(Math.max(0, c.mode()));
        if (c.kind() == Change.Kind.CREATE_FILE || c.kind() == Change.Kind.REPLACE_FILE) {
          f.setSize(c.size());
        }
        if (c.linkTarget() != null) {
          f.setLinkTarget(PathBytes.toWire(c.linkTarget()));
        }
        report.addChanges(f);
      }
    }
    return report.setUnlisted(unlisted).build();
  }

  private static FileChangeKind kind(Change.Kind kind) {
    return switch (kind) {
      case CREATE_FILE -> FileChangeKind.CREATED;
      case REPLACE_FILE -> FileChangeKind.MODIFIED;
      case DELETE -> FileChangeKind.DELETED;
      case CREATE_DIR -> FileChangeKind.DIRECTORY_CREATED;
      case CREATE_SYMLINK -> FileChangeKind.SYMLINK_CREATED;
      case CHMOD -> FileChangeKind.MODE_CHANGED;
    };
  }
}
