package dev.airlock.daemon.reapi;

import build.bazel.remote.execution.v2.Platform;

/**
 * The policy a remote action runs under, as its platform properties choose it: {@code
 * airlock-policy=hermetic} (the default), {@code build}, {@code audit}, or the absolute path of a
 * policy file on the server. Any other property is refused, naming it: a property the server does
 * not honour must not be silently ignored.
 */
public record PlatformPolicy(String name) {
  /** The one platform property Airlock knows. */
  public static final String PROPERTY = "airlock-policy";

  /** The default: the exec root, the system toolchain, no network. */
  public static final PlatformPolicy HERMETIC = new PlatformPolicy("hermetic");

  /**
   * Reads the platform's properties.
   *
   * @throws ReapiException INVALID_ARGUMENT for an unknown property or policy
   */
  public static PlatformPolicy of(Platform platform) throws ReapiException {
    PlatformPolicy chosen = HERMETIC;
    boolean seen = false;
    for (Platform.Property p : platform.getPropertiesList()) {
      if (!p.getName().equals(PROPERTY)) {
        throw ReapiException.invalid(
            "unknown platform property '"
                + p.getName()
                + "': Airlock knows only "
                + PROPERTY
                + "=hermetic|build|audit|/path/to/policy.textproto");
      }
      if (seen) {
        throw ReapiException.invalid("platform property " + PROPERTY + " is given twice");
      }
      seen = true;
      String value = p.getValue();
      if (!value.equals("hermetic")
          && !value.equals("build")
          && !value.equals("audit")
          && !value.startsWith("/")) {
        throw ReapiException.invalid(
            PROPERTY
                + "="
                + value
                + ": not a policy Airlock serves (hermetic, build, audit, or an absolute path)");
      }
      chosen = new PlatformPolicy(value);
    }
    return chosen;
  }

  /**
   * The policy text the action runs under. The Command's environment is part of the action's
   * digest, so it is passed whole (the shipped hermetic policy keeps only PATH and the locale).
   */
  public String inlineText() {
    return "description: \"REAPI action under '"
        + name.replace("\"", "")
        + "'\"\n"
        + "extends: \""
        + name.replace("\\", "\\\\").replace("\"", "\\\"")
        + "\"\n"
        // With a pid namespace /proc shows only the action's own processes, which tools read.
        + "readable: \"/proc\"\n"
        + EVERY_VARIABLE;
  }

  /**
   * Policy lines that pass every environment variable: one prefix per first character a variable
   * name may have (a policy's env entries are names or NAME_PREFIX*).
   */
  public static final String EVERY_VARIABLE = everyVariable();

  private static String everyVariable() {
    StringBuilder lines = new StringBuilder("env: \"_*\"\n");
    for (char c = 'A'; c <= 'Z'; c++) {
      lines.append("env: \"").append(c).append("*\"\n");
      lines.append("env: \"").append(Character.toLowerCase(c)).append("*\"\n");
    }
    return lines.toString();
  }
}
