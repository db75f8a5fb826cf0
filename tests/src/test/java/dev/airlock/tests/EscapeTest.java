package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Escape attempts from an action under an enforcing policy: each must be denied or contained,
 * reported, and lose nothing. The host's {@code outside/victim} must never change and nothing may
 * appear next to it.
 */
@Timeout(90)
class EscapeTest {
  private static final String VICTIM_TEXT = "original victim\n";
  private static final String POLICY = "escape.textproto";

  /** Escape helpers: ptrace, process_vm_writev, io_uring_setup, open_by_handle_at, a path race. */
  private static final String ESCAPE_C =
      """
      #define _GNU_SOURCE
      #include <errno.h>
      #include <fcntl.h>
      #include <pthread.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <sys/ptrace.h>
      #include <sys/syscall.h>
      #include <sys/types.h>
      #include <sys/uio.h>
      #include <time.h>
      #include <unistd.h>

      static volatile char buf[64] = "out/ok";
      static volatile int stop;

      static void put(const char *s) {
        for (int i = 0; s[i] != 0 || (buf[i] = 0); i++) buf[i] = s[i];
      }

      static void *flip(void *arg) {
        (void)arg;
        while (!stop) {
          put("outside/victim");
          for (volatile int i = 0; i < 200; i++) {}
          put("out/ok");
          for (volatile int i = 0; i < 200; i++) {}
        }
        return NULL;
      }

      static int race(void) {
        pthread_t t;
        pthread_create(&t, NULL, flip, NULL);
        struct timespec start, now;
        clock_gettime(CLOCK_MONOTONIC, &start);
        long opened = 0, refused = 0;
        do {
          int fd = open((const char *)buf, O_WRONLY | O_CREAT, 0644);
          if (fd >= 0) {
            if (write(fd, "RACED\\n", 6) != 6) perror("write");
            close(fd);
            opened++;
          } else {
            refused++;
          }
          clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < 1000);
        stop = 1;
        pthread_join(t, NULL);
        printf("race opened %ld refused %ld\\n", opened, refused);
        return 0;
      }

      int main(int argc, char **argv) {
        if (argc < 2) return 2;
        const char *mode = argv[1];
        if (strcmp(mode, "ptrace") == 0) {
          pid_t pid = atoi(argv[2]);
          long rc = ptrace(PTRACE_ATTACH, pid, 0, 0);
          printf("ptrace %ld %s\\n", rc, rc == 0 ? "ATTACHED" : strerrorname_np(errno));
          static char data[8] = "xxxxxxx";
          struct iovec local = {data, sizeof data}, remote = {(void *)0x400000, sizeof data};
          long n = process_vm_writev(pid, &local, 1, &remote, 1, 0);
          printf("process_vm_writev %ld %s\\n", n, n >= 0 ? "WROTE" : strerrorname_np(errno));
          n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
          printf("process_vm_readv %ld %s\\n", n, n >= 0 ? "READ" : strerrorname_np(errno));
          return 0;
        }
        if (strcmp(mode, "kernel") == 0) {
          char params[120];
          memset(params, 0, sizeof params);
          long rc = syscall(SYS_io_uring_setup, 4, params);
          printf("io_uring_setup %ld %s\\n", rc, rc >= 0 ? "OPENED" : strerrorname_np(errno));
          struct {
            unsigned int bytes;
            int type;
            unsigned char h[128];
          } handle;
          int mount_id;
          handle.bytes = 128;
          if (name_to_handle_at(AT_FDCWD, "/etc/hostname", (void *)&handle, &mount_id, 0) != 0) {
            handle.bytes = 8;
            handle.type = 1;
            memset(handle.h, 0, sizeof handle.h);
          }
          rc = syscall(SYS_open_by_handle_at, AT_FDCWD, &handle, O_RDONLY);
          printf("open_by_handle_at %ld %s\\n", rc, rc >= 0 ? "OPENED" : strerrorname_np(errno));
          return 0;
        }
        if (strcmp(mode, "race") == 0) return race();
        return 2;
      }
      """;

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @BeforeAll
  static void buildToolsAndWritePolicies() throws Exception {
    Path dir = daemon.dir();
    Files.createDirectories(dir.resolve("outside"));
    Files.writeString(dir.resolve("outside/victim"), VICTIM_TEXT);
    Files.createDirectories(dir.resolve("secret"));
    Files.writeString(dir.resolve("secret/id_rsa"), "FAKE-PRIVATE-KEY\n");
    Files.createDirectories(dir.resolve("out"));
    Path tools = Files.createDirectories(dir.resolve("tools"));
    Files.writeString(tools.resolve("escape.c"), ESCAPE_C);
    Procs.run(
        "gcc",
        "-O1",
        "-pthread",
        "-o",
        tools.resolve("escape").toString(),
        tools.resolve("escape.c").toString());
    Files.writeString(
        dir.resolve(POLICY),
        """
        # the toolchain and the workspace may be read, only out/ written, secret/ is hidden
        mode: MODE_ENFORCE
        readable: ["/usr", "/lib", "/lib64", "/bin", "/etc", "/dev", "/proc"]
        readable: "${workspace}"
        writable: ["${workspace}/out", "/dev/null", "/dev/tty"]
        executable: ["/usr", "/bin", "${workspace}/tools"]
        hidden: "${workspace}/secret"
        network: NETWORK_NONE
        """);
    Files.writeString(
        dir.resolve("procs.textproto"), "extends: \"" + POLICY + "\"\nlimits { processes: 64 }\n");
    Files.writeString(
        dir.resolve("memory.textproto"),
        "extends: \"" + POLICY + "\"\nlimits { memory_bytes: 268435456 }\n");
    Files.writeString(
        dir.resolve("wall.textproto"),
        "extends: \"" + POLICY + "\"\nlimits { wall_time_ms: 1000 }\n");
  }

