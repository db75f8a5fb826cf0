package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code ./airlock run}: exit statuses, output, stdin, environment and exec failures. */
@Timeout(60)
class RunCommandTest {
  private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @Test
  void mirrorsTheCommandsStdoutStderrAndExitStatus() throws Exception {
    CliProcess.Result r =
        daemon.runCli(CLIENT_TIMEOUT, "run", "--", "sh", "-c", "echo hello; echo oops >&2; exit 3");

    assertEquals(3, r.status(), r::toString);
    assertEquals("hello\n", r.stdout(), r::toString);
    assertTrue(r.stderr().contains("oops"), r::toString);
  }

  @Test
  void exitsZeroWhenTheCommandSucceeds() throws Exception {
    CliProcess.Result r =
        daemon.runCli(CLIENT_TIMEOUT, "run", "--", "sh", "-c", "echo done; exit 0");

    assertEquals(0, r.status(), r::toString);
    assertEquals("done\n", r.stdout(), r::toString);
  }

  @ParameterizedTest(name = "{0} exits {1}")
  @CsvSource({"kill -9 $$, 137", "kill -TERM $$, 143"})
  void aCommandKilledByASignalExits128PlusIt(String script, int status) throws Exception {
    CliProcess.Result r = daemon.runCli(CLIENT_TIMEOUT, "run", "--", "sh", "-c", script);

    assertEquals(status, r.status(), r::toString);
  }

  @Test
  void outputArrivesWhileTheCommandStillRuns() throws Exception {
    // Outside the workspace: the action sees its workspace through a copy-on-write overlay,
    // which need not show files the host creates there while it runs.
    Path rendezvous = Files.createTempDirectory("airlock-release-");
    Path release = rendezvous.resolve("release-streaming");
    try (CliProcess cli =
        daemon.cli(
            "run",
            "--",
            "sh",
            "-c",
            "echo first; while [ ! -e \"$1\" ]; do sleep 0.02; done; echo second",
            "sh",
            release.toString())) {
      Procs.await("the first line", Duration.ofSeconds(20), () -> cli.stdout().equals("first\n"));
      assertTrue(cli.isAlive(), "the client should still wait for the command");
      assertFalse(cli.stdout().contains("second"));

      Files.createFile(release);
      CliProcess.Result r = cli.await(CLIENT_TIMEOUT);
      assertEquals(0, r.status(), r::toString);
      assertEquals("first\nsecond\n", r.stdout(), r::toString);
    } finally {
      Files.deleteIfExists(release);
      Files.delete(rendezvous);
    }
  }

  @Test
  void aMissingCommandExits127WithOneExactMessage() throws Exception {
    CliProcess.Result r = daemon.runCli(CLIENT_TIMEOUT, "run", "--", "no-such-cmd-xyz");

    assertEquals(127, r.status(), r::toString);
    assertEquals(
        "airlock: cannot execute 'no-such-cmd-xyz': No such file or directory\n", r.stderr());
    assertEquals("", r.stdout());
  }

  @Test
  void aNonExecutableFileExits127WithPermissionDenied() throws Exception {
    Path script = daemon.dir().resolve("not-executable.sh");
    Files.writeString(script, "#!/bin/sh\necho should not run\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rw-r--r--"));

    CliProcess.Result r = daemon.runCli(CLIENT_TIMEOUT, "run", "--", script.toString());

