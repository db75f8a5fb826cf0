package dev.airlock.client.cli;

import dev.airlock.protocol.FileErrors;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A file the client writes once the action has ended ({@code run --report}, {@code audit --json}),
 * or {@code -} for stdout. Its directory is checked before the action is submitted: finding out
 * after a long build that the report cannot be written would lose the report.
 */
record ReportFile(String option, Path file, Path absolute) {
  /**
   * The report file an option names, checked.
   *
   * @throws IllegalArgumentException when it could not be written
   */
  static ReportFile checked(String option, Path file, CliContext context) {
    ReportFile report =
        new ReportFile(option, file, file.toString().equals("-") ? file : context.resolve(file));
    if (!report.toStdout()) {
      report.check();
    }
    return report;
  }

  boolean toStdout() {
    return file.toString().equals("-");
  }

  private void check() {
    Path parent = absolute.getParent();
    if (Files.isDirectory(absolute)) {
      throw refused("it is a directory; name a file");
    }
    if (parent == null || !Files.exists(parent)) {
      throw refused("its directory " + parent + " does not exist");
    }
    if (!Files.isDirectory(parent)) {
      throw refused(parent + " is not a directory");
    }
    if (Files.exists(absolute) ? !Files.isWritable(absolute) : !Files.isWritable(parent)) {
      throw refused("permission denied");
    }
  }

  /** Writes the document to the file, or to {@code stdout} for {@code -}. */
  void write(String text, OutputStream stdout) throws IOException {
    if (toStdout()) {
      stdout.write(text.getBytes(StandardCharsets.UTF_8));
      stdout.flush();
      return;
    }
    try {
      Files.writeString(absolute, text);
    } catch (IOException e) {
      throw new IOException("cannot write " + option + " " + file + ": " + FileErrors.reason(e), e);
    }
  }

  private IllegalArgumentException refused(String why) {
    return new IllegalArgumentException("cannot write " + option + " " + file + ": " + why);
  }
}