  /** Whatever the test did, the host's file outside the writable roots is as it was. */
  @AfterEach
  void outsideIsUntouched() throws IOException {
    assertOutsideIntact();
  }

  private static void assertOutsideIntact() throws IOException {
    assertEquals(
        VICTIM_TEXT, Files.readString(daemon.dir().resolve("outside/victim")), "outside/victim");
    try (Stream<Path> files = Files.list(daemon.dir().resolve("outside"))) {
      assertEquals(
          List.of("victim"),
          files.map(p -> p.getFileName().toString()).sorted().toList(),
          "nothing may appear in outside/");
    }
  }

  private static CliProcess.Result airlock(String... args) throws Exception {
    try (CliProcess cli = daemon.cli(args)) {
      return cli.await(Duration.ofSeconds(60));
    }
  }

  /** {@code airlock run --policy POLICY --report - -- sh -c SCRIPT}. */
  private static CliProcess.Result run(String policy, String script) throws Exception {
    return airlock("run", "--policy", policy, "--report", "-", "--", "sh", "-c", script);
  }

  private static String victim() {
    return daemon.dir().resolve("outside/victim").toString();
  }

  private static void assertDenied(CliProcess.Result r, String access) {
    assertEquals(126, r.status(), r::toString);
    assertTrue(r.stderr().contains("policy '" + POLICY + "' denied: "), r::toString);
    assertTrue(r.stderr().contains(access), () -> "expected <" + access + "> in " + r);
  }

  private static void assertEscapeRecorded(CliProcess.Result r, String syscall) {
    assertTrue(
        r.stdout().contains("{\"kind\": \"escape\", \"path\": \"(" + syscall + ")\""),
        () -> "expected an escape record for " + syscall + " in " + r);
  }

  @Test
  void writingOutsideTheWritableRootsIsDeniedAndNamed() throws Exception {
    CliProcess.Result r =
        run(
            POLICY,
            "echo x > outside/victim; echo y > outside/new; echo z >> outside/victim; true");
    assertDenied(r, "write " + victim());
    assertTrue(r.stderr().contains(daemon.dir().resolve("outside/new").toString()), r::toString);
  }

  /** Ways to reach outside/victim for writing from a command in the workspace. */
  static Stream<Arguments> routesToTheVictim() {
    return Stream.of(
        arguments(
            "a symlink in the writable dir pointing outside",
            "ln -s ../outside/victim out/link && echo x > out/link; rm -f out/link; true"),
        arguments("/proc/self/root", "echo x > /proc/self/root" + victim() + "; true"),
        arguments(
            ".. from the writable dir",
            "cd out && echo x > ../outside/victim; echo y > ./../outside/new; true"));
  }

  @ParameterizedTest(name = "{0} does not lead out")
  @MethodSource("routesToTheVictim")
  void aRouteToAnOutsideFileDoesNotLeadOut(String route, String script) throws Exception {
    CliProcess.Result r = run(POLICY, script);
    assertDenied(r, "write " + victim());
  }

  @Test
  void aHardLinkToAnOutsideFileCannotBeMadeOrWritten() throws Exception {
    CliProcess.Result r =
        run(
            POLICY,
            "ln outside/victim out/hl && echo linked; echo x >> out/hl; echo x > out/hl;"
                + " rm -f out/hl; true");
    assertFalse(r.stdout().startsWith("linked\n"), r::toString);
    // The kernel refuses the link (the writable root is its own mount, and Landlock lacks REFER
    // on outside/); the attempt on the victim is in the report.
    assertTrue(r.stdout().contains("\"path\": \"" + victim() + "\""), r::toString);
  }

