package dev.airlock.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

  @Test
  void specRejectsWhatExecCannotCarry() {
    Path cwd = Path.of("/");
    assertThrows(
        IllegalArgumentException.class, () -> new LaunchSpec(List.of(), Map.of(), cwd, false));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LaunchSpec(List.of("a\0b"), Map.of(), cwd, false));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LaunchSpec(List.of("true"), Map.of("A=B", "x"), cwd, false));
    assertThrows(
        IllegalArgumentException.class,
        () -> new LaunchSpec(List.of("true"), Map.of(), Path.of("relative"), false));
  }

  @Test
  void launcherMustBeExecutable() {
    assertThrows(IllegalArgumentException.class, () -> new Launcher(dir.resolve("missing")));
  }
}
