package dev.airlock.protocol;

/** A setting or machine property that makes Airlock unable to run; the message says what to do. */
public class AirlockConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public AirlockConfigException(String message) {
    super(message);
  }

  public AirlockConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
