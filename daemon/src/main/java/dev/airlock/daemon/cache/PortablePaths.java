package dev.airlock.daemon.cache;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Paths in cache keys and records relative to the workspace, so that two checkouts of one project
 * at different places (a clone at {@code /home/a/src/p}, another at {@code /build/ws-17}) share
 * entries. The workspace root becomes {@link #TOKEN} wherever it is a path: a path set's paths, a
 * symlink target, an output, and inside the action's arguments, environment, working directory and
 * policy, where it must stand on a path boundary ({@code /w/p2} is not {@code /w/p} followed by
 * "2"). What this cannot hide, as ccache's {@code base_dir} cannot: an action that writes the
 * absolute workspace path into an output (debug info, a generated path) replays that path.
 */
public record PortablePaths(String workspace) {
  /** What the workspace root reads as in a key; no absolute path starts like this. */
  public static final String TOKEN = "${workspace}";

  /** No workspace to factor out (the workspace is /, or none applies): paths stay absolute. */
  public static final PortablePaths NONE = new PortablePaths("/");

  public PortablePaths {
    if (!workspace.startsWith("/") || workspace.length() > 1 && workspace.endsWith("/")) {
      throw new IllegalArgumentException("not an absolute, normalised workspace: " + workspace);
    }
  }

  private boolean none() {
    return workspace.equals("/");
  }

  /** An absolute path as a key names it: under the workspace, relative to {@link #TOKEN}. */
  public String portable(String path) {
    if (none()) {
      return path;
    }
    if (path.equals(workspace)) {
      return TOKEN;
    }
    if (path.startsWith(workspace) && path.charAt(workspace.length()) == '/') {
      return TOKEN + path.substring(workspace.length());
    }
    return path;
  }

  /** The absolute path a key's path stands for in this workspace. */
  public String absolute(String path) {
    if (path.equals(TOKEN)) {
      return none() ? "/" : workspace;
    }
    if (path.startsWith(TOKEN + "/")) {
      return (none() ? "" : workspace) + path.substring(TOKEN.length());
    }
    return path;
  }

  /**
   * Text (an argument, an environment value) with every occurrence of the workspace root on a path
   * boundary replaced by {@link #TOKEN}: after the start, a separator or a glued option ({@code
   * -I}, {@code --sysroot}), and before the end, a '/' or a separator. {@code /x/home/a/p} is
   * another path and stays.
   */
  public String inText(String text) {
    if (none() || !text.contains(workspace)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length());
    int from = 0;
    for (int at = text.indexOf(workspace); at >= 0; at = text.indexOf(workspace, at + 1)) {
      int end = at + workspace.length();
      boolean startsPath = GLUED_OPTION.matcher(text.substring(tokenStart(text, at), at)).matches();
      boolean endsPath =
          end == text.length() || text.charAt(end) == '/' || isSeparator(text.charAt(end));
      if (startsPath && endsPath && at >= from) {
        out.append(text, from, at).append(TOKEN);
        from = end;
      }
    }
    return out.append(text, from, text.length()).toString();
  }

  /** What may stand between a separator and a path glued to it: nothing, or an option's name. */
  private static final Pattern GLUED_OPTION = Pattern.compile("(-{1,2}[A-Za-z][A-Za-z0-9_-]*)?");

  private static int tokenStart(String text, int at) {
    int start = at;
    while (start > 0 && !isSeparator(text.charAt(start - 1))) {
      start--;
    }
    return start;
  }

  private static boolean isSeparator(char c) {
    return c == '=' || c == ':' || c == ' ' || c == '\t' || c == '"' || c == '\'' || c == ','
        || c == ';' || c == '@';
  }

  /** Each of {@code texts} through {@link #inText}. */
  public List<String> inTexts(List<String> texts) {
    List<String> out = new ArrayList<>(texts.size());
    texts.forEach(t -> out.add(inText(t)));
    return out;
  }

  /** Each value of {@code values} through {@link #inText}. */
  public Map<String, String> inValues(Map<String, String> values) {
    Map<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> out.put(k, inText(v)));
    return out;
  }

  /** A path set of absolute paths as keys name them. */
  public PathSet portable(PathSet absolutePaths) {
    List<ObservedPath> out = new ArrayList<>(absolutePaths.size());
    absolutePaths.paths().forEach(p -> out.add(new ObservedPath(portable(p.path()), p.kind())));
    return PathSet.of(out);
  }

  /** A state as a key holds it: an absolute symlink target into the workspace is relative too. */
  public PathState portable(PathState state) {
    return state instanceof PathState.Symlink s
        ? new PathState.Symlink(portable(s.target()))
        : state;
  }
}
