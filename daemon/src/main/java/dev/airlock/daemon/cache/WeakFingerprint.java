package dev.airlock.daemon.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Names an action by what is known before it runs: argv, environment, cwd, effective policy,
 * declared inputs' contents and platform. Path sets recorded under it say what else it read.
 */
public record WeakFingerprint(Digest digest) {
  /** Bumped whenever the encoding or the meaning of a cache entry changes. */
  public static final int CACHE_VERSION = 2;

  public WeakFingerprint {
    Objects.requireNonNull(digest);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects an action's known inputs; {@link #build} checks that each one was given. */
  public static final class Builder {
    private List<String> argv;
    private SortedMap<String, String> environment;
    private String cwd;
    private byte[] policy;
    private final SortedMap<String, Digest> declaredInputs = new TreeMap<>();
    private PlatformKey platform;

    private Builder() {}

    public Builder argv(List<String> argv) {
      this.argv = List.copyOf(argv);
      return this;
    }

    /** The environment the action is given (not the daemon's); order does not matter. */
    public Builder environment(Map<String, String> environment) {
      this.environment = new TreeMap<>(environment);
      return this;
    }

    public Builder cwd(String cwd) {
      this.cwd = cwd;
      return this;
    }

    /** The serialized effective policy: what the action may touch changes what it can do. */
    public Builder policy(byte[] effectivePolicy) {
      this.policy = effectivePolicy.clone();
      return this;
    }

    /** A declared input and the digest of its content. */
    public Builder declaredInput(String path, Digest content) {
      declaredInputs.put(path, Objects.requireNonNull(content));
      return this;
    }

    public Builder platform(PlatformKey platform) {
      this.platform = platform;
      return this;
    }

    public WeakFingerprint build() {
      List<String> missing = new ArrayList<>();
      if (argv == null || argv.isEmpty()) {
        missing.add("argv");
      }
      if (environment == null) {
        missing.add("environment");
      }
      if (cwd == null || !cwd.startsWith("/") && !cwd.startsWith(PortablePaths.TOKEN)) {
        missing.add("an absolute cwd");
      }
      if (policy == null) {
        missing.add("policy");
      }
      if (platform == null) {
        missing.add("platform");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("a weak fingerprint needs " + String.join(", ", missing));
      }
      // Each field starts with its own tag and every list with its size, so no two different
      // actions encode alike.
      HashWriter w = new HashWriter("airlock.weak").int32(CACHE_VERSION);
      w.int32(1).int32(argv.size());
      argv.forEach(w::string);
      w.int32(2).int32(environment.size());
      environment.forEach((k, v) -> w.string(k).string(v));
      w.int32(3).string(cwd);
      w.int32(4).bytes(policy);
      w.int32(5).int32(declaredInputs.size());
      declaredInputs.forEach((p, d) -> w.string(p).digest(d));
      w.int32(6).string(platform.kernel()).string(platform.arch());
      return new WeakFingerprint(w.finish());
    }
  }
}
