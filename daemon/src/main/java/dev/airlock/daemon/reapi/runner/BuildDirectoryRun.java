package dev.airlock.daemon.reapi.runner;

import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.buildbarn.runner.RunRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One Buildbarn Run request, checked against the runner's build directory: every path it names is
 * relative and stays inside, the input root and the working directory exist. It becomes an ordinary
 * Airlock action whose workspace is the input root: the action's writes go to a copy-on-write layer
 * over it (so the input files, hard links into the worker's cache, are never written through), and
 * what it made is committed in place when it succeeds, where bb_worker collects its outputs.
 *
 * @param inputRoot the input root (absolute)
 * @param workingDir the command's working directory (absolute, inside the input root)
 * @param stdout where the command's stdout goes (absolute)
 * @param stderr where its stderr goes (absolute)
 * @param tmp the action's temporary directory, if the worker gave one
 * @param serverLogs where the access record goes, if the worker gave a directory for logs
 */
public record BuildDirectoryRun(
    RunRequest request,
    Path inputRoot,
    Path workingDir,
    Path stdout,
    Path stderr,
    Optional<Path> tmp,
    Optional<Path> serverLogs) {

  /**
   * Checks {@code request} against {@code buildDir}.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static BuildDirectoryRun of(Path buildDir, RunRequest request) {
    if (request.getArgumentsCount() == 0 || request.getArguments(0).isEmpty()) {
      throw new IllegalArgumentException("the run request has no arguments");
    }
    Path inputRoot = inside(buildDir, "input_root_directory", request.getInputRootDirectory());
    if (!Files.isDirectory(inputRoot)) {
      throw new IllegalArgumentException("the input root " + inputRoot + " is not a directory");
    }
    Path workingDir = inside(inputRoot, "working_directory", request.getWorkingDirectory());
    Path stdout = inside(buildDir, "stdout_path", request.getStdoutPath());
    Path stderr = inside(buildDir, "stderr_path", request.getStderrPath());
    Optional<Path> tmp =
        request.getTemporaryDirectory().isEmpty()
            ? Optional.empty()
            : Optional.of(inside(buildDir, "temporary_directory", request.getTemporaryDirectory()));
    Optional<Path> logs =
        request.getServerLogsDirectory().isEmpty()
            ? Optional.empty()
            : Optional.of(
                inside(buildDir, "server_logs_directory", request.getServerLogsDirectory()));
    return new BuildDirectoryRun(request, inputRoot, workingDir, stdout, stderr, tmp, logs);
  }

  /**
   * The Airlock request: the command in its working directory, the input root as workspace and
   * declared input, under {@code policy} extended to write the input root (copy-on-write) and the
   * temporary directory, with the worker's environment passed whole. Not cached: bb_worker keeps
   * its own action cache.
   */
  public ExecuteRequest toAirlock(String policy) {
    StringBuilder inline =
        new StringBuilder()
            .append("description: \"Buildbarn runner action\"\n")
            .append("extends: \"")
            .append(policy.replace("\\", "\\\\").replace("\"", "\\\""))
            .append("\"\n")
            .append("writable: \"${workspace}\"\n")
            .append(dev.airlock.daemon.reapi.PlatformPolicy.EVERY_VARIABLE);
    tmp.ifPresent(t -> inline.append("writable: \"").append(PathBytes.of(t)).append("\"\n"));
    ExecuteRequest.Builder wire =
        ExecuteRequest.newBuilder()
            .addAllArgv(PathBytes.toWire(request.getArgumentsList()))
            .setCwd(PathBytes.toWire(PathBytes.of(workingDir)))
            .setWorkspace(PathBytes.toWire(PathBytes.of(inputRoot)))
            .addDeclaredInputs(PathBytes.toWire(PathBytes.of(inputRoot)))
            .setInlinePolicy(inline.toString())
            .setCacheMode(CacheMode.CACHE_OFF)
            .setCommitMode(CommitMode.COMMIT)
            .setLabel("buildbarn runner");
    request.getEnvironmentVariablesMap().forEach((k, v) -> wire.putEnv(k, PathBytes.toWire(v)));
    return wire.build();
  }

  /** Resolves {@code name} below {@code base}, refusing absolute names and any way out. */
  static Path inside(Path base, String field, String name) {
    if (name.startsWith("/") || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(field + " must be relative to the build directory");
    }
    Path p = base.resolve(name).normalize();
    if (!p.startsWith(base)) {
      throw new IllegalArgumentException(field + " '" + name + "' leads outside " + base);
    }
    return p;
  }
}
