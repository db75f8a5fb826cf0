package dev.airlock.protocol;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Where the daemon keeps its socket and state. Client and daemon resolve them the same way, so a
 * client finds the daemon it would start.
 *
 * <p>State dir: {@code --state-dir}, else {@code $AIRLOCK_STATE_DIR}, else {@code
 * $XDG_CACHE_HOME/airlock}, else {@code ~/.cache/airlock}. Socket: {@code --socket}, else {@code
 * $AIRLOCK_SOCKET}, else {@code $XDG_RUNTIME_DIR/airlock/airlockd.sock}, else {@code <state
 * dir>/airlockd.sock}.
 */
public record AirlockPaths(Path stateDir, Path socket) {
  public static final String STATE_DIR_ENV = "AIRLOCK_STATE_DIR";
  public static final String SOCKET_ENV = "AIRLOCK_SOCKET";
  public static final String SOCKET_FILE_NAME = "airlockd.sock";

  /**
   * In the state dir: the socket the daemon holding the state dir serves, written once it holds the
   * lock, so that a client whose daemon was refused the state dir can tell where the running one
   * listens.
   */
  public static final String SERVED_SOCKET_FILE_NAME = "airlockd.socket";

  /**
   * The longest socket path both ends can use. sun_path holds 108 bytes including the terminating
   * NUL (unix(7)), so the kernel and Netty's daemon socket take 107; but the JDK's {@code
   * UnixDomainSocketAddress}, which the client and the daemon's stale-socket probe use, refuses
   * more than 106 ("Unix domain path too long": it keeps a byte back for abstract names). A
   * 107-byte path would give a daemon no client can reach.
   */
  public static final int MAX_SOCKET_PATH_BYTES = 106;

  public AirlockPaths {
    stateDir = stateDir.toAbsolutePath().normalize();
    socket = socket.toAbsolutePath().normalize();
  }

  /**
   * Resolves both paths from explicit overrides (may be null) and the environment.
   *
   * @throws AirlockConfigException when a path cannot be used (e.g. the socket path is too long)
   */
  public static AirlockPaths resolve(
      Map<String, String> env, Path stateDirOverride, Path socketOverride) {
    Path stateDir =
        Optional.ofNullable(stateDirOverride)
            .or(() -> nonEmpty(env, STATE_DIR_ENV).map(Path::of))
            .or(() -> nonEmpty(env, "XDG_CACHE_HOME").map(p -> Path.of(p, "airlock")))
            .orElseGet(() -> home(env).resolve(".cache").resolve("airlock"));
    Path socket =
        Optional.ofNullable(socketOverride)
            .or(() -> nonEmpty(env, SOCKET_ENV).map(Path::of))
            .or(
                () ->
                    nonEmpty(env, "XDG_RUNTIME_DIR")
                        .map(p -> Path.of(p, "airlock", SOCKET_FILE_NAME)))
            .orElseGet(() -> stateDir.resolve(SOCKET_FILE_NAME));
    AirlockPaths paths = new AirlockPaths(stateDir, socket);
    paths.checkSocketPathLength();
    return paths;
  }

  /** Where the daemon holding {@link #stateDir} records the socket it serves. */
  public Path servedSocketFile() {
    return stateDir.resolve(SERVED_SOCKET_FILE_NAME);
  }

  /** Resolves from the process environment with no overrides. */
  public static AirlockPaths fromEnvironment() {
    return resolve(System.getenv(), null, null);
  }

  private void checkSocketPathLength() {
    int length = socket.toString().getBytes(StandardCharsets.UTF_8).length;
    if (length > MAX_SOCKET_PATH_BYTES) {
      throw new AirlockConfigException(
          "socket path is too long ("
              + length
              + " bytes; at most "
              + MAX_SOCKET_PATH_BYTES
              + " can be used): "
              + socket
              + "; set "
              + SOCKET_ENV
              + " (or --socket) to a shorter path");
    }
  }

  private static Optional<String> nonEmpty(Map<String, String> env, String name) {
    return Optional.ofNullable(env.get(name)).filter(v -> !v.isEmpty());
  }

  private static Path home(Map<String, String> env) {
    return nonEmpty(env, "HOME")
        .map(Path::of)
        .orElseGet(() -> Path.of(System.getProperty("user.home")));
  }
}
