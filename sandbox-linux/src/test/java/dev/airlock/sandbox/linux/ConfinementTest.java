package dev.airlock.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.airlock.sandbox.linux.Confinement.Network;
import dev.airlock.sandbox.linux.Confinement.Overlay;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Confinement's half of the launcher's command line (see the contract in airlock-launcher.c). */
class ConfinementTest {
  /** Every option set, two values where a kind repeats, one path with a space in it. */
  private static final Confinement EVERYTHING =
      new Confinement(
          true,
          true,
          Network.LOOPBACK,
          true,
          true,
          List.of(Path.of("/w/out"), Path.of("/w/my cache")),
          List.of(
              new Overlay(Path.of("/w"), Path.of("/state/overlays/a1/0")),
              new Overlay(Path.of("/opt/tool"), Path.of("/state/overlays/a1/1"))),
          List.of(Path.of("/tmp/.X11-unix")),
          List.of(Path.of("/home/u/.ssh"), Path.of("/state")),
          new Confinement.Limits(
              OptionalLong.of(64),
              OptionalLong.of(1L << 30),
              OptionalLong.of(30),
              OptionalLong.of(1L << 26),
              OptionalLong.of(1L << 33)),
          List.of(Path.of("/usr"), Path.of("/etc")),
          List.of(Path.of("/bin")),
          List.of(Path.of("/w/out")),
          List.of(Path.of("/")));

  /** The launcher's options for {@link #EVERYTHING}, exactly and in order. */
  private static final List<String> EVERYTHING_OPTIONS =
      List.of(
          "--userns",
          "--pidns",
          "--netns",
          "loopback",
          "--overlay",
          "/w",
          "--overlay-dir",
          "/state/overlays/a1/0",
          "--overlay",
          "/opt/tool",
          "--overlay-dir",
          "/state/overlays/a1/1",
          "--rw",
          "/w/out",
          "--rw",
          "/w/my cache",
          "--private-tmp",
          "--keep",
          "/tmp/.X11-unix",
          "--tmp-size",
          "67108864",
          "--hide",
          "/home/u/.ssh",
          "--hide",
          "/state",
          "--ro-root",
          "--rlimit",
          "nproc=64",
          "--rlimit",
          "as=1073741824",
          "--rlimit",
          "cpu=30",
          "--rlimit",
          "fsize=8589934592",
          "--ll-ro",
          "/usr",
          "--ll-ro",
          "/etc",
          "--ll-rx",
          "/bin",
          "--ll-rw",
          "/w/out",
          "--ll-dir",
          "/");

  @TempDir Path dir;

  @Test
  void everyOptionSetGivesExactlyTheseLauncherArguments() {
    assertEquals(EVERYTHING_OPTIONS, EVERYTHING.options());
  }

  @Test
  void aTracedConfinedLaunchPutsTheOptionsAfterTheFdsAndBeforeTheCommand() throws Exception {
    Path binary = Files.createFile(dir.resolve("launcher"));
    binary.toFile().setExecutable(true);
    LaunchSpec spec = new LaunchSpec(List.of("make", "-j2"), Map.of(), Path.of("/w"), false);

    List<String> expected =
        new ArrayList<>(
            List.of(
                binary.toString(),
                "--cwd",
                "/w",
                "--report-fd",
                "3",
                "--seccomp-fd",
                "4",
                "--sync-fd",
                "5"));
    expected.addAll(EVERYTHING_OPTIONS);
    expected.addAll(List.of("--", "make", "-j2"));
    assertEquals(expected, new Launcher(binary).commandLine(spec, true, EVERYTHING));
  }

  @Test
  void withoutConfinementThereAreNoOptionsAndNamespacesOnlyAddsNoMountsOrLimits() {
    assertEquals(List.of(), Confinement.NONE.options());
    assertEquals(
        List.of("--userns", "--netns", "none"), Confinement.namespacesOnly(Network.NONE).options());
    assertEquals(List.of("--userns"), Confinement.namespacesOnly(Network.HOST).options());
    assertEquals(
        List.of("--userns", "--pidns", "--netns", "loopback"),
        Confinement.namespacesOnly(Network.LOOPBACK).withPidNamespace(true).options());
  }
}
