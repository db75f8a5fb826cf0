package dev.airlock.daemon.cache;

import java.io.IOException;

/** A stored blob's bytes no longer hash to its name; the store has removed it. */
public final class CorruptBlobException extends IOException {
  private final Digest expected;
  private final Digest actual;

  public CorruptBlobException(Digest expected, Digest actual) {
    super("blob " + expected.hex() + " is corrupt: its content hashes to " + actual.hex());
    this.expected = expected;
    this.actual = actual;
  }

  public Digest expected() {
    return expected;
  }

  public Digest actual() {
    return actual;
  }
}
