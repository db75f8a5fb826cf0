package dev.airlock.policies;

/** A policy that cannot be used; the message names the file, line, column and field. */
public final class PolicyException extends Exception {
  private static final long serialVersionUID = 1L;

  public PolicyException(String message) {
    super(message);
  }
}
