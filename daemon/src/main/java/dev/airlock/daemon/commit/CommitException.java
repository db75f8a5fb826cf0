package dev.airlock.daemon.commit;

import java.io.IOException;
import java.nio.file.FileSystemException;

/** A commit that could not be made; the message names the path and the cause. */
public class CommitException extends IOException {
  private static final long serialVersionUID = 1L;

  public CommitException(String message) {
    super(message);
  }

  public CommitException(String message, Throwable cause) {
    super(message, cause);
  }

  /** The cause in a few words: "No space left on device" rather than a class name. */
  static String reason(Throwable e) {
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
