package dev.airlock.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LauncherCommandLineTest {
  @TempDir Path dir;

  @Test
  void commandLinePutsOptionsBeforeTheSeparatorAndTheCommandVerbatimAfterIt() throws Exception {
    Path binary = Files.createFile(dir.resolve("launcher"));
    binary.toFile().setExecutable(true);
    Launcher launcher = new Launcher(binary);

    List<String> line =
        launcher.commandLine(
            new LaunchSpec(List.of("sh", "-c", "--cwd x"), Map.of(), Path.of("/work"), false),
            false);

    assertEquals(
        List.of(
            binary.toString(), "--cwd", "/work", "--report-fd", "3", "--", "sh", "-c", "--cwd x"),
        line);
  }

  @Test
  void tracedCommandLineNamesTheFilterAndSyncFds() throws Exception {
    Path binary = Files.createFile(dir.resolve("launcher"));
    binary.toFile().setExecutable(true);
    List<String> line =
        new Launcher(binary)
            .commandLine(new LaunchSpec(List.of("true"), Map.of(), Path.of("/"), false), true);
    assertEquals(
        List.of(
            binary.toString(),
            "--cwd",
            "/",
            "--report-fd",
            "3",
            "--seccomp-fd",
            "4",
            "--sync-fd",
            "5",
            "--",
            "true"),
        line);
  }

  /** Specs that exec cannot carry: no command, a NUL, '=' in a name, a relative directory. */
  static Stream<Arguments> specsExecCannotCarry() {
    Path root = Path.of("/");
    return Stream.of(
        arguments("no command", List.of(), Map.of(), root),
        arguments("a NUL in an argument", List.of("a\0b"), Map.of(), root),
        arguments("'=' in a variable's name", List.of("true"), Map.of("A=B", "x"), root),
        arguments("a relative working directory", List.of("true"), Map.of(), Path.of("relative")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specsExecCannotCarry")
  void specRejectsWhatExecCannotCarry(
      String what, List<String> argv, Map<String, String> env, Path cwd) {
    assertThrows(IllegalArgumentException.class, () -> new LaunchSpec(argv, env, cwd, false), what);
  }

  @Test
  void launcherMustBeExecutable() {
    assertThrows(IllegalArgumentException.class, () -> new Launcher(dir.resolve("missing")));
  }
}
