package dev.airlock.sandbox.linux;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What to run: the command line, its complete environment, its working directory, and whether its
 * stdin is a pipe the caller feeds (otherwise /dev/null).
 */
public record LaunchSpec(List<String> argv, Map<String, String> env, Path cwd, boolean pipeStdin) {
  public LaunchSpec {
    argv = List.copyOf(argv);
    env = Map.copyOf(new LinkedHashMap<>(env));
    Objects.requireNonNull(cwd, "cwd");
    if (argv.isEmpty() || argv.get(0).isEmpty()) {
      throw new IllegalArgumentException("the command line is empty");
    }
    if (!cwd.isAbsolute()) {
      throw new IllegalArgumentException("the working directory must be absolute: " + cwd);
    }
    for (String arg : argv) {
      if (arg.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("an argument contains a NUL byte");
      }
    }
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().indexOf('=') >= 0 || e.getKey().indexOf('\0') >= 0) {
        throw new IllegalArgumentException("bad environment variable name: '" + e.getKey() + "'");
      }
      if (e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "environment variable " + e.getKey() + " contains a NUL byte");
      }
    }
  }
}
