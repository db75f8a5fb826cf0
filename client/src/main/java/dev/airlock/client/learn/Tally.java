package dev.airlock.client.learn;

/**
 * Why a path is granted: how many accesses were seen at or below it, and one of them as an example
 * (the first seen), as the learned policy's comment shows them.
 */
record Tally(long count, String example) {
  Tally {
    if (count < 1) {
      throw new IllegalArgumentException("a tally counts at least one access: " + count);
    }
  }

  static Tally of(String example) {
    return new Tally(1, example);
  }

  /** Both tallies as one: the counts added, this one's example kept. */
  Tally plus(Tally other) {
    return new Tally(count + other.count, example);
  }
}