  @Test
  void anotherProcesssCwdInProcDoesNotLeadOut() throws Exception {
    CliProcess.Result r =
        run(
            POLICY,
            "sh -c 'cd outside && exec sleep 5' & sleep 0.3;"
                + " echo x > /proc/$!/cwd/victim; echo y > /proc/$!/cwd/new; kill $!; true");
    assertDenied(r, "write " + victim());
    assertTrue(r.stderr().contains("write " + daemon.dir().resolve("outside/new")), r::toString);
  }

  @Test
  void hostProcessesAreInvisibleInTheActionsProc() throws Exception {
    long host = ProcessHandle.current().pid(); // this test's JVM, a process outside the action
    CliProcess.Result r =
        run(
            POLICY,
            "echo self=$$; if [ -e /proc/"
                + host
                + " ]; then echo host-visible; else echo host-invisible; fi;"
                + " echo init=$(tr '\\0' ' ' < /proc/1/cmdline)");
    assertEquals(0, r.status(), r::toString);
    assertTrue(r.stdout().contains("self=2\n"), () -> "the command is pid 2 of its own: " + r);
    assertTrue(r.stdout().contains("host-invisible"), r::toString);
    assertTrue(
        r.stdout().contains("init=") && r.stdout().contains("airlock-launcher"), r::toString);
  }

  @Test
  void renamingOutOfAWritableRootIsDeniedAndLosesNothing() throws Exception {
    CliProcess.Result r =
        run(
            POLICY,
            "echo keep > out/file && mv out/file outside/; mv out/file outside/victim; true");
    assertDenied(r, "rename-to " + daemon.dir().resolve("outside/file"));
    assertTrue(r.stderr().contains("rename-to " + victim()), r::toString);
    // The violating action's writes are discarded as a whole: nothing left out/, nothing moved.
    assertFalse(Files.exists(daemon.dir().resolve("out/file")), "a denied action commits nothing");
    assertFalse(Files.exists(daemon.dir().resolve("outside/file")));
  }

  @Test
  void hiddenPathsAndTheDaemonsStateAreInvisible() throws Exception {
    CliProcess.Result r =
        run(
            POLICY,
            "cat secret/id_rsa || echo key-hidden;"
                + " ls "
                + daemon.stateDir()
                + " >/dev/null 2>&1 || echo state-hidden;"
                + " test -e "
                + daemon.socket()
                + " || echo socket-hidden; true");
    assertFalse(r.stdout().contains("FAKE-PRIVATE-KEY"), r::toString);
    assertTrue(r.stdout().startsWith("key-hidden\nstate-hidden\nsocket-hidden\n"), r::toString);
  }

  @Test
  void theDaemonsSocketCannotBeReachedFromAnAction() throws Exception {
    CliProcess.Result r =
        airlock(
            "run",
            "--policy",
            POLICY,
            "--report",
            "-",
            "--",
            "/usr/bin/python3",
            "-c",
            "import socket\n"
                + "s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
                + "try:\n"
                + "    s.connect('"
                + daemon.socket()
                + "')\n"
                + "    print('CONNECTED')\n"
                + "except OSError as e:\n"
                + "    print('refused', e.errno)\n");
    assertTrue(r.stdout().startsWith("refused "), r::toString);
    assertDenied(r, "connect unix:" + daemon.socket());
  }

  @Test
  void ptraceAndProcessVmAccessToASiblingAreRefusedAndRecorded() throws Exception {
    CliProcess.Result r = run(POLICY, "sleep 5 & tools/escape ptrace $!; kill $!; true");
    assertTrue(r.stdout().contains("ptrace -1 EPERM\n"), r::toString);
    assertTrue(r.stdout().contains("process_vm_writev -1 EPERM\n"), r::toString);
    assertTrue(r.stdout().contains("process_vm_readv -1 EPERM\n"), r::toString);
    assertEscapeRecorded(r, "ptrace");
    assertEscapeRecorded(r, "process_vm_writev");
  }

  @Test
  void ioUringIsAbsentAndOpenByHandleIsRefused() throws Exception {
    CliProcess.Result r = run(POLICY, "tools/escape kernel");
    assertDenied(r, "escape (open_by_handle_at)");
    assertTrue(r.stdout().contains("io_uring_setup -1 ENOSYS\n"), r::toString);
    assertTrue(r.stdout().contains("open_by_handle_at -1 EPERM\n"), r::toString);
    assertEscapeRecorded(r, "io_uring_setup");
    assertEscapeRecorded(r, "open_by_handle_at");
  }

