package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.ObservationKind;
import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.CommitConflictException;
import dev.airlock.daemon.commit.OverlayLayer;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.ActionResult;
import dev.airlock.protocol.ChangeReport;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.FileChange;
import dev.airlock.protocol.FileChangeKind;
import dev.airlock.protocol.FileErrors;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.trace.Access;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The end of an action's life: reads what it changed from its copy-on-write layer, checks that
 * against its declared outputs, and commits it to the workspace when the action succeeded, or
 * throws it away (optionally keeping a copy for inspection). The outcome lands in the result.
 */
final class CommitStage {
  private static final Logger log = Logger.getLogger(CommitStage.class.getName());

  private CommitStage() {}

  /** Result of {@link #finish}: the report, and the change sets (for the cache). */
  record Finished(ChangeReport report, List<RootChanges> changes) {}

  /**
   * Finishes the writes of an action whose {@code result} is known. May turn a completed action
   * into a POLICY_VIOLATION (undeclared writes under enforce), COMMIT_CONFLICT or SANDBOX_ERROR
   * (the commit failed).
   */
  static Finished finish(
      Action action,
      OverlayLayer layer,
      List<Access> accesses,
      ActionResult.Builder result,
      Consumer<List<RootChanges>> beforeCommit) {
    long start = System.nanoTime();
    ChangeReport.Builder report = ChangeReport.newBuilder();
    List<RootChanges> changes = List.of();
    if (layer == null) {
      boolean direct = action.request().unsafeDirectWrites();
      report.setOutcome(direct ? CommitOutcome.DIRECT : CommitOutcome.NO_CHANGES);
      if (!direct && succeeded(result)) {
        beforeCommit.accept(changes);
      }
      return new Finished(report.build(), changes);
    }
    try {
      changes = layer.collect();
      describe(changes, report);
      List<String> undeclared = undeclared(action, changes);
      report.addAllUndeclared(PathBytes.toWire(undeclared));
      if (!undeclared.isEmpty() && action.policy().enforcing()) {
        discard(report, "wrote outside its declared outputs");
        if (result.getOutcome() == Outcome.COMPLETED) {
          result
              .setOutcome(Outcome.POLICY_VIOLATION)
              .setMessage(
                  "policy '"
                      + action.policy().name()
                      + "' refused writes outside the declared outputs: "
                      + PathBytes.display(
                          String.join(", ", undeclared.subList(0, Math.min(5, undeclared.size()))))
                      + (undeclared.size() > 5
                          ? " (and " + (undeclared.size() - 5) + ActionRunner.MORE_IN_THE_REPORT
                          : ""));
        }
      } else if (action.request().commitMode() == CommitMode.DISCARD) {
        discard(report, "a dry run (--discard)");
      } else if (!succeeded(result)) {
        if (report.getChangesCount() == 0) {
          report.setOutcome(CommitOutcome.NO_CHANGES).setReason(failure(result));
        } else {
          discard(report, failure(result));
        }
        Optional<Path> keep = action.request().keepFailedDir();
        if (action.request().commitMode() == CommitMode.KEEP_FAILED
            && keep.isPresent()
            && report.getChangesCount() > 0) {
          try {
            report.setKeptAt(PathBytes.toWire(PathBytes.of(layer.keep(changes, keep.get()))));
          } catch (IOException e) {
            // The action failed either way; not keeping its changes must not hide how.
            log.log(Level.WARNING, "action " + action.id() + ": cannot keep its changes", e);
            report.setReason(
                report.getReason() + "; its changes were not kept: " + FileErrors.describe(e));
          }
        }
      } else {
        beforeCommit.accept(changes);
        // Even with no changes: the conflict check tells whether what it read is still current.
        layer.commit(changes, readSet(accesses));
        report.setOutcome(
            report.getChangesCount() == 0 ? CommitOutcome.NO_CHANGES : CommitOutcome.COMMITTED);
      }
    } catch (CommitConflictException e) {
      report
          .setOutcome(CommitOutcome.CONFLICT)
          .addAllConflicts(PathBytes.toWire(absolute(e.workspace(), e.paths())))
          .setReason(e.getMessage());
      result.setOutcome(Outcome.COMMIT_CONFLICT).setMessage(e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + action.id() + ": commit failed", e);
      report.setOutcome(CommitOutcome.COMMIT_FAILED).setReason(String.valueOf(e.getMessage()));
      result
          .setOutcome(Outcome.SANDBOX_ERROR)
          .setMessage(
              "the action's changes could not be committed (nothing was): " + e.getMessage());
    }
    report.setCommitTimeUs(TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start));
    return new Finished(report.build(), changes);
  }

  /** The change report of a replay: the changes it committed. */
  static ChangeReport replayed(List<RootChanges> changes) {
    ChangeReport.Builder report = ChangeReport.newBuilder();
    describe(changes, report);
    return report
        .setOutcome(
            report.getChangesCount() == 0 ? CommitOutcome.NO_CHANGES : CommitOutcome.COMMITTED)
        .build();
  }

  private static void discard(ChangeReport.Builder report, String why) {
    report.setOutcome(CommitOutcome.DISCARDED).setReason(why);
  }

  static boolean succeeded(ActionResult.Builder result) {
    return result.getOutcome() == Outcome.COMPLETED
        && result.getTerminationCase() == ActionResult.TerminationCase.EXIT_CODE
        && result.getExitCode() == 0;
  }

  private static String failure(ActionResult.Builder result) {
    if (result.getOutcome() != Outcome.COMPLETED) {
      return "the action " + OutcomeWords.of(result.getOutcome());
    }
    return result.getTerminationCase() == ActionResult.TerminationCase.SIGNAL
        ? "the command was killed by signal " + result.getSignal()
        : "the command exited with status " + result.getExitCode();
  }

  private static void describe(List<RootChanges> changes, ChangeReport.Builder report) {
    for (RootChanges rc : changes) {
      for (Change c : rc.changes().changes()) {
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

  /**
   * Changes outside the declared outputs, when the request declared any (without declared outputs
   * the policy's writable roots, enforced by the tracer and the kernel, are the declaration).
   */
  private static List<String> undeclared(Action action, List<RootChanges> changes) {
    List<Path> outputs = action.request().declaredOutputs();
    if (outputs.isEmpty()) {
      return List.of();
    }
    List<String> undeclared = new ArrayList<>();
    for (RootChanges rc : changes) {
      for (Change c : rc.changes().changes()) {
        Path p = PathBytes.resolve(rc.root(), c.path());
        boolean covered = outputs.stream().anyMatch(p::startsWith);
        // A directory made only to hold a declared output is part of it.
        boolean container =
            c.kind() == Change.Kind.CREATE_DIR && outputs.stream().anyMatch(o -> o.startsWith(p));
        if (!covered && !container) {
          undeclared.add(rc.absolute(c));
        }
      }
    }
    return undeclared;
  }

  private static Set<String> readSet(List<Access> accesses) {
    Set<String> reads = new HashSet<>();
    for (Access a : accesses) {
      // What the cache keys on is what the action depended on: its read set.
      if (ObservationKind.of(a.kind(), a.errno()).isPresent()) {
        reads.add(a.path());
      }
    }
    return reads;
  }

  private static List<String> absolute(Path root, List<String> relative) {
    return relative.stream().map(r -> PathBytes.of(PathBytes.resolve(root, r))).toList();
  }
}
