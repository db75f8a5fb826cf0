package dev.airlock.daemon.action;

import dev.airlock.daemon.cache.Digest;
import dev.airlock.daemon.cache.PathSet;
import dev.airlock.daemon.cache.PlatformKey;
import dev.airlock.daemon.cache.PortablePaths;
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
    // Relative to the workspace, so that checkouts at other paths share entries.
    PortablePaths portable = portable(action);
    WeakFingerprint.Builder b =
        WeakFingerprint.builder()
            .argv(portable.inTexts(action.spec().argv()))
            .environment(portable.inValues(action.spec().env()))
            .cwd(portable.portable(PathBytes.of(action.spec().cwd())))
            // Every field: mode, each path rule, network, env, limits (not the daemon's own paths).
            .policy(PathBytes.encode(portable.inText(action.policy().keyText())))
            .platform(PlatformKey.current());
    for (Path p : action.request().declaredInputs()) {
      Digest d;
      try {
        d = stats.digestOf(p);
      } catch (NoSuchFileException | IllegalArgumentException e) {
        d = ABSENT; // absent, or a device or socket: its presence is what can be keyed
      }
      b.declaredInput(portable.portable(PathBytes.of(p)), d);
    }
    return b.build();
  }

  /** How the action's paths read in its cache keys: relative to its workspace. */
  static PortablePaths portable(Action action) {
    return new PortablePaths(PathBytes.of(action.workspace()));
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
