package dev.airlock.daemon.policy;

import dev.airlock.protocol.ExecuteRequest;
import dev.airlock.protocol.Policy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Chooses and expands the policy of a request: its own, or the default ("audit"). */
public final class PolicyResolver {
  public static final String DEFAULT_POLICY = "audit";

  private final List<Path> alwaysHidden;
  private final Path daemonHome;

  /**
   * @param alwaysHidden the daemon's socket and state directory: never visible to an action
   */
  public PolicyResolver(List<Path> alwaysHidden, Path daemonHome) {
    this.alwaysHidden = List.copyOf(alwaysHidden);
    this.daemonHome = daemonHome;
  }

  /** The effective policy of a request whose cwd is absolute (validated before). */
  public EffectivePolicy resolve(ExecuteRequest request) throws PolicyException {
    Path cwd = Path.of(request.getCwd());
    PolicyLoader loader = new PolicyLoader(cwd);
    String name;
    Policy policy;
    switch (request.getPolicyCase()) {
      case POLICY_NAME -> {
        name = request.getPolicyName();
        policy = loader.load(name);
      }
      case INLINE_POLICY -> {
        name = "inline";
        policy = loader.loadInline(request.getInlinePolicy());
      }
      default -> {
        name = DEFAULT_POLICY;
        policy = loader.load(DEFAULT_POLICY);
      }
    }
    Path workspace = request.getWorkspace().isEmpty() ? cwd : cwd.resolve(request.getWorkspace());
    String home = request.getEnvOrDefault("HOME", "");
    PolicyContext context =
        new PolicyContext(
            workspace.normalize(),
            home.startsWith("/") ? Path.of(home) : daemonHome,
            Path.of("/tmp"),
            absolute(cwd, request.getDeclaredInputsList()),
            absolute(cwd, request.getDeclaredOutputsList()),
            alwaysHidden);
    return EffectivePolicy.of(name, policy, context);
  }

  private static List<Path> absolute(Path cwd, List<String> paths) {
    List<Path> out = new ArrayList<>();
    for (String p : paths) {
      out.add(cwd.resolve(p).normalize());
    }
    return out;
  }
}
