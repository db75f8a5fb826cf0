package dev.airlock.daemon.request;

import dev.airlock.protocol.CacheMode;
import dev.airlock.protocol.CommitMode;
import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.StdinMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What a client asked to run, decoded once from its wire form where the daemon accepts it: file
 * names and arguments as lossless strings and paths (see {@link PathBytes}), every path absolute
 * and normalised. Nothing after acceptance reads the wire message again.
 *
 * @param argv the command; argv[0] is searched on the environment's PATH when it has no slash
 * @param env the environment the request asks for (the policy may pass less)
 * @param workspace the workspace root (${workspace}): the request's, or the working directory
 * @param timeoutMillis the request's wall-clock limit, 0 for none
 * @param policy which policy the action runs under
 * @param keepFailedDir where a failed action's changes go with {@link CommitMode#KEEP_FAILED}
 * @param checkDeterminism run the action a second time on the same inputs and compare the outputs
 * @param pinnedOutputs a fixed-output action's outputs and their digests, one per path
 */
public record ActionRequest(
    List<String> argv,
    Map<String, String> env,
    Path cwd,
    Path workspace,
    long timeoutMillis,
    boolean streamStdin,
    List<Path> declaredInputs,
    List<Path> declaredOutputs,
    PolicySource policy,
    CacheMode cacheMode,
    String label,
    CommitMode commitMode,
    Optional<Path> keepFailedDir,
    boolean unsafeDirectWrites,
    int retryOnConflict,
    boolean cacheFailures,
    boolean networkCacheable,
    boolean checkDeterminism,
    List<PinnedOutput> pinnedOutputs) {

  /** Where an action's policy comes from. */
  public record PolicySource(Kind kind, String text) {
    /** The three ways to name a policy. */
    public enum Kind {
      /** None named: the daemon's default. */
      DEFAULT,
      /** A shipped policy's name or a policy file's path ({@code text}). */
      NAMED,
      /** Policy text in the request itself ({@code text}). */
      INLINE
    }
  }

  public ActionRequest {
    argv = List.copyOf(argv);
    env = Map.copyOf(env);
    declaredInputs = List.copyOf(declaredInputs);
    declaredOutputs = List.copyOf(declaredOutputs);
    pinnedOutputs = List.copyOf(pinnedOutputs);
    Map<Path, String> pinned = new HashMap<>();
    for (PinnedOutput p : pinnedOutputs) {
      String other = pinned.putIfAbsent(p.path(), p.sha256());
      if (other != null && !other.equals(p.sha256())) {
        throw new IllegalArgumentException(
            "the output "
                + PathBytes.display(PathBytes.of(p.path()))
                + " is pinned to two digests, sha256:"
                + other
                + " and "
                + p.digestName());
      }
    }
    if (argv.isEmpty() || argv.get(0).isEmpty()) {
      throw new IllegalArgumentException("the command line is empty");
    }
    if (!cwd.isAbsolute()) {
      throw new IllegalArgumentException("the working directory must be absolute: " + cwd);
    }
  }

  /**
   * Decodes and checks a wire request.
   *
   * @throws IllegalArgumentException saying what is wrong with it
   */
  public static ActionRequest from(ExecuteRequest wire) {
    if (wire.getArgvCount() == 0 || wire.getArgv(0).isEmpty()) {
      throw new IllegalArgumentException("the command line is empty");
    }
    String cwdName = PathBytes.fromWire(wire.getCwd());
    if (!cwdName.startsWith("/")) {
      throw new IllegalArgumentException(
          "the working directory must be an absolute path, got '"
              + PathBytes.display(cwdName)
              + "'");
    }
    Path cwd = PathBytes.toPath(cwdName).normalize();
    Map<String, String> env = new LinkedHashMap<>();
    wire.getEnvMap().forEach((name, value) -> env.put(name, PathBytes.fromWire(value)));
    Path workspace =
        wire.getWorkspace().isEmpty()
            ? cwd
            : absolute(cwd, PathBytes.fromWire(wire.getWorkspace()));
    PolicySource policy =
        switch (wire.getPolicyCase()) {
          case POLICY_NAME -> new PolicySource(PolicySource.Kind.NAMED, wire.getPolicyName());
          case INLINE_POLICY -> new PolicySource(PolicySource.Kind.INLINE, wire.getInlinePolicy());
          default -> new PolicySource(PolicySource.Kind.DEFAULT, "");
        };
    return new ActionRequest(
        PathBytes.fromWire(wire.getArgvList()),
        env,
        cwd,
        workspace,
        wire.getTimeoutMs(),
        wire.getStdinMode() == StdinMode.STDIN_STREAM,
        absolute(cwd, PathBytes.fromWire(wire.getDeclaredInputsList())),
        absolute(cwd, PathBytes.fromWire(wire.getDeclaredOutputsList())),
        policy,
        wire.getCacheMode(),
        wire.getLabel(),
        wire.getCommitMode(),
        wire.getKeepFailedDir().isEmpty()
            ? Optional.empty()
            : Optional.of(absolute(cwd, PathBytes.fromWire(wire.getKeepFailedDir()))),
        wire.getUnsafeDirectWrites(),
        wire.getRetryOnConflict(),
        wire.getCacheFailures(),
        wire.getNetworkCacheable(),
        wire.getCheckDeterminism(),
        pinned(cwd, wire.getPinnedOutputsList()));
  }

  /** Whether the action pins outputs by their digests (a fixed-output action). */
  public boolean fixedOutput() {
    return !pinnedOutputs.isEmpty();
  }

  /**
   * The outputs policies grant as ${outputs} and writes are checked against: the declared ones and
   * the pinned ones.
   */
  public List<Path> outputs() {
    Set<Path> all = new LinkedHashSet<>(declaredOutputs);
    pinnedOutputs.forEach(p -> all.add(p.path()));
    return List.copyOf(all);
  }

  private static List<PinnedOutput> pinned(Path cwd, List<dev.airlock.protocol.PinnedOutput> wire) {
    List<PinnedOutput> pinned = new ArrayList<>(wire.size());
    for (dev.airlock.protocol.PinnedOutput p : wire) {
      if (p.getPath().isEmpty()) {
        throw new IllegalArgumentException("a pinned output has no path");
      }
      pinned.add(new PinnedOutput(absolute(cwd, PathBytes.fromWire(p.getPath())), p.getSha256()));
    }
    return pinned;
  }

  /**
   * This request run again only to look at what it produces: nothing committed, the cache neither
   * read nor written, no stdin, no determinism check of its own ({@code airlock cache verify}).
   */
  public ActionRequest asDiscardedRerun(String rerunLabel) {
    return new ActionRequest(
        argv,
        env,
        cwd,
        workspace,
        timeoutMillis,
        false,
        declaredInputs,
        declaredOutputs,
        policy,
        CacheMode.CACHE_OFF,
        rerunLabel,
        CommitMode.DISCARD,
        Optional.empty(),
        false,
        0,
        cacheFailures,
        networkCacheable,
        false,
        pinnedOutputs);
  }

  private static Path absolute(Path cwd, String name) {
    return cwd.resolve(PathBytes.toPath(name)).normalize();
  }

  private static List<Path> absolute(Path cwd, List<String> names) {
    List<Path> paths = new ArrayList<>(names.size());
    for (String name : names) {
      paths.add(absolute(cwd, name));
    }
    return paths;
  }
}
