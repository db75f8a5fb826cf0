package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.Determinism;
import dev.airlock.daemon.cache.PortablePaths;
import dev.airlock.daemon.determinism.DeterminismCheck;
import dev.airlock.daemon.determinism.RunComparison;
import dev.airlock.daemon.determinism.RunOutputs;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.Outcome;
import dev.airlock.sandbox.linux.ExitStatus;
import java.io.IOException;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * With {@code --check-determinism}: compares the run with the second run on the same inputs (its
 * changes collected by then), before anything of the first is committed or cached, and keeps the
 * verdict for the result and the cache entry.
 */
final class CompareRuns implements FinishingStep {
  private static final Logger log = Logger.getLogger(CompareRuns.class.getName());

  @Override
  public void apply(Finishing run) {
    if (!run.action().request().checkDeterminism()) {
      return;
    }
    DeterminismCheck verdict = verdict(run);
    run.determinism = Optional.of(verdict);
    log.info(
        () ->
            "action "
                + run.action().id()
                + (verdict.deterministic()
                    ? ": deterministic"
                    : verdict.checked()
                        ? ": not deterministic, " + verdict.differences().size() + " differences"
                        : ": determinism not checked, " + verdict.note()));
  }

  private static DeterminismCheck verdict(Finishing run) {
    if (outcomeWithoutVerdict(run.outcome())) {
      return DeterminismCheck.notChecked("the action " + OutcomeWords.of(run.outcome()));
    }
    if (run.repeat().isEmpty()) {
      return DeterminismCheck.notChecked(
          run.notRepeated().isEmpty() ? "the second run did not run" : run.notRepeated());
    }
    Finishing second = run.repeat().get();
    if (outcomeWithoutVerdict(second.outcome())) {
      return DeterminismCheck.notChecked("the second run " + OutcomeWords.of(second.outcome()));
    }
    if (unread(run) || unread(second)) {
      return DeterminismCheck.notChecked("the changes of a run could not be read");
    }
    try {
      return RunComparison.compare(outputs(run), outputs(second));
    } catch (IOException | RuntimeException e) {
      log.log(Level.WARNING, "action " + run.action().id() + ": cannot compare its runs", e);
      return DeterminismCheck.notChecked("comparing the two runs failed: " + e.getMessage());
    }
  }

  /**
   * What the cache entry of {@code run} says of its determinism (paths relative to the workspace).
   */
  static Determinism forCache(Finishing run) {
    if (run.determinism.isEmpty() || !run.determinism.get().checked()) {
      return Determinism.UNCHECKED;
    }
    DeterminismCheck check = run.determinism.get();
    if (check.deterministic()) {
      return Determinism.DETERMINISTIC;
    }
    PortablePaths portable = CacheKeys.portable(run.action());
    return Determinism.nondeterministic(
        check.differences().stream().map(d -> portable.portable(d.subject())).toList());
  }

  /** A run that was stopped or never started has no outputs to speak of. */
  private static boolean outcomeWithoutVerdict(Outcome outcome) {
    return outcome == Outcome.CANCELLED
        || outcome == Outcome.TIMED_OUT
        || outcome == Outcome.LIMIT_EXCEEDED
        || outcome == Outcome.EXEC_FAILED
        || outcome == Outcome.SANDBOX_ERROR;
  }

  private static boolean unread(Finishing run) {
    return run.writes.decided() && run.writes.outcome() == CommitOutcome.COMMIT_FAILED;
  }

  private static RunOutputs outputs(Finishing run) {
    OutputCapture output = run.run().output();
    return new RunOutputs(
        run.changes, output.stdout(), output.stderr(), !output.overflowed(), status(run));
  }

  /** "0", "signal 9". */
  static String status(Finishing run) {
    ExitStatus status = run.run().status();
    return status.exited() ? String.valueOf(status.exitCode()) : "signal " + status.signal();
  }
}
