package dev.airlock.daemon.action;

import dev.airlock.daemon.commit.Change;
import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import dev.airlock.protocol.CommitOutcome;
import dev.airlock.protocol.Outcome;
import dev.airlock.protocol.PathBytes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Checks the changes against the declared outputs, when the request declared any (without them the
 * policy's writable roots, enforced by the tracer and the kernel, are the declaration). Undeclared
 * writes are reported; under an enforcing policy they also discard the whole change set and the
 * action ends as a policy violation.
 */
final class CheckDeclaredOutputs implements FinishingStep {
  @Override
  public void apply(Finishing run) {
    if (run.action().request().declaredOutputs().isEmpty() || run.writes.decided()) {
      return;
    }
    // Pinned outputs are declared by being pinned.
    List<Path> outputs = run.action().request().outputs();
    List<String> undeclared = new ArrayList<>();
    for (RootChanges rc : run.changes) {
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
    run.writes.undeclared(undeclared);
    if (undeclared.isEmpty() || !run.action().policy().enforcing()) {
      return;
    }
    run.writes.decide(CommitOutcome.DISCARDED, "wrote outside its declared outputs");
    if (run.outcome() == Outcome.COMPLETED) {
      int shown = Math.min(5, undeclared.size());
      run.fail(
          Outcome.POLICY_VIOLATION,
          "policy '"
              + run.action().policy().name()
              + "' refused writes outside the declared outputs: "
              + PathBytes.display(String.join(", ", undeclared.subList(0, shown)))
              + (undeclared.size() > shown
                  ? " (and " + (undeclared.size() - shown) + Finishing.MORE_IN_THE_REPORT
                  : ""));
    }
  }
}
