package dev.airlock.sandbox.linux;

/** Why the launcher could not start the command, as it reported on its report pipe. */
public record LaunchFailure(Stage stage, int errno, String command, String cwd) {
  /** Mirrors the STAGE_* constants of airlock-launcher.c. */
  public enum Stage {
    SETUP,
    CHDIR,
    EXEC,
    SECCOMP,
    SYNC,
    NAMESPACE,
    MOUNT,
    LANDLOCK,
    RLIMIT;

    static Stage fromWire(int value) {
      return switch (value) {
        case 2 -> CHDIR;
        case 3 -> EXEC;
        case 4 -> SECCOMP;
        case 5 -> SYNC;
        case 6 -> NAMESPACE;
        case 7 -> MOUNT;
        case 8 -> LANDLOCK;
        case 9 -> RLIMIT;
        default -> SETUP;
      };
    }
  }

  /** A message for people, e.g. "cannot execute 'foo': No such file or directory". */
  public String message() {
    return switch (stage) {
      case EXEC -> "cannot execute '" + command + "': " + Errno.message(errno);
      case CHDIR -> "cannot change to working directory '" + cwd + "': " + Errno.message(errno);
      case SETUP -> "sandbox setup failed before exec: " + Errno.describe(errno);
      case SECCOMP -> "cannot install the seccomp filter: " + Errno.describe(errno);
      case SYNC -> "the tracer went away before the command started: " + Errno.describe(errno);
      case NAMESPACE -> "cannot create the action's namespaces: " + Errno.describe(errno);
      case MOUNT -> "cannot set up the action's mounts: " + Errno.describe(errno);
      case LANDLOCK -> "cannot apply the action's Landlock rules: " + Errno.describe(errno);
      case RLIMIT -> "cannot set the action's resource limits: " + Errno.describe(errno);
    };
  }
}
