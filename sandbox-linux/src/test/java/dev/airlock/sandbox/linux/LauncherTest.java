package dev.airlock.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs real commands through the real launcher binary built by this module. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LauncherTest {
  private static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");
  @TempDir static Path shared;
  private static Launcher launcher;

  @TempDir Path dir;

  @BeforeAll
  static void extract() throws Exception {
    launcher = new Launcher(LauncherBinary.extractTo(shared.resolve("libexec")));
  }

  private record Run(
      ExitStatus status, String stdout, String stderr, Optional<LaunchFailure> failure) {}

  private Run run(LaunchSpec spec) throws Exception {
    try (LaunchedProcess p = launcher.launch(spec)) {
      String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8);
      ExitStatus status = p.awaitExit();
      return new Run(status, out, err, p.launchFailure());
    }
  }

  private LaunchSpec sh(String script) {
    return new LaunchSpec(List.of("sh", "-c", script), ENV, dir, false);
  }

  @Test
  void commandOutputAndExitCodeComeBackSeparately() throws Exception {
    Run run = run(sh("echo hello; echo oops >&2; exit 3"));
    assertEquals("hello\n", run.stdout);
    assertEquals("oops\n", run.stderr);
    assertTrue(run.status.exited());
    assertEquals(3, run.status.exitCode());
    assertTrue(run.failure.isEmpty());
  }

  @Test
  void commandRunsInTheGivenDirectoryWithExactlyTheGivenEnvironment() throws Exception {
    Run run =
        run(
            new LaunchSpec(
                List.of("sh", "-c", "pwd; env | sort"),
                Map.of("PATH", "/usr/bin:/bin", "X", "1"),
                dir,
                false));
    List<String> lines = run.stdout.lines().toList();
    assertEquals(dir.toRealPath().toString(), lines.get(0));
    assertTrue(lines.contains("X=1"), run.stdout);
    assertFalse(lines.stream().anyMatch(l -> l.startsWith("HOME=")), run.stdout);
  }

  @Test
  void signalDeathIsReportedAsTheSignal() throws Exception {
    Run run = run(sh("kill -TERM $$"));
    assertFalse(run.status.exited());
    assertEquals(15, run.status.signal());
  }

  @Test
  void missingCommandIsReportedAsExecFailureWithStatus127() throws Exception {
    Run run = run(new LaunchSpec(List.of("no-such-command-xyz"), ENV, dir, false));
    assertEquals(127, run.status.exitCode());
    LaunchFailure failure = run.failure.orElseThrow();
    assertEquals(LaunchFailure.Stage.EXEC, failure.stage());
    assertEquals(Errno.ENOENT, failure.errno());
    assertEquals(
        "cannot execute 'no-such-command-xyz': No such file or directory", failure.message());
  }

  @Test
  void nonExecutableFileIsReportedAsPermissionDenied() throws Exception {
    Path script = Files.writeString(dir.resolve("script.sh"), "#!/bin/sh\necho hi\n");
    Run run = run(new LaunchSpec(List.of(script.toString()), ENV, dir, false));
    assertEquals(127, run.status.exitCode());
    assertEquals(Errno.EACCES, run.failure.orElseThrow().errno());
  }

  @Test
  void missingWorkingDirectoryIsReportedAsChdirFailure() throws Exception {
    Run run = run(new LaunchSpec(List.of("true"), ENV, dir.resolve("gone"), false));
    LaunchFailure failure = run.failure.orElseThrow();
    assertEquals(LaunchFailure.Stage.CHDIR, failure.stage());
    assertTrue(
        failure.message().startsWith("cannot change to working directory"), failure.message());
  }

  @Test
  void commandInheritsNoFdsBeyondStdio() throws Exception {
    // ls lists its own fds: 0-2 plus the fd it opened for the directory itself.
    Run run = run(sh("ls /proc/self/fd | wc -l"));
    assertEquals("4", run.stdout.trim());
  }

  @Test
  void commandLeadsItsOwnProcessGroupWithNoSignalBlockedOrIgnored() throws Exception {
    // cat is exec'd by the launcher itself, so its /proc entries show what the launcher left.
    Run run =
        run(
            new LaunchSpec(
                List.of("cat", "/proc/self/stat", "/proc/self/status"), ENV, dir, false));
    String[] stat =
        run.stdout.lines().findFirst().orElseThrow().replaceAll("^.*\\) ", "").split(" ");
    String pid = run.stdout.lines().findFirst().orElseThrow().split(" ")[0];
    assertEquals(pid, stat[2], "pgrp equals pid");
    assertTrue(run.stdout.contains("SigBlk:\t0000000000000000"), run.stdout);
    assertTrue(run.stdout.contains("SigIgn:\t0000000000000000"), run.stdout);
  }

  @Test
  void stdinIsDevNullUnlessPiped() throws Exception {
    assertEquals("0", run(sh("wc -c")).stdout.trim());
    try (LaunchedProcess p = launcher.launch(new LaunchSpec(List.of("cat"), ENV, dir, true))) {
      try (OutputStream in = p.stdin().orElseThrow()) {
        in.write("piped\n".getBytes(StandardCharsets.UTF_8));
      }
      assertEquals("piped\n", new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8));
      assertEquals(0, p.awaitExit().exitCode());
    }
  }

  @Test
  void signalGroupReachesGrandchildren() throws Exception {
    try (LaunchedProcess p = launcher.launch(sh("sleep 60 & sleep 60 & echo started; wait"))) {
      byte[] started = p.stdout().readNBytes(8);
      assertEquals("started\n", new String(started, StandardCharsets.UTF_8));
      assertTrue(p.signalGroup(9));
      ExitStatus status = p.awaitExit();
      assertEquals(9, status.signal());
      // Both sleeps held the stdout pipe; end-of-file proves they died with the group.
      assertEquals(-1, p.stdout().read());
    }
  }

  @Test
  void platformProbeFindsSeccompAndPtraceOnThisKernel() {
    LinuxPlatform platform = LinuxPlatform.probe();
    assertEquals(List.of(), platform.problems());
    assertEquals("yes", platform.features().get("seccomp-filter"));
  }
}