  @Test
  void withoutNetworkTheHostsLoopbackPortIsUnreachable() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      CliProcess.Result r =
          airlock(
              "run",
              "--policy",
              POLICY,
              "--",
              "bash",
              "-c",
              "exec 3<>/dev/tcp/127.0.0.1/" + server.getLocalPort() + " && echo connected");
      assertFalse(r.stdout().contains("connected"), r::toString);
      assertEquals(1, r.status(), r::toString);
      server.setSoTimeout(200);
      try {
        server.accept().close();
        throw new AssertionError("the action reached the host's loopback server: " + r);
      } catch (SocketTimeoutException expected) {
        // nothing came through
      }
    }
  }

  @Test
  void aSetuidBinaryGainsNothing() throws Exception {
    Path suid = daemon.dir().resolve("tools/suid-cat");
    Files.copy(Path.of("/usr/bin/cat"), suid);
    Procs.run("chmod", "u+s", suid.toString());
    try {
      CliProcess.Result r = run(POLICY, "tools/suid-cat /proc/self/status");
      assertEquals(0, r.status(), r::toString);
      assertTrue(r.stdout().contains("NoNewPrivs:\t1\n"), r::toString);
      Matcher caps = Pattern.compile("CapEff:\\s+(\\p{XDigit}+)").matcher(r.stdout());
      assertTrue(caps.find(), r::toString);
      // Capabilities, if any, are those of the action's own user namespace: nothing was gained
      // on the host (an uncontained setuid-root exec as root would show the full set).
      Matcher uid = Pattern.compile("Uid:\\s+(\\d+)\\s+(\\d+)").matcher(r.stdout());
      assertTrue(uid.find(), r::toString);
      assertEquals(uid.group(1), uid.group(2), "real and effective uid must not differ");
    } finally {
      Files.delete(suid);
    }
  }

  @Test
  void aForkBombIsBoundedByTheProcessLimitAndTheDaemonKeepsServing() throws Exception {
    CliProcess.Result r =
        airlock(
            "run",
            "--policy",
            "procs.textproto",
            "--",
            "/usr/bin/python3",
            "-c",
            """
            import os, time
            ok = failed = 0
            pids = []
            for i in range(500):
                try:
                    pid = os.fork()
                except OSError:
                    failed += 1
                    continue
                if pid == 0:
                    time.sleep(3)
                    os._exit(0)
                ok += 1
                pids.append(pid)
            print('started', ok, 'failed', failed, flush=True)
            for pid in pids:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
            """);
    Matcher m = Pattern.compile("started (\\d+) failed (\\d+)").matcher(r.stdout());
    assertTrue(m.find(), r::toString);
    assertTrue(Integer.parseInt(m.group(1)) <= 64, r::toString);
    assertTrue(Integer.parseInt(m.group(2)) > 0, r::toString);
    assertDaemonServes();
  }

  @Test
  void aMemoryHogIsLimitedAndTheDaemonKeepsServing() throws Exception {
    CliProcess.Result r =
        airlock(
            "run",
            "--policy",
            "memory.textproto",
            "--",
            "/usr/bin/python3",
            "-c",
            """
            try:
                b = bytearray(1 << 30)
                print('ALLOCATED', len(b))
            except MemoryError:
                print('MemoryError')
            """);
    assertFalse(r.stdout().contains("ALLOCATED"), r::toString);
    assertTrue(r.stdout().contains("MemoryError") || r.status() > 128, r::toString);
    assertDaemonServes();
  }

  @Test
  void theWallTimeLimitKillsTheWholeTree() throws Exception {
    ProcessTree tree = ProcessTree.in(Files.createDirectories(daemon.dir().resolve("out/tree")));
    long[] pids;
    CliProcess.Result r;
    String[] argv = tree.argv(false);
    String[] args = new String[4 + argv.length];
    args[0] = "run";
    args[1] = "--policy";
    args[2] = "wall.textproto";
    args[3] = "--";
    System.arraycopy(argv, 0, args, 4, argv.length);
    try (CliProcess cli = daemon.cli(args)) {
      pids = tree.awaitPids(Duration.ofSeconds(20));
      r = cli.await(Duration.ofSeconds(30));
    }
    assertEquals(124, r.status(), r::toString);
    assertTrue(r.elapsed().toMillis() < 20_000, r::toString);
    Procs.awaitGone(
        "main, child and grandchild after the wall time limit", Duration.ofSeconds(10), pids);
  }

  @Test
  void aThreadRewritingThePathDuringTheCheckCannotWriteOutside() throws Exception {
    CliProcess.Result r = run(POLICY, "tools/escape race");
    assertTrue(r.stdout().contains("race opened "), r::toString);
    assertEquals(126, r.status(), r::toString);
    assertTrue(r.stderr().contains(victim()), r::toString);
  }

  private static void assertDaemonServes() throws Exception {
    CliProcess.Result status = airlock("status");
    assertEquals(0, status.status(), status::toString);
    CliProcess.Result again = run(POLICY, "echo still-serving");
    assertEquals(0, again.status(), again::toString);
    assertTrue(again.stdout().startsWith("still-serving\n"), again::toString);
  }
}
