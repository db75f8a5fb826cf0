package dev.airlock.client.learn;

import java.util.Optional;

/**
 * Paths as a learned policy writes them: inside the workspace or the home directory with the policy
 * variables {@code ${workspace}} and {@code ${home}} (so the policy holds for another checkout and
 * another user), elsewhere absolute. Paths here are strings in {@link
 * dev.airlock.protocol.PathBytes}' form, absolute and normalised, as the tracer records them.
 */
final class PolicyPaths {
  static final String WORKSPACE = "${workspace}";
  static final String HOME = "${home}";

  private final String workspace;
  private final Optional<String> home;

  /**
   * @param workspace the action's workspace root, absolute
   * @param home the user's home directory, when known
   */
  PolicyPaths(String workspace, Optional<String> home) {
    this.workspace = trimmed(workspace);
    this.home = home.map(PolicyPaths::trimmed).filter(h -> !h.equals("/"));
  }

  /** The path as the policy names it. The workspace wins where it lies in the home directory. */
  String symbolic(String path) {
    if (isAtOrBelow(path, workspace)) {
      return WORKSPACE + path.substring(workspace.length());
    }
    if (home.isPresent() && isAtOrBelow(path, home.get())) {
      return HOME + path.substring(home.get().length());
    }
    return path;
  }

  /** Whether the policy writes the path with a variable: it lies in the workspace or home. */
  boolean hasVariable(String path) {
    return !symbolic(path).equals(path);
  }

  /** The absolute path a symbolic one stands for (the inverse of {@link #symbolic}). */
  String absolute(String symbolic) {
    if (symbolic.startsWith(WORKSPACE)) {
      return workspace + symbolic.substring(WORKSPACE.length());
    }
    if (symbolic.startsWith(HOME) && home.isPresent()) {
      return home.get() + symbolic.substring(HOME.length());
    }
    return symbolic;
  }

  /** Whether {@code path} is an ancestor of the workspace (the walk to it, not its content). */
  boolean isAboveWorkspace(String path) {
    return !path.equals(workspace) && isAtOrBelow(workspace, path);
  }

  /**
   * The directory holding a symbolic path, or empty at a root: {@code /}, {@code ${workspace}},
   * {@code ${home}}.
   */
  static Optional<String> parent(String symbolic) {
    int slash = symbolic.lastIndexOf('/');
    if (slash < 0 || symbolic.equals("/")) {
      return Optional.empty();
    }
    return Optional.of(slash == 0 ? "/" : symbolic.substring(0, slash));
  }

  /** Whether {@code path} is {@code root} or lies below it ({@code /} holds every path). */
  static boolean isAtOrBelow(String path, String root) {
    return root.equals("/")
        || path.equals(root)
        || path.startsWith(root) && path.charAt(root.length()) == '/';
  }

  private static String trimmed(String path) {
    return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
  }
}
