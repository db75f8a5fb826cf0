package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the shipped policies promise a new user, through the CLI: nothing written in place, nothing
 * reachable that the policy does not grant, and ordinary commands (mkdir -p, make, a project's own
 * script, a probe of a missing or hidden path) working as they would without Airlock.
 */
@Timeout(180)
class PolicyPromisesTest {
  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  private static CliProcess.Result run(Path cwd, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("run", "--no-start", "--cwd", cwd.toString()));
    all.addAll(List.of(args));
    try (CliProcess cli = daemon.cli(all.toArray(String[]::new))) {
      return cli.await(Duration.ofSeconds(120));
    }
  }

  private static Path workspace(String name) throws IOException {
    return Files.createDirectories(daemon.dir().resolve(name));
  }

  @ParameterizedTest(name = "with {0}")
  @ValueSource(strings = {"--commit", "--discard"})
  void aWorkspaceOfSlashIsRefusedRatherThanWrittenInPlace(String mode) throws Exception {
    Path target = Path.of("/etc/airlock-promise-" + ProcessHandle.current().pid());
    try {
      CliProcess.Result r =
          run(
              Path.of("/"),
              "--policy",
              "build",
              mode,
              "--",
              "sh",
              "-c",
              "echo x > " + target + "; exit 1");
      assertEquals(125, r.status(), r::toString);
      assertTrue(r.stderr().contains("the workspace is /"), r::toString);
      assertTrue(r.stderr().contains("--workspace DIR"), "it says what to do: " + r);
      assertFalse(Files.exists(target), "nothing may be written in place (" + mode + ")");
    } finally {
      Files.deleteIfExists(target);
    }
  }

  @Test
  void hostUnixSocketsAreUnreachableWithoutNetworkButTheActionsOwnAreFine() throws Exception {
    Path ws = workspace("sockets");
    // Outside /tmp: an action's private /tmp would hide a socket there anyway.
    Path host = Path.of("/var/tmp/airlock-promise-" + ProcessHandle.current().pid() + ".sock");
    Files.deleteIfExists(host);
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(host));
      server.configureBlocking(false);
      String client =
          "import socket,sys\n"
              + "s=socket.socket(socket.AF_UNIX, getattr(socket, sys.argv[1]))\n"
              + "try:\n"
              + "  s.connect(sys.argv[2]) if sys.argv[1]=='SOCK_STREAM' else s.sendto(b'x', sys.argv[2])\n"
              + "  print('reached')\n"
              + "except OSError as e:\n"
              + "  print('refused', e.errno)\n";
      Files.writeString(ws.resolve("client.py"), client);

      CliProcess.Result stream =
          run(
              ws,
              "--policy",
              "build",
              "--",
              "python3",
              "client.py",
              "SOCK_STREAM",
              host.toString());
      assertEquals(126, stream.status(), stream::toString);
      assertEquals("refused 13\n", stream.stdout(), stream::toString);
      assertTrue(stream.stderr().contains("connect unix:" + host), stream::toString);
      try (SocketChannel accepted = server.accept()) {
        assertEquals(null, accepted, "the host's socket got no connection");
      }

      CliProcess.Result datagram =
          run(ws, "--policy", "build", "--", "python3", "client.py", "SOCK_DGRAM", host.toString());
      assertEquals(126, datagram.status(), datagram::toString);
      assertEquals("refused 13\n", datagram.stdout(), "a datagram sent by address: " + datagram);

      CliProcess.Result own =
          run(
              ws,
              "--policy",
              "build",
              "--",
              "python3",
              "-c",
              "import socket\n"
                  + "s=socket.socket(socket.AF_UNIX); s.bind('own.sock'); s.listen(1)\n"
                  + "c=socket.socket(socket.AF_UNIX); c.connect('own.sock'); print('own ok')");
      assertEquals(0, own.status(), own::toString);
      assertEquals("own ok\n", own.stdout());

      CliProcess.Result audited =
          run(ws, "--", "python3", "client.py", "SOCK_STREAM", host.toString());
      assertEquals(0, audited.status(), "the audit policy grants the network: " + audited);
      assertEquals("reached\n", audited.stdout());
    } finally {
      Files.deleteIfExists(host);
    }
  }

  @Test
  void aProcessReadsItsOwnProcEntriesByThePidItKnows() throws Exception {
    // In the action's pid namespace, $$ (getpid) is not the tracer's pid for the process; both
    // name the process itself, which /proc/self in a policy grants (found on zstd's build,
    // where a tool reads /proc/<getpid()>/maps). exec keeps the shell's pid for head.
    Path ws = Files.createDirectories(daemon.dir().resolve("own-proc"));
    CliProcess.Result own =
        run(ws, "--policy", "hermetic", "--", "sh", "-c", "exec head -c 1 /proc/$$/maps");
    assertEquals(0, own.status(), own::toString);

    CliProcess.Result other =
        run(ws, "--policy", "hermetic", "--", "sh", "-c", "head -c 1 /proc/$$/maps");
    assertEquals(126, other.status(), "another process's entries stay refused: " + other);
  }

  @Test
  void mkdirOfPathsThatExistIsNoViolation() throws Exception {
    Path ws = workspace("mkdir");
    CliProcess.Result r =
        run(ws, "--policy", "build", "--", "mkdir", "-p", "/usr/share", ws + "/sub/deeper");
    assertEquals(0, r.status(), r::toString);
    assertTrue(Files.isDirectory(ws.resolve("sub/deeper")));

    CliProcess.Result outside = run(ws, "--policy", "build", "--", "mkdir", "/usr/airlock-nope");
    assertEquals(126, outside.status(), "creating what is not there stays refused: " + outside);
    assertTrue(outside.stderr().contains("create /usr/airlock-nope"), outside::toString);
  }

  @Test
  void declaredOutputsThatDoNotExistYetCanBeCreatedWithTheirParents() throws Exception {
    Path ws = workspace("outputs");
    Path opt = Files.createDirectories(daemon.dir().resolve("opt"));
    Path tool = opt.resolve("tool/bin/tool");
    String make = "mkdir -p " + tool.getParent() + " && echo v1 > " + tool;

    CliProcess.Result r =
        run(
            ws,
            "--policy",
            "provision",
            "--outputs",
            opt.resolve("tool").toString(),
            "--",
            "sh",
            "-c",
            make);
    assertEquals(0, r.status(), r::toString);
    assertEquals("v1\n", Files.readString(tool));

    // Replayed from the cache, parents included, once the output is gone.
    Files.delete(tool);
    Files.delete(tool.getParent());
    Files.delete(tool.getParent().getParent());
    CachedRun replay =
        CachedRun.launch(
                daemon.fixture(),
                ws,
                List.of("--policy", "provision", "--outputs", opt.resolve("tool").toString()),
                List.of("sh", "-c", make))
            .await();
    replay.assertExit(0).assertHit();
    assertEquals("v1\n", Files.readString(tool));

    CliProcess.Result file =
        run(ws, "--policy", "hermetic", "--outputs", "o.txt", "--", "sh", "-c", "echo o > o.txt");
    assertEquals(0, file.status(), file::toString);
    assertEquals("o\n", Files.readString(ws.resolve("o.txt")));

    CliProcess.Result beside =
        run(ws, "--policy", "hermetic", "--outputs", "o.txt", "--", "sh", "-c", "echo x > p.txt");
    assertEquals(126, beside.status(), "only the declared output: " + beside);
    assertFalse(Files.exists(ws.resolve("p.txt")));
  }

  @Test
  void hermeticRunsOrdinaryCommandsOnDeclaredInputsAndHidesTheHostsTmp() throws Exception {
    Path ws = workspace("hermetic");
    Files.writeString(ws.resolve("in.txt"), "input\n");
    Files.writeString(ws.resolve("undeclared.txt"), "secret\n");
    Files.writeString(ws.resolve("run.sh"), "#!/bin/sh\necho script ran\n");
    Files.setPosixFilePermissions(
        ws.resolve("run.sh"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path hostTmp = Files.createTempFile(Path.of("/tmp"), "airlock-host-", ".txt");
    try {
      CliProcess.Result cat =
          run(
              ws,
              "--policy",
              "hermetic",
              "--env",
              "LANG=C.UTF-8",
              "--inputs",
              "in.txt",
              "--",
              "cat",
              "in.txt");
      assertEquals(0, cat.status(), cat::toString);
      assertEquals("input\n", cat.stdout());

      CliProcess.Result mkdir =
          run(ws, "--policy", "hermetic", "--outputs", "made", "--", "mkdir", "made");
      assertEquals(0, mkdir.status(), mkdir::toString);
      assertTrue(Files.isDirectory(ws.resolve("made")));

      CliProcess.Result script =
          run(ws, "--policy", "hermetic", "--inputs", "run.sh", "--", "./run.sh");
      assertEquals(0, script.status(), script::toString);
      assertEquals("script ran\n", script.stdout());

      CliProcess.Result undeclared =
          run(ws, "--policy", "hermetic", "--inputs", "in.txt", "--", "cat", "undeclared.txt");
      assertEquals(126, undeclared.status(), undeclared::toString);
      assertFalse(undeclared.stdout().contains("secret"));

      CliProcess.Result tmp =
          run(ws, "--policy", "hermetic", "--", "sh", "-c", "cat " + hostTmp + "; ls /tmp");
      assertEquals(0, tmp.status(), "the host's file is absent, not refused: " + tmp);
      assertTrue(tmp.stderr().contains("No such file or directory"), tmp::toString);
      assertFalse(tmp.stdout().contains(hostTmp.getFileName().toString()), tmp::toString);
    } finally {
      Files.deleteIfExists(hostTmp);
    }
  }

  @Test
  void hermeticBuildsACProjectFromItsDeclaredInputs() throws Exception {
    Path project = workspace("cproj");
    Files.createDirectories(project.resolve("src"));
    Files.createDirectories(project.resolve("include"));
    for (int i = 0; i < 6; i++) {
      Files.writeString(
          project.resolve("include/h" + i + ".h"),
          "#include <stdio.h>\nstatic inline int h" + i + "(void) { return " + i + "; }\n");
      Files.writeString(
          project.resolve("src/f" + i + ".c"),
          "#include \"h"
              + i
              + ".h\"\n#include <string.h>\nint f"
              + i
              + "(void) { return h"
              + i
              + "() + (int) strlen(\"x\"); }\n");
    }
    StringBuilder main = new StringBuilder("#include <stdio.h>\n");
    StringBuilder sum = new StringBuilder("0");
    for (int i = 0; i < 6; i++) {
      main.append("int f").append(i).append("(void);\n");
      sum.append(" + f").append(i).append("()");
    }
    main.append("int main(void) { printf(\"%d\\n\", ").append(sum).append("); return 0; }\n");
    Files.writeString(project.resolve("src/main.c"), main.toString());
    Files.writeString(
        project.resolve("Makefile"),
        """
        CPPFLAGS += -Iinclude
        SRCS := $(sort $(wildcard src/*.c))
        OBJS := $(patsubst src/%.c,obj/%.o,$(SRCS))
        app: $(OBJS)
        \t$(CC) -o $@ $(OBJS)
        obj/%.o: src/%.c | obj
        \t$(CC) $(CPPFLAGS) -O1 -c $< -o $@
        obj:
        \tmkdir -p obj
        """);

    CliProcess.Result r =
        run(
            project,
            "--policy",
            "hermetic",
            "--inputs",
            "Makefile,src,include",
            "--outputs",
            "obj,app",
            "--",
            "make",
            "-s",
            "-j2");
    assertEquals(0, r.status(), r::toString);
    assertTrue(Files.isExecutable(project.resolve("app")));
    Process app = new ProcessBuilder(project.resolve("app").toString()).start();
    assertEquals("21\n", new String(app.getInputStream().readAllBytes()));
  }

  @Test
  void aMissingOrHiddenPathLooksAbsentAndDoesNotFailTheAction() throws Exception {
    Path ws = workspace("hidden");
    Path home = Files.createDirectories(daemon.dir().resolve("home"));
    CliProcess.Result missing =
        run(ws, "--policy", "build", "--env", "HOME=" + home, "--", "ls", home + "/.ssh");
    assertEquals(2, missing.status(), "ls's own status for a missing path: " + missing);
    assertFalse(missing.stderr().contains("denied"), missing::toString);

    Files.createDirectories(home.resolve(".ssh"));
    Files.writeString(home.resolve(".ssh/id_rsa"), "private key\n");
    Path report = daemon.dir().resolve("hidden.json");
    CliProcess.Result hidden =
        run(
            ws,
            "--policy",
            "build",
            "--env",
            "HOME=" + home,
            "--report",
            report.toString(),
            "--",
            "cat",
            home + "/.ssh/id_rsa");
    assertEquals(1, hidden.status(), "cat's own status: " + hidden);
    assertTrue(hidden.stderr().contains("No such file or directory"), hidden::toString);
    assertFalse(hidden.stdout().contains("private"));
    assertTrue(
        Files.readString(report).contains("\"absent-probe\", \"path\": \"" + home + "/.ssh"),
        "the record shows what the action saw");
  }

  @Test
  void theShippedEnforcingPoliciesLimitProcessesMemoryAndTmp() throws Exception {
    Path ws = workspace("limits");
    CliProcess.Result limits =
        run(ws, "--policy", "build", "--", "sh", "-c", "ulimit -v; df -k --output=size /tmp");
    assertEquals(0, limits.status(), limits::toString);
    assertTrue(limits.stdout().startsWith("16777216\n"), "16 GiB per process: " + limits);
    assertTrue(limits.stdout().contains("4194304"), "a 4 GiB private /tmp: " + limits);

    String forks =
        "import os,signal\n"
            + "n=0\n"
            + "try:\n"
            + "  for i in range(5000):\n"
            + "    if os.fork()==0:\n"
            + "      signal.pause(); os._exit(0)\n"
            + "    n+=1\n"
            + "except OSError as e:\n"
            + "  print('stopped', e.errno)\n"
            + "print(n, flush=True)\n"
            + "os.killpg(0, signal.SIGKILL)\n";
    CliProcess.Result bomb = run(ws, "--policy", "build", "--", "python3", "-c", forks);
    assertEquals(126, bomb.status(), "going over a limit breaks the policy: " + bomb);
    assertTrue(bomb.stderr().contains("process limit 2048"), bomb::toString);
    assertTrue(bomb.stdout().startsWith("stopped 11\n"), "fork fails with EAGAIN: " + bomb);
    int made = Integer.parseInt(bomb.stdout().split("\n")[1].trim());
    assertTrue(made > 2000 && made < 2048, "about 2048 processes at once: " + made);
  }
}
