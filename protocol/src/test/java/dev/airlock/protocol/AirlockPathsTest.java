package dev.airlock.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AirlockPathsTest {
  @Test
  void defaultsToTheCacheDirectoryAndTheRuntimeDirectory() {
    AirlockPaths paths =
        AirlockPaths.resolve(
            Map.of("HOME", "/home/u", "XDG_RUNTIME_DIR", "/run/user/7"), null, null);
    assertEquals(Path.of("/home/u/.cache/airlock"), paths.stateDir());
    assertEquals(Path.of("/run/user/7/airlock/airlockd.sock"), paths.socket());
  }

  @Test
  void socketLivesInTheStateDirectoryWithoutARuntimeDirectory() {
    AirlockPaths paths =
        AirlockPaths.resolve(Map.of("XDG_CACHE_HOME", "/c", "HOME", "/h"), null, null);
    assertEquals(Path.of("/c/airlock"), paths.stateDir());
    assertEquals(Path.of("/c/airlock/airlockd.sock"), paths.socket());
  }

  @Test
  void environmentOverridesDefaultsAndFlagsOverrideTheEnvironment() {
    Map<String, String> env =
        Map.of(
            "HOME",
            "/h",
            "XDG_RUNTIME_DIR",
            "/run/user/7",
            AirlockPaths.STATE_DIR_ENV,
            "/state",
            AirlockPaths.SOCKET_ENV,
            "/sock/a.sock");
    AirlockPaths fromEnv = AirlockPaths.resolve(env, null, null);
    assertEquals(Path.of("/state"), fromEnv.stateDir());
    assertEquals(Path.of("/sock/a.sock"), fromEnv.socket());

    AirlockPaths fromFlags =
        AirlockPaths.resolve(env, Path.of("/flag-state"), Path.of("/flag.sock"));
    assertEquals(Path.of("/flag-state"), fromFlags.stateDir());
    assertEquals(Path.of("/flag.sock"), fromFlags.socket());
  }

  @Test
  void emptyVariablesCountAsUnset() {
    AirlockPaths paths =
        AirlockPaths.resolve(
            Map.of("HOME", "/h", "XDG_RUNTIME_DIR", "", AirlockPaths.SOCKET_ENV, ""), null, null);
    assertEquals(Path.of("/h/.cache/airlock/airlockd.sock"), paths.socket());
  }

  @Test
  void tooLongSocketPathIsRefusedWithAnActionableMessage() {
    String longDir = "/tmp/" + "d".repeat(120);
    AirlockConfigException e =
        assertThrows(
            AirlockConfigException.class,
            () ->
                AirlockPaths.resolve(
                    Map.of("HOME", "/h", AirlockPaths.STATE_DIR_ENV, longDir), null, null));
    assertTrue(e.getMessage().startsWith("socket path is too long ("), e.getMessage());
    assertTrue(e.getMessage().contains(AirlockPaths.SOCKET_ENV), e.getMessage());
  }

  @Test
  void socketPathOfExactlyTheKernelLimitIsAccepted() {
    String socket = "/" + "s".repeat(AirlockPaths.MAX_SOCKET_PATH_BYTES - 1);
    assertEquals(
        AirlockPaths.MAX_SOCKET_PATH_BYTES,
        AirlockPaths.resolve(Map.of("HOME", "/h"), null, Path.of(socket))
            .socket()
            .toString()
            .length());
  }

  @Test
  void aSocketPathOf107BytesIsRefusedThoughTheKernelWouldBindIt() {
    String socket = "/" + "s".repeat(106);

    AirlockConfigException e =
        assertThrows(
            AirlockConfigException.class,
            () -> AirlockPaths.resolve(Map.of("HOME", "/h"), null, Path.of(socket)));
    assertTrue(
        e.getMessage().startsWith("socket path is too long (107 bytes; at most 106 can be used)"),
        e.getMessage());
  }

  @Test
  void theLimitIsTheLongestPathTheJdkClientCanConnectTo(@TempDir Path dir) throws Exception {
    Path longest = pathOfLength(dir, AirlockPaths.MAX_SOCKET_PATH_BYTES);
    Path tooLong = pathOfLength(dir, AirlockPaths.MAX_SOCKET_PATH_BYTES + 1);

    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(longest));
      assertTrue(client.connect(UnixDomainSocketAddress.of(longest)));
    }
    try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      assertThrows(
          SocketException.class, () -> client.connect(UnixDomainSocketAddress.of(tooLong)));
    }
  }

  /** A path under {@code dir} of exactly {@code length} bytes. */
  private static Path pathOfLength(Path dir, int length) {
    int prefix = dir.toString().length() + 1;
    assertTrue(prefix < length, "temporary directory too deep: " + dir);
    return dir.resolve("s".repeat(length - prefix));
  }
}
