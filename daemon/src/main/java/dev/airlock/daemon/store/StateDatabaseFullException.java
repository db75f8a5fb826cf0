package dev.airlock.daemon.store;

/** The state database cannot grow any further. */
public final class StateDatabaseFullException extends RuntimeException {
  public StateDatabaseFullException(String message) {
    super(message);
  }
}
