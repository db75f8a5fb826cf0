package dev.airlock.daemon.determinism;

import java.util.List;
import java.util.Objects;

/**
 * The verdict of running an action twice on the same inputs: checked or not (and why not), and
 * every difference found.
 *
 * @param note why there is no verdict, or what was left out of it (output too large to compare)
 */
public record DeterminismCheck(boolean checked, List<Difference> differences, String note) {
  public DeterminismCheck {
    differences = List.copyOf(differences);
    Objects.requireNonNull(note, "note");
    if (!checked && !differences.isEmpty()) {
      throw new IllegalArgumentException("differences without a check");
    }
  }

  /** The two runs were compared. */
  public static DeterminismCheck compared(List<Difference> differences, String note) {
    return new DeterminismCheck(true, differences, note);
  }

  /** No verdict, for {@code why}. */
  public static DeterminismCheck notChecked(String why) {
    return new DeterminismCheck(false, List.of(), why);
  }

  /** Checked and found no difference. */
  public boolean deterministic() {
    return checked && differences.isEmpty();
  }
}
