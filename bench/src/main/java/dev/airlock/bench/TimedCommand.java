package dev.airlock.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A command line timed end to end from {@link ProcessBuilder#start()} to its exit, JVM start
 * included. Its stderr is collected (distinct lines) because a warning there usually explains a
 * slow run.
 */
final class TimedCommand {
  private static final int MAX_NOTED_LINES = 5;
  private static final int MAX_REBUILD_RETRIES = 3;

  /** What ./airlock prints when it builds Airlock before running (scripts/lib/common.sh). */
  private static final String REBUILD_LINE = "airlock: building Airlock";

  private final String label;
  private final List<String> command;
  private final Map<String, String> env;
  private final Path directory;
  private final Path stderrFile;
  private final Samples samples = new Samples();
  private final Set<String> stderrLines = new LinkedHashSet<>();
  private final boolean noteStderr;
  private int rebuilds;

  /**
   * @param noteStderr whether stderr output is worth reporting (not for {@code java -version})
   */
  TimedCommand(
      String label,
      List<String> command,
      Map<String, String> env,
      Path directory,
      Path scratch,
      boolean noteStderr) {
    this.label = label;
    this.noteStderr = noteStderr;
    this.command = List.copyOf(command);
    this.env = Map.copyOf(env);
    this.directory = directory;
    this.stderrFile = scratch.resolve("stderr-" + Integer.toHexString(label.hashCode()) + ".txt");
  }

  String label() {
    return label;
  }

  List<String> commandLine() {
    return command;
  }

  /** The same command with another command line (before any run). */
  TimedCommand withCommandLine(List<String> commandLine) {
    return new TimedCommand(label, commandLine, env, directory, stderrFile.getParent(), noteStderr);
  }

  Samples samples() {
    return samples;
  }

  /** Distinct stderr lines seen over all runs (warm-ups included), at most a few. */
  Set<String> stderrLines() {
    return stderrLines;
  }

  /** Runs that were repeated because ./airlock rebuilt Airlock first (sources changed). */
  int rebuilds() {
    return rebuilds;
  }

  /**
   * Runs the command once; records its wall time when {@code measured}. A run in which ./airlock
   * rebuilt Airlock (someone changed the sources meanwhile) is not a latency sample: it is
   * repeated, a few times at most.
   */
  void run(boolean measured) throws IOException, InterruptedException {
    for (int attempt = 0; ; attempt++) {
      if (runOnce(measured) || attempt >= MAX_REBUILD_RETRIES) {
        return;
      }
    }
  }

  /** Returns false when the run rebuilt Airlock (and so was not recorded). */
  private boolean runOnce(boolean measured) throws IOException, InterruptedException {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(directory.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(stderrFile.toFile());
    builder.environment().putAll(env);
    long start = System.nanoTime();
    Process process = builder.start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      throw new IOException(label + " did not finish within 10 min: " + String.join(" ", command));
    }
    long elapsed = System.nanoTime() - start;
    List<String> errors = Files.readAllLines(stderrFile);
    boolean rebuilt = false;
    for (String line : errors) {
      if (line.startsWith(REBUILD_LINE)) {
        rebuilt = true;
      } else if (noteStderr && !line.isBlank() && stderrLines.size() < MAX_NOTED_LINES) {
        // Strip the uptime prefix of JVM log lines ("[0.016s][warning]...") so repeats collapse.
        stderrLines.add(line.strip().replaceFirst("^\\[[0-9.]+s\\]", ""));
      }
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          label
              + " exited with status "
              + process.exitValue()
              + ": "
              + String.join(" | ", errors.subList(Math.max(0, errors.size() - 3), errors.size())));
    }
    if (rebuilt) {
      rebuilds++;
      return false;
    }
    if (measured) {
      samples.add(new long[] {elapsed}, 1, elapsed);
    }
    return true;
  }
}
