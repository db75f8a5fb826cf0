package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ./airlock's native client: with a daemon running it forwards the invocation and no JVM starts;
 * what it forwards (arguments and environment as bytes, the working directory) arrives intact; it
 * leaves stdin alone unless the command reads it; the commands that must run in the client's own
 * process still do.
 */
@Timeout(120)
class NativeClientTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  /** ./airlock with the test daemon's socket and state dir, as a shell word list. */
  private static String airlock() {
    return DaemonFixture.AIRLOCK
        + " --socket "
        + daemon.socket()
        + " --state-dir "
        + daemon.stateDir();
  }

  private static CliProcess.Result bash(String script, Map<String, String> env, byte[] stdin)
      throws Exception {
    return CliProcess.start(List.of("bash", "-c", script), env, daemon.dir(), stdin).await(TIMEOUT);
  }

  @Test
  void withADaemonRunningNoJvmStarts() throws Exception {
    // A java that leaves a mark: the JVM client would run it, the native client must not.
    Path fakeJdk = daemon.dir().resolve("fake-jdk");
    Path mark = daemon.dir().resolve("java-ran");
    Files.createDirectories(fakeJdk.resolve("bin"));
    Path java = fakeJdk.resolve("bin/java");
    Files.writeString(java, "#!/bin/sh\ntouch " + mark + "\nexit 1\n");
    Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
    Map<String, String> env = new HashMap<>(DaemonFixture.cliEnvironment());
    env.put("JAVA_HOME", fakeJdk.toString());

    CliProcess.Result r =
        bash(airlock() + " run -- sh -c 'echo out; echo err >&2; exit 7'", env, null);

    assertEquals(7, r.status(), r::toString);
    assertEquals("out\n", r.stdout(), r::toString);
    assertEquals("err\n", r.stderr(), r::toString);
    assertFalse(Files.exists(mark), "a JVM was started");
  }

  @Test
  void argumentsEnvironmentAndDirectoryArriveAsTheirBytes() throws Exception {
    Path sub = Files.createDirectories(daemon.dir().resolve("sub dir"));
    Map<String, String> env = new HashMap<>(DaemonFixture.cliEnvironment());
    env.put("AIRLOCK_TEST_VALUE", "a b=c");

    // The argument, and so the file name, are bytes that are not UTF-8; the shell makes them and
    // checks them afterwards.
    CliProcess.Result r =
        bash(
            "cd 'sub dir' && "
                + airlock()
                + " run --env-inherit -- sh -c"
                + " 'printf %s \"$1\" > \"name-$1\"; pwd; echo \"$AIRLOCK_TEST_VALUE\"'"
                + " sh $'\\xff\\xfe' && cmp <(printf '\\xff\\xfe') $'name-\\xff\\xfe' && echo same",
            env,
            null);

    assertEquals(0, r.status(), r::toString);
    assertEquals(sub + "\na b=c\nsame\n", r.stdout(), r::toString);
  }

  @Test
  void stdinIsLeftAloneUnlessTheCommandReadsIt() throws Exception {
    // The client must not eat the input meant for what follows it (a `while read` loop's).
    CliProcess.Result r =
        bash(
            airlock() + " run -- true; echo \"next read: $(cat)\"",
            DaemonFixture.cliEnvironment(),
            "for the shell\n".getBytes());

    assertEquals(0, r.status(), r::toString);
    assertEquals("next read: for the shell\n", r.stdout(), r::toString);
  }

  @Test
  void forwardedStdinArrivesWholeAcrossManyWindows() throws Exception {
    byte[] input = new byte[3 * 1024 * 1024 + 17];
    for (int i = 0; i < input.length; i++) {
      input[i] = (byte) (i * 31 + i / 7);
    }
    Path copy = daemon.dir().resolve("stdin-copy");

    CliProcess.Result r =
        bash(
            airlock() + " run --stdin --cache off -- sh -c 'cat > stdin-copy; echo done'",
            DaemonFixture.cliEnvironment(),
            input);

    assertEquals(0, r.status(), r::toString);
    assertEquals("done\n", r.stdout(), r::toString);
    assertArrayEquals(input, Files.readAllBytes(copy));
  }

  @Test
  void nativeAndJvmClientsPrintAndExitAlike() throws Exception {
    List<String> invocations =
        List.of(
            "--help",
            "run --help",
            "run --no-such-option -- true",
            "run -- sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'",
            "run -- no-such-command-anywhere",
            "run --report missing-dir/report.json -- true",
            "run --policy hermetic --cache off -- cat /etc/passwd",
            "run --keep-failed . -- true",
            "cache explain --cache off -- true");
    for (String invocation : invocations) {
      Map<String, String> jvm = new HashMap<>(DaemonFixture.cliEnvironment());
      jvm.put("AIRLOCK_CLIENT", "jvm");
      CliProcess.Result viaJvm = bash(airlock() + " " + invocation, jvm, null);
      CliProcess.Result viaNative =
          bash(airlock() + " " + invocation, DaemonFixture.cliEnvironment(), null);

      assertEquals(viaJvm.status(), viaNative.status(), invocation + ": " + viaNative);
      assertEquals(viaJvm.stdout(), viaNative.stdout(), invocation);
      assertEquals(viaJvm.stderr(), viaNative.stderr(), invocation);
    }
  }
}
