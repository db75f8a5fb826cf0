package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Policies through the CLI: enforce mode, the network rule, hidden state, escapes, audit. */
@Timeout(90)
class PolicyTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @BeforeAll
  static void writeFilesAndPolicies() throws Exception {
    Path dir = daemon.dir();
    Files.writeString(dir.resolve("ok.txt"), "ok\n");
    Files.writeString(dir.resolve("secret.txt"), "secret\n");
    Files.writeString(
        dir.resolve("strict.textproto"),
        """
        # only the toolchain and ok.txt may be read, only out/ written, no network
        mode: MODE_ENFORCE
        readable: ["/usr", "/lib", "/lib64", "/bin", "/etc", "/dev/null", "/proc/self"]
        readable: "${workspace}/ok.txt"
        executable: ["/usr", "/bin"]
        writable: ["${workspace}/out", "/dev/null", "/dev/tty"]
        network: NETWORK_NONE
        """);
    Files.writeString(
        dir.resolve("loopback.textproto"),
        "extends: \"strict.textproto\"\nnetwork: NETWORK_LOOPBACK\n");
  }

  private static CliProcess.Result airlock(String... args) throws Exception {
    try (CliProcess cli = daemon.cli(args)) {
      return cli.await(Duration.ofSeconds(60));
    }
  }

  @Test
  void anEnforcingPolicyFileRefusesUndeclaredAccessesAndTheRunExits126NamingThem()
      throws Exception {
    CliProcess.Result r =
        airlock(
            "run",
            "--policy",
            "strict.textproto",
            "--",
            "sh",
            "-c",
            "cat ok.txt; cat secret.txt; echo x > notout.txt; true");
    assertEquals(126, r.status(), r::toString);
    assertEquals("ok\n", r.stdout(), r::toString);
    assertTrue(r.stderr().contains("Permission denied"), r::toString);
    assertTrue(
        r.stderr()
            .contains(
                "policy 'strict.textproto' denied: read " + daemon.dir().resolve("secret.txt")),
        r::toString);
    assertTrue(r.stderr().contains("write " + daemon.dir().resolve("notout.txt")), r::toString);
    assertFalse(
        Files.exists(daemon.dir().resolve("notout.txt")), "a refused write must not happen");
  }

  @Test
  void withoutNetworkTheHostsLoopbackIsUnreachableAndLoopbackPoliciesReachIt() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      String connect = "exec 3<>/dev/tcp/127.0.0.1/" + server.getLocalPort() + " && echo connected";
      // No network: the action has a network namespace with only its own loopback, where
      // nothing listens on the host server's port.
      CliProcess.Result none =
          airlock("run", "--policy", "strict.textproto", "--", "bash", "-c", connect);
      assertFalse(none.stdout().contains("connected"), none::toString);
      assertEquals(1, none.status(), none::toString);

      CliProcess.Result loopback =
          airlock("run", "--policy", "loopback.textproto", "--", "bash", "-c", connect);
      assertEquals(0, loopback.status(), loopback::toString);
      assertEquals("connected\n", loopback.stdout());
    }
  }

  @Test
  void theDaemonsSocketAndStateAreInvisibleToAnAction() throws Exception {
    CliProcess.Result r =
        airlock(
            "run",
            "--report",
            "-",
            "--",
            "sh",
            "-c",
            "ls "
                + daemon.stateDir()
                + " >/dev/null 2>&1 || echo state-hidden;"
                + " test -e "
                + daemon.socket()
                + " || echo socket-hidden");
    assertEquals(0, r.status(), r::toString);
    assertTrue(r.stdout().startsWith("state-hidden\nsocket-hidden\n"), r::toString);
  }

  @Test
  void escapeAttemptsAreRefusedAndRecorded() throws Exception {
    CliProcess.Result r =
        airlock("run", "--report", "-", "--", "sh", "-c", "unshare -U true || echo refused");
    assertTrue(r.stdout().startsWith("refused\n"), r::toString);
    assertTrue(r.stdout().contains("{\"kind\": \"escape\", \"path\": \"(unshare)\""), r::toString);
  }

  @Test
  void auditReportsUndeclaredReadsAndWritesAndFailsOnThemWhenAsked() throws Exception {
    Path out = daemon.dir().resolve("audit.json");
    String script = "cat ok.txt secret.txt > /dev/null; echo x > made.txt";
    CliProcess.Result r =
        airlock(
            "audit",
            "--inputs",
            "ok.txt",
            "--json",
            out.toString(),
            "--fail-on-undeclared",
            "--",
            "sh",
            "-c",
            script);
    assertEquals(65, r.status(), r::toString);
    assertTrue(r.stderr().contains("Undeclared reads (1), by directory:"), r::toString);
    assertTrue(r.stderr().contains("      1  " + daemon.dir() + "/"), r::toString);
    assertTrue(r.stderr().contains("write " + daemon.dir().resolve("made.txt")), r::toString);
    String json = Files.readString(out);
    assertTrue(
        json.contains("\"undeclared_reads\": [\"" + daemon.dir().resolve("secret.txt") + "\"]"),
        json);
    assertTrue(json.contains("\"undeclared\": true"), json);

    CliProcess.Result declared =
        airlock(
            "audit",
            "--inputs",
            "ok.txt,secret.txt",
            "--outputs",
            "made.txt",
            "--fail-on-undeclared",
            "--",
            "sh",
            "-c",
            script);
    assertEquals(0, declared.status(), declared::toString);
    assertTrue(declared.stderr().contains("Undeclared reads (0): none"), declared::toString);
    assertTrue(declared.stderr().contains("Undeclared writes (0): none"), declared::toString);
  }
}
