package dev.airlock.daemon;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.logging.FileHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** Sends the daemon's logs (Netty's included) to rotating files in the state directory. */
final class DaemonLogging {
  static final String LOG_FILE = "airlockd.log";
  private static final int ROTATE_BYTES = 10 * 1024 * 1024;
  private static final int ROTATED_FILES = 5;

  private DaemonLogging() {}

  /** Installs the file handler on the root logger; returns the current log file. */
  static Path install(Path logDirectory, boolean alsoToStderr) throws IOException {
    Files.createDirectories(logDirectory);
    Path current = logDirectory.resolve(LOG_FILE);
    // %g numbers the rotated generations: airlockd.log.0 is the current one.
    FileHandler file =
        new FileHandler(
            logDirectory.resolve(LOG_FILE).toString() + ".%g", ROTATE_BYTES, ROTATED_FILES, true);
    file.setFormatter(new LineFormatter());
    Logger root = Logger.getLogger("");
    for (Handler h : root.getHandlers()) {
      root.removeHandler(h);
      if (alsoToStderr) {
        h.setFormatter(new LineFormatter());
        root.addHandler(h);
      }
    }
    root.addHandler(file);
    root.setLevel(Level.INFO);
    Logger.getLogger("io.netty").setLevel(Level.WARNING);
    return Path.of(current + ".0");
  }

  /** One line per record: time, level, logger, message, then any stack trace. */
  static final class LineFormatter extends Formatter {
    @Override
    public String format(LogRecord record) {
      StringBuilder line =
          new StringBuilder()
              .append(Instant.ofEpochMilli(record.getMillis()))
              .append(' ')
              .append(record.getLevel().getName())
              .append(' ')
              .append(shortName(record.getLoggerName()))
              .append(": ")
              .append(formatMessage(record))
              .append('\n');
      if (record.getThrown() != null) {
        StringWriter trace = new StringWriter();
        record.getThrown().printStackTrace(new PrintWriter(trace));
        line.append(trace);
      }
      return line.toString();
    }

    private static String shortName(String name) {
      return name == null ? "" : name.substring(name.lastIndexOf('.') + 1);
    }
  }
}
