package dev.airlock.daemon;

import dev.airlock.daemon.reapi.Endpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The daemon's gRPC front ends, each off unless asked for: the REAPI server's endpoints and where
 * its exec roots go, and the Buildbarn runner's endpoint, build directory and policy.
 */
record RemoteConfig(
    List<Endpoint> reapi,
    Optional<Path> execDir,
    Optional<Endpoint> runner,
    Optional<Path> runnerBuildDir,
    String runnerPolicy) {
  /** No gRPC front end. */
  static final RemoteConfig NONE =
      new RemoteConfig(List.of(), Optional.empty(), Optional.empty(), Optional.empty(), "hermetic");

  RemoteConfig {
    reapi = List.copyOf(reapi);
    if (runner.isPresent() != runnerBuildDir.isPresent()) {
      throw new IllegalArgumentException(
          "--runner and --runner-build-dir go together: the runner's requests name paths in"
              + " bb_worker's build directory");
    }
    runnerBuildDir.ifPresent(
        d -> {
          if (!d.isAbsolute()) {
            throw new IllegalArgumentException("--runner-build-dir must be an absolute path");
          }
        });
    execDir.ifPresent(
        d -> {
          if (!d.isAbsolute()) {
            throw new IllegalArgumentException("--reapi-exec-dir must be an absolute path");
          }
        });
  }

  /**
   * Where exec roots go: the option's directory, or {@code <state-dir>-exec} beside the state
   * directory (every action has the state directory hidden, and hard links need one file system).
   */
  Path execDirFor(Path stateDir) {
    return execDir.orElseGet(() -> stateDir.resolveSibling(stateDir.getFileName() + "-exec"));
  }
}