    assertEquals(127, r.status(), r::toString);
    assertEquals("airlock: cannot execute '" + script + "': Permission denied\n", r.stderr());
    assertEquals("", r.stdout());
  }

  @Test
  void aMissingWorkingDirectoryExits127NamingIt() throws Exception {
    Path missing = daemon.dir().resolve("no-such-dir");

    CliProcess.Result r =
        daemon.runCli(CLIENT_TIMEOUT, "run", "--cwd", missing.toString(), "--", "pwd");

    assertEquals(127, r.status(), r::toString);
    assertTrue(r.stderr().startsWith("airlock: "), r::toString);
    assertTrue(r.stderr().contains("working directory"), r::toString);
    assertTrue(r.stderr().contains(missing.toString()), r::toString);
    assertEquals("", r.stdout());
  }

  @Test
  void theCommandRunsInTheGivenWorkingDirectory() throws Exception {
    Path cwd = Files.createDirectories(daemon.dir().resolve("work"));

    CliProcess.Result r =
        daemon.runCli(CLIENT_TIMEOUT, "run", "--cwd", cwd.toString(), "--", "pwd");

    assertEquals(0, r.status(), r::toString);
    assertEquals(cwd + "\n", r.stdout());
  }

  @Test
  void stdinIsForwardedWithTheStdinFlag() throws Exception {
    byte[] megabyte = new byte[1 << 20];
    Arrays.fill(megabyte, (byte) 'x');

    CliProcess.Result r =
        daemon.cli(megabyte, "run", "--stdin", "--", "wc", "-c").await(CLIENT_TIMEOUT);

    assertEquals(0, r.status(), r::toString);
    assertEquals("1048576", r.stdout().trim());
  }

  @Test
  void stdinIsDevNullByDefault() throws Exception {
    byte[] ignored =
        "the client's stdin must not reach the command\n".getBytes(StandardCharsets.UTF_8);

    CliProcess.Result r = daemon.cli(ignored, "run", "--", "wc", "-c").await(CLIENT_TIMEOUT);

    assertEquals(0, r.status(), r::toString);
    assertEquals("0", r.stdout().trim());
  }

  @Test
  void onlyTheDefaultEnvironmentReachesTheCommandUnlessAsked() throws Exception {
    Map<String, String> env = DaemonFixture.cliEnvironment();
    env.put("AIRLOCK_TEST_SECRET", "leaked");
    env.put("LC_AIRLOCK_TEST", "locale-ok");
    List<String> base =
        List.of(
            DaemonFixture.AIRLOCK.toString(),
            "--socket",
            daemon.socket().toString(),
            "--state-dir",
            daemon.stateDir().toString(),
            "run");

    CliProcess.Result plain =
        CliProcess.start(concat(base, "--env", "EXTRA=1", "--", "env"), env, daemon.dir(), null)
            .await(CLIENT_TIMEOUT);
    CliProcess.Result inherit =
        CliProcess.start(concat(base, "--env-inherit", "--", "env"), env, daemon.dir(), null)
            .await(CLIENT_TIMEOUT);

    assertEquals(0, plain.status(), plain::toString);
    List<String> plainVars = Arrays.asList(plain.stdout().split("\n"));
    assertFalse(plainVars.contains("AIRLOCK_TEST_SECRET=leaked"), plain::toString);
    assertTrue(plainVars.contains("LC_AIRLOCK_TEST=locale-ok"), plain::toString);
    assertTrue(plainVars.contains("EXTRA=1"), plain::toString);
    assertTrue(plainVars.stream().anyMatch(v -> v.startsWith("PATH=")), plain::toString);
    for (String var : plainVars) {
      String name = var.substring(0, Math.max(0, var.indexOf('=')));
      assertTrue(
          List.of(
                      "PATH",
                      "HOME",
                      "USER",
                      "LOGNAME",
                      "SHELL",
                      "LANG",
                      "LANGUAGE",
                      "TERM",
                      "TZ",
                      "TMPDIR",
                      "EXTRA",
                      "PWD")
                  .contains(name)
              || name.startsWith("LC_"),
          "unexpected variable passed by default: " + var);
    }
    assertEquals(0, inherit.status(), inherit::toString);
    assertTrue(
        Arrays.asList(inherit.stdout().split("\n")).contains("AIRLOCK_TEST_SECRET=leaked"),
        inherit::toString);
  }

  private static List<String> concat(List<String> head, String... tail) {
    List<String> all = new java.util.ArrayList<>(head);
    all.addAll(List.of(tail));
    return all;
  }
}
