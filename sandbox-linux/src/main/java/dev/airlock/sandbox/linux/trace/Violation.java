package dev.airlock.sandbox.linux.trace;

/**
 * An access outside the policy: what was attempted where, by whom, and whether it was refused.
 *
 * @param denied refused (enforce mode, or a hidden path); false: allowed and reported (audit mode)
 * @param hidden refused by making the path look absent (ENOENT): the action sees nothing there, so
 *     the attempt is reported but does not fail it
 */
public record Violation(AccessKind kind, String path, int pid, boolean denied, boolean hidden) {
  /** A violation of a path that was not hidden. */
  public Violation(AccessKind kind, String path, int pid, boolean denied) {
    this(kind, path, pid, denied, false);
  }

  /** Whether this violation fails an enforcing action: refused, and not merely hidden. */
  public boolean failsAction() {
    return denied && !hidden;
  }
}
