package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.Command;
import build.bazel.remote.execution.v2.Platform;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checked REAPI Command: its argv and environment, its working directory and output names as
 * relative paths that stay inside the exec root, and the policy its platform asks for.
 */
public record CommandSpec(
    List<String> arguments,
    Map<String, String> environment,
    String workingDirectory,
    List<String> outputFiles,
    List<String> outputDirectories,
    List<String> outputPaths,
    PlatformPolicy policy) {

  public CommandSpec {
    arguments = List.copyOf(arguments);
    environment = Map.copyOf(environment);
    outputFiles = List.copyOf(outputFiles);
    outputDirectories = List.copyOf(outputDirectories);
    outputPaths = List.copyOf(outputPaths);
  }

  /**
   * Checks a Command; the Action's platform wins over the Command's (deprecated) one.
   *
   * @throws ReapiException INVALID_ARGUMENT naming what is wrong
   */
  public static CommandSpec of(Command command, Platform actionPlatform) throws ReapiException {
    if (command.getArgumentsCount() == 0 || command.getArguments(0).isEmpty()) {
      throw ReapiException.invalid("the Command has no arguments");
    }
    for (String arg : command.getArgumentsList()) {
      if (arg.indexOf('\0') >= 0) {
        throw ReapiException.invalid("a Command argument holds a NUL byte");
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    for (Command.EnvironmentVariable v : command.getEnvironmentVariablesList()) {
      if (v.getName().isEmpty()
          || v.getName().indexOf('=') >= 0
          || v.getName().indexOf('\0') >= 0
          || v.getValue().indexOf('\0') >= 0) {
        throw ReapiException.invalid("bad environment variable name '" + v.getName() + "'");
      }
      env.put(v.getName(), v.getValue());
    }
    String wd = command.getWorkingDirectory();
    if (!wd.isEmpty()) {
      relative("the working directory", wd);
    }
    List<String> all = new ArrayList<>();
    all.addAll(command.getOutputFilesList());
    all.addAll(command.getOutputDirectoriesList());
    all.addAll(command.getOutputPathsList());
    for (String out : all) {
      Path within = relative("output '" + out + "'", wd.isEmpty() ? out : wd + "/" + out);
      if (within.toString().isEmpty()) {
        throw ReapiException.invalid("output '" + out + "' is the exec root itself");
      }
    }
    Platform platform =
        actionPlatform.getPropertiesCount() > 0 ? actionPlatform : command.getPlatform();
    return new CommandSpec(
        command.getArgumentsList(),
        env,
        wd,
        command.getOutputFilesList(),
        command.getOutputDirectoriesList(),
        command.getOutputPathsList(),
        PlatformPolicy.of(platform));
  }

  /** Every output name, of any kind. */
  public List<String> allOutputs() {
    List<String> all = new ArrayList<>(outputFiles);
    all.addAll(outputDirectories);
    all.addAll(outputPaths);
    return all;
  }

  /**
   * Checks that {@code name} is relative and stays below the exec root when resolved lexically.
   *
   * @return the normalized path
   */
  static Path relative(String what, String name) throws ReapiException {
    if (name.isEmpty() || name.startsWith("/") || name.indexOf('\0') >= 0) {
      throw ReapiException.invalid(what + " must be a non-empty relative path");
    }
    Path p = Path.of(name).normalize();
    if (p.startsWith("..") || p.isAbsolute()) {
      throw ReapiException.invalid(what + " leads outside the exec root");
    }
    return p;
  }
}
