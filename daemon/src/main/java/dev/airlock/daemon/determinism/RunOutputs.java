package dev.airlock.daemon.determinism;

import dev.airlock.daemon.commit.OverlayLayer.RootChanges;
import java.util.List;
import java.util.Objects;

/**
 * What one run of an action left that a second run must reproduce: its change sets (their files
 * still in the run's upper dirs), its stdout and stderr, and how it ended.
 *
 * @param streamsKept false when the output was too large to keep, so it cannot be compared
 * @param status how the command ended: its exit status ("0") or the signal that killed it ("signal
 *     9")
 */
public record RunOutputs(
    List<RootChanges> changes, byte[] stdout, byte[] stderr, boolean streamsKept, String status) {
  public RunOutputs {
    changes = List.copyOf(changes);
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    Objects.requireNonNull(status, "status");
  }
}
