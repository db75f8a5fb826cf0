package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.cache.PlatformKey;
import dev.airlock.daemon.cache.StatCache;
import dev.airlock.daemon.cache.WeakFingerprint;
import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.PathBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/** What an action's cache key is made of before it runs: its weak fingerprint. */
final class CacheKeys {
  private static final Digest ABSENT = Digest.sha256("absent".getBytes(StandardCharsets.UTF_8));

  private CacheKeys() {}

  /**
   * argv, the environment the command really gets, cwd, the effective policy (with its variables
   * expanded), the declared inputs' contents and the platform.
   */
  static WeakFingerprint weak(Action action, StatCache stats) throws IOException {
    WeakFingerprint.Builder b =
        WeakFingerprint.builder()
            .argv(action.spec().argv())
            .environment(action.spec().env())
            .cwd(PathBytes.of(action.spec().cwd()))
            // The record's text lists every field: mode, each path rule, network, env, limits.
            .policy(action.policy().toString().getBytes(StandardCharsets.UTF_8))
            .platform(PlatformKey.current());
    for (Path p : action.request().declaredInputs()) {
      Digest d;
      try {
        d = stats.digestOf(p);
      } catch (NoSuchFileException | IllegalArgumentException e) {
        d = ABSENT; // absent, or a device or socket: its presence is what can be keyed
      }
      b.declaredInput(PathBytes.of(p), d);
    }
    return b.build();
  }

  /** Whether the request lets the cache serve the action. */
  static boolean reads(CacheMode mode) {
    return mode == CacheMode.CACHE_DEFAULT
        || mode == CacheMode.CACHE_READ_WRITE
        || mode == CacheMode.CACHE_READ;
  }

  /** Whether the request lets the cache record the action. */
  static boolean writes(CacheMode mode) {
    return mode == CacheMode.CACHE_DEFAULT
        || mode == CacheMode.CACHE_READ_WRITE
        || mode == CacheMode.CACHE_WRITE;
  }

  /**
   * Roots ignored in path sets: the pseudo filesystems. A private /tmp is not ignored: kept host
   * trees (a workspace under /tmp) live there, and what the action made there it wrote first.
   */
  static List<String> ignoredRoots() {
    return PathSet.DEFAULT_IGNORED_ROOTS;
  }
}
