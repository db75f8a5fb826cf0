package dev.airlock.daemon.action;

import dev.airlock.protocol.CommitOutcome;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What became of an action's writes, filled in by the commit steps and read by the result: the
 * outcome and its reason, undeclared writes, conflicting paths, where a failed run's changes were
 * kept, and how long collecting and committing took.
 */
final class ChangeSummary {
  private CommitOutcome outcome = CommitOutcome.COMMIT_OUTCOME_UNSPECIFIED;
  private String reason = "";
  private final List<String> undeclared = new ArrayList<>();
  private final List<String> conflicts = new ArrayList<>();
  private Optional<String> keptAt = Optional.empty();
  private long startNanos;
  private long elapsedNanos;

  /** Whether the writes' fate is already sealed (refused, discarded, failed, direct). */
  boolean decided() {
    return outcome != CommitOutcome.COMMIT_OUTCOME_UNSPECIFIED;
  }

  void decide(CommitOutcome newOutcome, String why) {
    outcome = newOutcome;
    reason = why;
  }

  void addReason(String more) {
    reason = reason + more;
  }

  void undeclared(List<String> paths) {
    undeclared.addAll(paths);
  }

  void conflicts(List<String> paths) {
    conflicts.addAll(paths);
  }

  void keptAt(String dir) {
    keptAt = Optional.of(dir);
  }

  void startClock() {
    startNanos = System.nanoTime();
  }

  void stopClock() {
    if (startNanos != 0) {
      elapsedNanos = System.nanoTime() - startNanos;
    }
  }

  CommitOutcome outcome() {
    return outcome;
  }

  String reason() {
    return reason;
  }

  List<String> undeclared() {
    return List.copyOf(undeclared);
  }

  List<String> conflicts() {
    return List.copyOf(conflicts);
  }

  Optional<String> keptAt() {
    return keptAt;
  }

  long elapsedNanos() {
    return elapsedNanos;
  }
}
