package dev.airlock.protocol;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;

/**
 * What went wrong with a file, in words. The JDK's file exceptions carry only the path as their
 * message ({@code NoSuchFileException: /x/y}), which a message that already names the file would
 * print twice and never explain.
 */
public final class FileErrors {
  private FileErrors() {}

  /** "no such file or directory", "permission denied", "is a directory", ... */
  public static String reason(IOException e) {
    if (e instanceof NoSuchFileException) {
      return "no such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof NotDirectoryException) {
      return "not a directory";
    }
    if (e instanceof DirectoryNotEmptyException) {
      return "directory not empty";
    }
    if (e instanceof FileAlreadyExistsException) {
      return "already exists";
    }
    if (e instanceof CharacterCodingException) {
      return "not UTF-8 text";
    }
    // The rest is strerror text ("Is a directory"), lower-cased to sit after a colon.
    String reason =
        e instanceof FileSystemException fs && fs.getReason() != null
            ? fs.getReason()
            : e.getMessage();
    return reason == null || reason.isEmpty()
        ? e.getClass().getSimpleName()
        : reason.substring(0, 1).toLowerCase(Locale.ROOT) + reason.substring(1);
  }

  /** "PATH: REASON" for a file exception, which names its path; the message otherwise. */
  public static String describe(IOException e) {
    if (e instanceof FileSystemException fs && fs.getFile() != null) {
      return fs.getFile() + ": " + reason(e);
    }
    return reason(e);
  }
}
