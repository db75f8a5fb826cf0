package dev.airlock.fuzz;

import java.util.Random;

/**
 * Runs a property over many seeded random inputs, a small stand-in for a property-based testing
 * library: each try gets its own {@link Random}, and a failure names the seed that replays it alone
 * ({@code -Dairlock.fuzz.seed=S -Dairlock.fuzz.tries=1}). {@code -Dairlock.fuzz.tries=N} (what
 * {@code scripts/fuzz} sets) replaces every property's own number of tries.
 */
public final class Fuzz {
  /** System property: tries per property, when positive; the property's own count otherwise. */
  public static final String TRIES = "airlock.fuzz.tries";

  /** System property: the seed of the first try (random otherwise). */
  public static final String SEED = "airlock.fuzz.seed";

  /** One check of a property on inputs drawn from {@code random}. */
  @FunctionalInterface
  public interface Property {
    void check(Random random) throws Exception;
  }

  private Fuzz() {}

  /** The number of tries a property whose suite count is {@code suiteTries} runs now. */
  public static int tries(int suiteTries) {
    int override = Integer.getInteger(TRIES, 0);
    return override > 0 ? override : suiteTries;
  }

  /**
   * Checks {@code property} {@link #tries(int)} times; the first failure (an assertion or any
   * exception) is rethrown as an AssertionError naming its try and seed.
   */
  public static void forAll(int suiteTries, Property property) {
    int tries = tries(suiteTries);
    Long fixed = Long.getLong(SEED);
    long seed = fixed != null ? fixed : new Random().nextLong();
    Random seeds = new Random(seed);
    for (int i = 0; i < tries; i++) {
      try {
        property.check(new Random(seed));
      } catch (Throwable e) {
        throw new AssertionError(
            "property failed at try "
                + (i + 1)
                + " of "
                + tries
                + " (replay: -D"
                + SEED
                + "="
                + seed
                + " -D"
                + TRIES
                + "=1): "
                + e,
            e);
      }
      seed = seeds.nextLong();
    }
  }
}
