package dev.airlock.daemon;

import dev.airlock.daemon.cache.remote.RemoteCacheConfig;
import dev.airlock.protocol.AirlockPaths;
import dev.airlock.sandbox.linux.trace.TraceMode;
import java.util.Optional;

/** Settings of one daemon run, fixed at start. */
record DaemonConfig(
    AirlockPaths paths,
    int maxParallel,
    int maxQueued,
    long killGraceMillis,
    long idleTimeoutMillis,
    boolean logToStderr,
    boolean pinActions,
    TraceMode traceMode,
    RemoteConfig remote,
    Optional<RemoteCacheConfig> remoteCache) {
  DaemonConfig {
    if (maxParallel < 1) {
      throw new IllegalArgumentException("--max-parallel must be at least 1");
    }
    if (maxQueued < 0) {
      throw new IllegalArgumentException("--max-queued must not be negative");
    }
    if (killGraceMillis < 0) {
      throw new IllegalArgumentException("--kill-grace-ms must not be negative");
    }
    if (idleTimeoutMillis < 1) {
      throw new IllegalArgumentException("--idle-timeout-ms must be at least 1");
    }
  }
}
