package dev.airlock.daemon.cache;

import java.util.List;
import java.util.Objects;

/**
 * What a cache entry says of its action's determinism: unchecked, or what a run with a determinism
 * check found, with what differed between its two runs.
 *
 * @param differing outputs as the entry names them ({@code ${workspace}/out}), or "stdout",
 *     "stderr", "exit status"; empty unless nondeterministic
 */
public record Determinism(Verdict verdict, List<String> differing) {
  /** The entry of a run without a determinism check. */
  public static final Determinism UNCHECKED = new Determinism(Verdict.UNCHECKED, List.of());

  /** A checked run whose two runs left the same outputs. */
  public static final Determinism DETERMINISTIC = new Determinism(Verdict.DETERMINISTIC, List.of());

  /** The three verdicts. */
  public enum Verdict {
    UNCHECKED,
    DETERMINISTIC,
    NONDETERMINISTIC
  }

  public Determinism {
    Objects.requireNonNull(verdict, "verdict");
    differing = List.copyOf(differing);
    if (differing.isEmpty() == (verdict == Verdict.NONDETERMINISTIC)) {
      throw new IllegalArgumentException("what differed goes with NONDETERMINISTIC, and only then");
    }
  }

  /** Two runs differed in {@code differing}. */
  public static Determinism nondeterministic(List<String> differing) {
    return new Determinism(Verdict.NONDETERMINISTIC, differing);
  }
}
