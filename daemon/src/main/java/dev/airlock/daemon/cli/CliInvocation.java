package dev.airlock.daemon.cli;

import dev.airlock.protocol.PathBytes;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the native client forwarded: the arguments, environment and working directory of the process
 * the user started, and which of its standard streams are terminals. Bytes that are not UTF-8
 * survive (as {@link PathBytes} strings).
 */
record CliInvocation(
    List<String> arguments,
    Map<String, String> environment,
    Path workingDirectory,
    boolean[] terminals,
    int columns) {

  /** Collects an invocation frame by frame. */
  static final class Builder {
    private final List<String> arguments = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Path workingDirectory;
    private boolean[] terminals = new boolean[3];
    private int columns;
    private long bytes;

    /** Adds one invocation frame; false for a frame that is not part of an invocation. */
    boolean add(CliFrame frame) {
      bytes += frame.payload().length + CliFrames.HEADER_BYTES;
      if (bytes > CliFrames.MAX_INVOCATION_BYTES) {
        throw new CliProtocolException(
            "the invocation exceeds " + CliFrames.MAX_INVOCATION_BYTES + " bytes");
      }
      byte[] p = frame.payload();
      switch (frame.type()) {
        case CliFrames.ARG -> arguments.add(PathBytes.decode(p));
        case CliFrames.ENV -> {
          String entry = PathBytes.decode(p);
          int eq = entry.indexOf('=');
          // Like getenv: an entry without '=' is not a variable.
          if (eq > 0) {
            environment.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
          }
        }
        case CliFrames.CWD -> {
          String dir = PathBytes.decode(p);
          if (!dir.startsWith("/")) {
            throw new CliProtocolException("the working directory is not absolute: " + dir);
          }
          workingDirectory = PathBytes.toPath(dir);
        }
        case CliFrames.TERMINAL -> {
          if (p.length != 5) {
            throw new CliProtocolException("a terminal frame has 5 bytes, not " + p.length);
          }
          terminals = new boolean[] {p[0] != 0, p[1] != 0, p[2] != 0};
          columns = ((p[3] & 0xff) << 8) | (p[4] & 0xff);
        }
        default -> {
          return false;
        }
      }
      return true;
    }

    CliInvocation build() {
      if (workingDirectory == null) {
        throw new CliProtocolException("the invocation has no working directory");
      }
      return new CliInvocation(
          Collections.unmodifiableList(arguments),
          Collections.unmodifiableMap(environment),
          workingDirectory,
          terminals,
          columns);
    }
  }
}
