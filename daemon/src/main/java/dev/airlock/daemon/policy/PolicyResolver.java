package dev.airlock.daemon.policy;

import dev.airlock.daemon.request.ActionRequest;
import dev.airlock.policies.PolicyException;
import dev.airlock.policies.PolicyLoader;
import dev.airlock.protocol.PathBytes;
import dev.airlock.protocol.Policy;
import java.nio.file.Path;
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

  /** The effective policy of an accepted request. */
  public EffectivePolicy resolve(ActionRequest request) throws PolicyException {
    PolicyLoader loader = new PolicyLoader(request.cwd());
    String name;
    Policy policy;
    switch (request.policy().kind()) {
      case NAMED -> {
        name = request.policy().text();
        policy = loader.load(name);
      }
      case INLINE -> {
        name = "inline";
        policy = loader.loadInline(request.policy().text());
      }
      default -> {
        name = DEFAULT_POLICY;
        policy = loader.load(DEFAULT_POLICY);
      }
    }
    String home = request.env().getOrDefault("HOME", "");
    PolicyContext context =
        new PolicyContext(
            request.workspace(),
            home.startsWith("/") ? PathBytes.toPath(home) : daemonHome,
            Path.of("/tmp"),
            request.declaredInputs(),
            request.outputs(),
            alwaysHidden,
            // Listed for each action: a loop device made since the last one counts too.
            BlockDevices.under(Path.of("/dev")));
    return EffectivePolicy.of(name, policy, context);
  }
}
