package dev.airlock.client.learn;

import com.google.protobuf.TextFormat;
import dev.airlock.protocol.Network;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A policy learned from runs of an action: the base it extends, the paths granted beyond the base
 * with why (a {@link Tally} each), the network it needs, and how many runs it was learned from.
 * Written as a policy file whose every grant carries its reason as a comment, and read back from
 * such a file so that learning from another run merges into it.
 */
public final class LearnedPolicy {
  /** The first line of every learned policy file: what {@link #parse} recognises. */
  static final String HEADER = "# Learned by `airlock policy learn`";

  private static final Pattern RUNS = Pattern.compile("^# runs: (\\d+)$");
  private static final Pattern EXTENDS = Pattern.compile("^extends: \"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern GRANT =
      Pattern.compile(
          "^(readable|writable|executable): \"((?:[^\"\\\\]|\\\\.)*)\""
              + "(?:\\s*# (\\d+) [a-z]+(?:, e\\.g\\. (.*))?)?\\s*$");
  private static final Pattern NETWORK =
      Pattern.compile(
          "^network: (NETWORK_[A-Z]+)(?:\\s*# (\\d+) [a-z]+(?:, e\\.g\\. (.*))?)?\\s*$");
  private static final int EXAMPLE_LIMIT = 120;

  private final String base;
  private final int runs;
  private final String description;
  private final Map<GrantKind, Map<String, Tally>> grants;
  private final Network network;
  private final Optional<Tally> networkUse;

  LearnedPolicy(
      String base,
      int runs,
      String description,
      Map<GrantKind, Map<String, Tally>> grants,
      Network network,
      Optional<Tally> networkUse) {
    this.base = base;
    this.runs = runs;
    this.description = description;
    Map<GrantKind, Map<String, Tally>> copy = new TreeMap<>();
    for (GrantKind kind : GrantKind.values()) {
      copy.put(
          kind, Collections.unmodifiableMap(new TreeMap<>(grants.getOrDefault(kind, Map.of()))));
    }
    this.grants = Collections.unmodifiableMap(copy);
    this.network = network;
    this.networkUse = networkUse;
  }

  /** Nothing learned yet: the starting point of a first run. */
  public static LearnedPolicy empty(String base) {
    return new LearnedPolicy(base, 0, "", Map.of(), Network.NETWORK_NONE, Optional.empty());
  }

  public String base() {
    return base;
  }

  public int runs() {
    return runs;
  }

  /** The grants of one kind, by symbolic path, sorted. */
  public Map<String, Tally> grants(GrantKind kind) {
    return grants.get(kind);
  }

  public Network network() {
    return network;
  }

  Optional<Tally> networkUse() {
    return networkUse;
  }

  /**
   * Reads back a policy file this class wrote (the grants and their counts, the base, the number of
   * runs). Anything else is refused: merging into a hand-written policy would lose its comments and
   * could widen it unseen.
   *
   * @throws IllegalArgumentException naming what is wrong, for a file not written by learn
   */
  public static LearnedPolicy parse(String text) {
    List<String> lines = text.lines().toList();
    if (lines.isEmpty() || !lines.get(0).startsWith(HEADER)) {
      throw new IllegalArgumentException(
          "it was not written by 'airlock policy learn' (its first line is not '" + HEADER + "')");
    }
    String base = null;
    int runs = 1;
    String description = "";
    Map<GrantKind, Map<String, Tally>> grants = new TreeMap<>();
    Network network = Network.NETWORK_NONE;
    Optional<Tally> networkUse = Optional.empty();
    for (String line : lines) {
      Matcher m;
      if ((m = RUNS.matcher(line)).matches()) {
        runs = Integer.parseInt(m.group(1));
      } else if ((m = EXTENDS.matcher(line)).find()) {
        base = unescape(m.group(1));
      } else if ((m = GRANT.matcher(line)).matches()) {
        GrantKind kind = GrantKind.valueOf(m.group(1).toUpperCase(java.util.Locale.ROOT));
        String path = unescape(m.group(2));
        Tally tally =
            new Tally(
                m.group(3) == null ? 1 : Long.parseLong(m.group(3)),
                m.group(4) == null ? path : m.group(4));
        grants.computeIfAbsent(kind, k -> new TreeMap<>()).merge(path, tally, Tally::plus);
      } else if ((m = NETWORK.matcher(line)).matches()) {
        network = Network.valueOf(m.group(1));
        if (m.group(2) != null) {
          networkUse =
              Optional.of(
                  new Tally(Long.parseLong(m.group(2)), m.group(3) == null ? "" : m.group(3)));
        }
      } else if (line.startsWith("description: ")) {
        description = unescape(line.substring(14, line.length() - 1));
      }
    }
    if (base == null) {
      throw new IllegalArgumentException("it has no 'extends' line");
    }
    return new LearnedPolicy(base, runs, description, grants, network, networkUse);
  }

  /** The policy file: header, the rule it was learned by, then each grant with its reason. */
  public String render() {
    StringBuilder out = new StringBuilder();
    out.append(HEADER).append(" from what the action was seen to do.\n");
    out.append("# runs: ").append(runs).append('\n');
    out.append(
        """
        # Learning again with the same output file merges another run into this one.
        # Each grant says why: how many accesses were seen at or below it, and one of them.
        # Rule: what the base grants is left out; /tmp is the action's own when the base makes it
        # private; paths in the workspace and the home directory are written with ${workspace} and
        # ${home}; a program run from a bin/ or sbin/ directory outside them grants its whole
        # installation (the directory above bin/); a directory with enough accessed entries
        # (--collapse) is granted whole, never /, a top-level directory or ${home} itself.
        """);
    out.append("description: \"").append(escape(description)).append("\"\n");
    out.append("extends: \"").append(escape(base)).append("\"\n");
    for (GrantKind kind : GrantKind.values()) {
      for (Map.Entry<String, Tally> grant : grants.get(kind).entrySet()) {
        out.append(kind.field())
            .append(": \"")
            .append(escape(grant.getKey()))
            .append("\"  ")
            .append(reason(kind.verb(), grant.getValue()))
            .append('\n');
      }
    }
    if (networkUse.isPresent()) {
      out.append("network: ")
          .append(network.name())
          .append("  ")
          .append(reason("connects", networkUse.get()))
          .append('\n');
    }
    return out.toString();
  }

  /** One line for people: how many grants of each kind, and the network. */
  public String summary() {
    List<String> parts = new ArrayList<>();
    for (GrantKind kind : GrantKind.values()) {
      parts.add(grants.get(kind).size() + " " + kind.field());
    }
    parts.add(
        "network "
            + network.name().substring("NETWORK_".length()).toLowerCase(java.util.Locale.ROOT));
    return String.join(", ", parts);
  }

  private static String reason(String verb, Tally tally) {
    String count = tally.count() + " " + (tally.count() == 1 ? verb.replaceAll("s$", "") : verb);
    return "# " + count + ", e.g. " + printable(tally.example());
  }

  /** A comment stays one line of text: control characters and undecodable bytes become '?'. */
  private static String printable(String example) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < example.length() && s.length() < EXAMPLE_LIMIT; i++) {
      char c = example.charAt(i);
      boolean lone =
          Character.isSurrogate(c)
              && !(Character.isHighSurrogate(c)
                  && i + 1 < example.length()
                  && Character.isLowSurrogate(example.charAt(i + 1)));
      s.append(c < 0x20 || c == 0x7f || lone ? '?' : c);
      if (Character.isHighSurrogate(c) && !lone) {
        s.append(example.charAt(++i));
      }
    }
    return s.length() < example.length() ? s + "..." : s.toString();
  }

  private static String escape(String s) {
    return TextFormat.escapeDoubleQuotesAndBackslashes(s);
  }

  private static String unescape(String s) {
    try {
      return TextFormat.unescapeBytes(s).toStringUtf8();
    } catch (TextFormat.InvalidEscapeSequenceException e) {
      throw new IllegalArgumentException("a quoted path has a bad escape: " + s, e);
    }
  }
}
