package dev.airlock.client.learn;

import dev.airlock.protocol.Network;
import dev.airlock.protocol.Policy;
import java.util.List;
import java.util.Optional;

/**
 * What the policy a learned one extends already grants, so that the learned policy lists only what
 * the action needed beyond it. {@code ${inputs}} and {@code ${outputs}} count for nothing: a
 * learned policy must hold without the declarations of the run it was learned from.
 */
final class BaseGrants {
  private final String name;
  private final Policy base;
  private final PolicyPaths paths;

  /**
   * @param name the base as the learned policy's {@code extends} names it
   * @param base the base policy, its own {@code extends} chain merged (as the loader returns it)
   */
  BaseGrants(String name, Policy base, PolicyPaths paths) {
    this.name = name;
    this.base = base;
    this.paths = paths;
  }

  String name() {
    return name;
  }

  boolean readable(String path) {
    return covered(base.getReadableList(), path);
  }

  boolean writable(String path) {
    return covered(base.getWritableList(), path);
  }

  boolean executable(String path) {
    return covered(base.getExecutableList(), path);
  }

  /** Whether {@code directory} is on the way to something the base makes readable. */
  boolean leadsToReadable(String directory) {
    return base.getReadableList().stream()
        .flatMap(entry -> expanded(entry).stream())
        .anyMatch(root -> PolicyPaths.isAtOrBelow(root, directory));
  }

  /** Whether /tmp is the action's own (a private, empty tmpfs): then nothing in it is learned. */
  boolean privateTmp() {
    return base.getPrivateTmp();
  }

  Network network() {
    return base.hasNetwork() ? base.getNetwork() : Network.NETWORK_NONE;
  }

  private boolean covered(List<String> entries, String path) {
    // ${tmp} is the action's private /tmp: a workspace under the host's /tmp is not in it.
    boolean inWorkspace = paths.hasVariable(path);
    return entries.stream()
        .filter(entry -> !(inWorkspace && entry.startsWith("${tmp}")))
        .flatMap(entry -> expanded(entry).stream())
        .anyMatch(root -> PolicyPaths.isAtOrBelow(path, root));
  }

  /** The absolute path an entry stands for; none for the declarations. */
  private Optional<String> expanded(String entry) {
    if (entry.equals("${inputs}") || entry.equals("${outputs}")) {
      return Optional.empty();
    }
    String root = entry.startsWith("${tmp}") ? "/tmp" + entry.substring(6) : entry;
    return Optional.of(paths.absolute(root));
  }
}
