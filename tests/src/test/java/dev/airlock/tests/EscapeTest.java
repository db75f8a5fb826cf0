package dev.airlock.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
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
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Escape attempts from an action under an enforcing policy: each must be denied or contained,
 * reported, and lose nothing. The host's {@code outside/victim} must never change and nothing may
 * appear next to it. Most attempts are modes of one C program ({@code escape.c} beside this class)
 * that prints the kernel's answer to each call; policies that write the whole workspace run in
 * {@code ws/}, which {@code outside/} is not part of.
 */
@Timeout(90)
class EscapeTest {
  private static final String VICTIM_TEXT = "original victim\n";
  private static final String POLICY = "escape.textproto";

  @RegisterExtension static final DaemonExtension daemon = DaemonExtension.started();

  @BeforeAll
  static void buildToolsAndWritePolicies() throws Exception {
    Path dir = daemon.dir();
    Files.createDirectories(dir.resolve("outside"));
    Files.writeString(dir.resolve("outside/victim"), VICTIM_TEXT);
    Files.createDirectories(dir.resolve("secret"));
    Files.writeString(dir.resolve("secret/id_rsa"), "FAKE-PRIVATE-KEY\n");
    Files.createDirectories(dir.resolve("out"));
    // A workspace of its own for policies that write the whole workspace: outside/ is not in it.
    Files.createDirectories(dir.resolve("ws"));
    Files.createDirectories(dir.resolve("hostsock"));
    Path tools = Files.createDirectories(dir.resolve("tools"));
    try (InputStream source = EscapeTest.class.getResourceAsStream("escape.c")) {
      Files.write(tools.resolve("escape.c"), source.readAllBytes());
    }
    Procs.run(
        "gcc",
        "-O1",
        "-pthread",
        "-o",
        tools.resolve("escape").toString(),
        tools.resolve("escape.c").toString());
    // Where a private /tmp hides the daemon's directory, the tool must be in the workspace.
    Files.copy(tools.resolve("escape"), dir.resolve("ws/escape"));
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
    assertDeniedBy(POLICY, r, access);
  }

  private static void assertDeniedBy(String policy, CliProcess.Result r, String access) {
    assertEquals(126, r.status(), r::toString);
    assertTrue(r.stderr().contains("policy '" + policy + "' denied: "), r::toString);
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

  /** {@code airlock run --cwd DIR --policy POLICY --report - -- sh -c SCRIPT}. */
  private static CliProcess.Result runIn(Path cwd, String policy, String script) throws Exception {
    return airlock(
        "run",
        "--cwd",
        cwd.toString(),
        "--policy",
        policy,
        "--report",
        "-",
        "--",
        "sh",
        "-c",
        script);
  }

  private static String tool() {
    return daemon.dir().resolve("tools/escape").toString();
  }

  /** The line the escape tool printed for {@code call}: its result and errno name. */
  private static String answer(CliProcess.Result r, String call) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(call) + " (-?\\d+ \\S+)\\r?$").matcher(r.stdout());
    assertTrue(m.find(), () -> "no answer for " + call + " in " + r);
    return m.group(1);
  }

  /** The host pid of the one process whose command line is exactly {@code argv}. */
  private static long hostPidOf(String... argv) throws IOException {
    String wanted = String.join("\0", argv) + "\0";
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          if (Files.readString(p.resolve("cmdline")).equals(wanted)) {
            return Long.parseLong(p.getFileName().toString());
          }
        } catch (IOException gone) {
          // exited meanwhile
        }
      }
    }
    return -1;
  }

  private static String status(long pid, String field) throws IOException {
    Matcher m =
        Pattern.compile("(?m)^" + field + ":\\s*(.*)$")
            .matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
    assertTrue(m.find(), field);
    return m.group(1);
  }

  @ParameterizedTest(name = "ptrace and process_vm_writev of {0} are refused")
  @ValueSource(strings = {"the daemon", "a client", "a sibling action"})
  void aProcessOutsideTheActionCannotBeTracedOrWritten(String target) throws Exception {
    String pause = "7." + (System.nanoTime() % 1000 + 1000);
    try (CliProcess sibling =
        daemon.cli(
            "run",
            "--policy",
            POLICY,
            "--",
            "sh",
            "-c",
            "echo started; sleep " + pause + "; echo sibling-done")) {
      long[] siblingPid = {-1};
      Procs.await(
          "the sibling action's sleep",
          Duration.ofSeconds(20),
          () -> {
            try {
              siblingPid[0] = hostPidOf("sleep", pause);
            } catch (IOException e) {
              return false;
            }
            return siblingPid[0] > 0;
          });
      long pid =
          switch (target) {
            case "the daemon" -> daemon.pid();
            case "a client" -> sibling.pid();
            default -> siblingPid[0];
          };
      String tracerBefore = status(pid, "TracerPid");
      CliProcess.Result r = run(POLICY, tool() + " ptrace " + pid);
      assertEquals("-1 EPERM", answer(r, "ptrace"), r::toString);
      assertEquals("-1 EPERM", answer(r, "ptrace_seize"), r::toString);
      assertEquals("-1 EPERM", answer(r, "process_vm_writev"), r::toString);
      assertEquals("-1 EPERM", answer(r, "process_vm_readv"), r::toString);
      assertDenied(r, "escape (ptrace)");
      assertEscapeRecorded(r, "ptrace");
      assertEscapeRecorded(r, "process_vm_writev");
      // The host side: the target has the tracer it had (none, or the daemon's for the
      // sibling), and the sibling action runs on to its end unharmed.
      assertEquals(tracerBefore, status(pid, "TracerPid"), target + "'s tracer");
      CliProcess.Result s = sibling.await(Duration.ofSeconds(30));
      assertEquals(0, s.status(), s::toString);
      assertEquals("started\nsibling-done\n", s.stdout(), s::toString);
    }
    assertDaemonServes();
  }

  @Test
  void anotherProcesssMemoryCannotBeWrittenThroughProc() throws Exception {
    long host = ProcessHandle.current().pid();
    CliProcess.Result r =
        run(
            POLICY,
            "sleep 5 & echo sibling=$!; "
                + tool()
                + " mem $!; "
                + tool()
                + " mem 1; "
                + tool()
                + " mem "
                + host
                + "; kill $!; true");
    Matcher sibling = Pattern.compile("sibling=(\\d+)").matcher(r.stdout());
    assertTrue(sibling.find(), r::toString);
    // The sibling and the pid namespace's init (which holds the fast path's ring): refused by
    // the policy (/proc is readable only); a host process: not there at all.
    assertFalse(r.stdout().contains("OPENED"), r::toString);
    assertFalse(r.stdout().contains("WROTE"), r::toString);
    assertDenied(r, "write /proc/");
    assertTrue(r.stdout().contains("open_mem -1 ENOENT"), () -> "the host's pid: " + r);
    assertTrue(r.stdout().contains("\"denied\": true"), r::toString);
  }

  @Test
  void namespacesCanBeNeitherMadeNorEntered() throws Exception {
    CliProcess.Result r = run(POLICY, tool() + " namespaces");
    for (String call :
        List.of(
            "unshare_user",
            "unshare_mount",
            "unshare_net",
            "clone_newuser",
            "setns_mnt",
            "setns_user")) {
      assertEquals("-1 EPERM", answer(r, call), call + ": " + r);
    }
    assertDenied(r, "escape (unshare)");
    assertEscapeRecorded(r, "unshare");
    assertEscapeRecorded(r, "setns");
    assertEscapeRecorded(r, "clone");
  }

  @Test
  void mountsAndPivotRootAreRefusedEvenInTheActionsOwnNamespaces() throws Exception {
    CliProcess.Result r = run(POLICY, tool() + " mounts");
    for (String call :
        List.of(
            "mount_tmpfs",
            "mount_bind",
            "mount_remount",
            "umount",
            "pivot_root",
            "chroot",
            "open_tree",
            "fsopen")) {
      assertEquals("-1 EPERM", answer(r, call), call + ": " + r);
    }
    assertDenied(r, "escape " + daemon.dir().resolve("outside"));
    assertEscapeRecorded(r, "open_tree");
    assertEscapeRecorded(r, "fsopen");
    assertTrue(
        r.stdout().contains("{\"kind\": \"escape\", \"path\": \"" + daemon.dir() + "\""),
        () -> "pivot_root recorded: " + r);
  }

  @Test
  void deviceNodesCanBeMadeNeitherInTheWritableRootNorOutside() throws Exception {
    CliProcess.Result r = run(POLICY, tool() + " devices out; " + tool() + " devices outside");
    String out = r.stdout();
    // In out/ the kernel refuses (no CAP_MKNOD outside the action's user namespace); outside the
    // policy refuses first.
    assertTrue(out.contains("mknod_block -1 EPERM\n"), r::toString);
    assertTrue(out.contains("mknod_block -1 EACCES\n"), r::toString);
    assertFalse(out.contains("MADE"), r::toString);
    assertDenied(r, "create " + daemon.dir().resolve("outside/disk"));
    assertTrue(
        out.contains("\"path\": \"" + daemon.dir().resolve("out/disk") + "\""),
        () -> "the attempt in out/ is recorded: " + r);
    assertFalse(Files.exists(daemon.dir().resolve("out/disk")));
    assertFalse(Files.exists(daemon.dir().resolve("out/mem")));
  }

  @Test
  void theHostsBlockDevicesCannotBeReadEvenWhereEverythingIsReadable() throws Exception {
    // A raw disk holds every file, hidden ones included: `build` reads anywhere but hidden paths,
    // and an action of a daemon running as root is root in its namespace.
    CliProcess.Result r = runIn(daemon.dir().resolve("ws"), "build", "./escape block-devices");
    Matcher tried = Pattern.compile("block devices tried (\\d+)").matcher(r.stdout());
    assertTrue(tried.find(), r::toString);
    int devices = Integer.parseInt(tried.group(1));
    assertTrue(devices > 0, "this machine has block devices: " + r);
    // Each one looks absent, as a hidden path does (and is /dev/null to the kernel).
    Matcher absent = Pattern.compile("(?m)^open_block /dev/\\S+ -1 ENOENT$").matcher(r.stdout());
    assertEquals(devices, absent.results().count(), r::toString);
    assertFalse(r.stdout().contains("OPENED"), r::toString);
    assertTrue(
        Pattern.compile("\"violations\": \\[[^\\]]*\"kind\": \"read\", \"path\": \"/dev/")
            .matcher(r.stdout())
            .find(),
        () -> "the attempts are reported: " + r);
  }

  @Test
  void kernelKeyringsAreRefused() throws Exception {
    CliProcess.Result r = run(POLICY, tool() + " keys");
    for (String call : List.of("add_key", "keyctl_join", "keyctl_read", "request_key")) {
      assertEquals("-1 EPERM", answer(r, call), call + ": " + r);
    }
    assertDenied(r, "escape (add_key)");
    assertEscapeRecorded(r, "add_key");
    assertEscapeRecorded(r, "keyctl");
    assertEscapeRecorded(r, "request_key");
    assertFalse(Files.readString(Path.of("/proc/keys")).contains("airlock-escape"), "host keys");
  }

  @Test
  void aTerminalCannotBeInjectedIntoFromAnAction() throws Exception {
    // The client runs on a terminal of its own (script(1) gives it a pty); the action gets
    // neither that terminal nor a controlling one.
    String command =
        String.join(
            " ",
            DaemonFixture.AIRLOCK.toString(),
            "--socket",
            daemon.socket().toString(),
            "--state-dir",
            daemon.stateDir().toString(),
            "run",
            "--policy",
            POLICY,
            "--report",
            "-",
            "--",
            tool(),
            "terminal");
    CliProcess.Result r;
    try (CliProcess cli =
        CliProcess.start(
            List.of("script", "-qec", command, "/dev/null"),
            DaemonFixture.cliEnvironment(),
            daemon.dir(),
            null)) {
      r = cli.await(Duration.ofSeconds(60));
    }
    assertFalse(r.stdout().contains("INJECTED"), r::toString);
    assertFalse(r.stdout().contains("TAKEN"), r::toString);
    for (String fd : List.of("tiocsti_fd0", "tiocsti_fd1", "tiocsti_fd2")) {
      assertEquals("-1 ENOTTY", answer(r, fd), fd + ": " + r);
    }
    assertEquals("-1 ENXIO", answer(r, "open_tty"), "no controlling terminal: " + r);
    assertTrue(r.stdout().contains("\"path\": \"/dev/tty\""), () -> "recorded: " + r);
  }

  @Test
  void anAbstractUnixSocketOfTheHostIsUnreachable() throws Exception {
    String name = "airlock-escape-" + ProcessHandle.current().pid();
    Process listener =
        new ProcessBuilder(
                "python3",
                "-c",
                "import socket,sys\n"
                    + "s=socket.socket(socket.AF_UNIX); s.bind('\\0'+sys.argv[1]); s.listen(5)\n"
                    + "s.settimeout(4); print('listening', flush=True)\n"
                    + "try:\n"
                    + "  c,_=s.accept(); print('ACCEPTED', c.recv(64))\n"
                    + "except socket.timeout:\n"
                    + "  print('nothing came')\n",
                name)
            .redirectErrorStream(true)
            .start();
    try {
      byte[] first = listener.getInputStream().readNBytes("listening\n".length());
      assertEquals("listening\n", new String(first), "the host's listener");
      CliProcess.Result r = run(POLICY, tool() + " connect @" + name);
      // Refused by the tracer; behind it, abstract names are the action's network namespace's own.
      assertEquals("-1 EACCES", answer(r, "connect"), r::toString);
      assertDenied(r, "connect unix:@" + name);
      String host = new String(listener.getInputStream().readAllBytes());
      assertEquals("nothing came\n", host, "the host's listener");
    } finally {
      listener.destroyForcibly();
    }
  }

  @Test
  void aHostSocketInTmpIsUnreachableFromAPrivateTmp() throws Exception {
    Path socket = Path.of("/tmp/airlock-escape-" + ProcessHandle.current().pid() + ".sock");
    Files.deleteIfExists(socket);
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      server.configureBlocking(false);
      CliProcess.Result r =
          runIn(daemon.dir().resolve("ws"), "build", "./escape connect " + socket);
      assertEquals("-1 ENOENT", answer(r, "connect"), r::toString);
      assertTrue(
          r.stdout().contains("\"path\": \"unix:" + socket + "\""),
          () -> "the attempt is recorded: " + r);
      try (SocketChannel accepted = server.accept()) {
        assertEquals(null, accepted, "the host's socket got no connection");
      }
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  @Test
  void aThreadRewritingASocketAddressDuringTheCheckCannotReachAHostSocket() throws Exception {
    // Only the tracer refuses a host unix socket: no kernel layer here checks connect by path.
    Path socket = daemon.dir().resolve("hostsock/host.sock");
    Files.deleteIfExists(socket);
    try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      server.bind(UnixDomainSocketAddress.of(socket));
      server.configureBlocking(false);
      CliProcess.Result r = run(POLICY, tool() + " connect-race out/none.sock hostsock/host.sock");
      assertTrue(r.stdout().contains("connect race connected "), r::toString);
      try (SocketChannel accepted = server.accept()) {
        assertEquals(null, accepted, "the host's socket got a connection: " + r.stdout());
      }
      assertTrue(r.stdout().contains("connect race connected 0 "), r::toString);
      assertDenied(r, "connect unix:" + socket);
    } finally {
      Files.deleteIfExists(socket);
    }
  }

  @ParameterizedTest(name = "through {0}")
  @ValueSource(strings = {"sendto", "sendmsg"})
  void aThreadRewritingADatagramsDestinationCannotReachAHostSocket(String call) throws Exception {
    Path socket = daemon.dir().resolve("hostsock/dgram.sock");
    Files.deleteIfExists(socket);
    Process listener =
        new ProcessBuilder(
                "python3",
                "-c",
                "import socket,sys\n"
                    + "s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])\n"
                    + "s.settimeout(4); print('listening', flush=True); n=0\n"
                    + "try:\n"
                    + "  while True: s.recv(64); n+=1\n"
                    + "except socket.timeout:\n"
                    + "  print('received', n)\n",
                socket.toString())
            .redirectErrorStream(true)
            .start();
    try {
      byte[] first = listener.getInputStream().readNBytes("listening\n".length());
      assertEquals("listening\n", new String(first), "the host's listener");
      CliProcess.Result r =
          run(POLICY, tool() + " " + call + "-race out/none.sock hostsock/dgram.sock");
      assertTrue(r.stdout().contains(call + " race sent 0 "), r::toString);
      assertDenied(r, "connect unix:" + socket);
      String host = new String(listener.getInputStream().readAllBytes());
      assertEquals("received 0\n", host, "the host's socket got datagrams: " + r.stdout());
    } finally {
      listener.destroyForcibly();
      Files.deleteIfExists(socket);
    }
  }

  @Test
  void aThreadRewritingAPathCannotReadAHostTreeKeptUnderAPrivateTmp() throws Exception {
    // hermetic reads only declared inputs; the workspace (under /tmp here) is kept visible in the
    // private /tmp, whose Landlock rule covers everything below /tmp: what the policy does not
    // grant in it is covered in the mount namespace, so a raced path finds nothing there.
    CliProcess.Result r =
        airlock(
            "run",
            "--policy",
            "hermetic",
            "--inputs",
            "tools/escape",
            "--report",
            "-",
            "--",
            "sh",
            "-c",
            "echo ok > /tmp/ok; tools/escape read-race /tmp/ok outside/victim");
    assertTrue(r.stdout().contains("read race leaked 0 "), r::toString);
    assertFalse(r.stdout().contains(VICTIM_TEXT.strip()), r::toString);
    assertTrue(
        r.stdout().contains("\"path\": \"" + victim() + "\""),
        () -> "the attempts on the victim are in the record: " + r);
  }

  @Test
  void openat2sResolveFlagsDoNotLeadOut() throws Exception {
    CliProcess.Result r = run(POLICY, tool() + " resolve");
    // The tracer resolves as the kernel does and refuses first (the kernel would say EXDEV).
    assertEquals("-1 EACCES", answer(r, "beneath"), r::toString);
    assertEquals("-1 ENOENT", answer(r, "in_root"), "IN_ROOT stays in out/: " + r);
    assertEquals("-1 EACCES", answer(r, "no_magiclinks"), r::toString);
    assertEquals("-1 EACCES", answer(r, "plain"), r::toString);
    assertEquals("-1 EACCES", answer(r, "create"), r::toString);
    assertDenied(r, "write " + victim());
    assertTrue(r.stderr().contains("write " + daemon.dir().resolve("outside/new")), r::toString);
  }

  @Test
  void aHardLinkInTheWorkspaceToAnOutsideFileIsReplacedNotWrittenThrough() throws Exception {
    Path ws = daemon.dir().resolve("ws");
    Path link = ws.resolve("hl");
    Files.createLink(link, daemon.dir().resolve("outside/victim"));
    try {
      CliProcess.Result r =
          runIn(
              ws, "build", "echo x > hl; echo y >> hl; ln /etc/hostname hl2 && echo linked; true");
      assertFalse(r.stdout().startsWith("linked\n"), r::toString);
      assertDeniedBy("build", r, "write /etc/hostname");
      assertEquals(VICTIM_TEXT, Files.readString(link), "a denied action commits nothing");
      // The denied action committed nothing; and a successful one replaces the name only.
      CliProcess.Result ok = runIn(ws, "build", "echo x > hl; echo y >> hl");
      assertEquals(0, ok.status(), ok::toString);
      assertTrue(ok.stdout().contains("\"path\": \"" + link + "\""), ok::toString);
      assertEquals("x\ny\n", Files.readString(link), "the workspace's name got the writes");
    } finally {
      Files.deleteIfExists(link);
    }
  }

  @Test
  void aSymlinkSwappedInByAnotherActionBeforeTheCommitIsNotFollowed() throws Exception {
    Path ws = Files.createDirectories(daemon.dir().resolve("ws-swap"));
    Files.createDirectories(ws.resolve("sub"));
    Files.writeString(ws.resolve("sub/keep"), "keep\n");
    try (CliProcess slow =
        daemon.cli(
            "run",
            "--cwd",
            ws.toString(),
            "--policy",
            "build",
            "--report",
            "-",
            "--",
            "sh",
            "-c",
            "echo x > sub/victim && echo y > sub/new && echo written && sleep 3")) {
      Procs.await(
          "the first action's writes",
          Duration.ofSeconds(30),
          () -> slow.stdout().startsWith("written\n"));
      // The second action replaces sub/ by a symlink to outside/ and commits first.
      CliProcess.Result swap =
          runIn(ws, "build", "rm -r sub && ln -s " + daemon.dir().resolve("outside") + " sub");
      assertEquals(0, swap.status(), swap::toString);
      assertTrue(Files.isSymbolicLink(ws.resolve("sub")), "the swap committed");
      CliProcess.Result r = slow.await(Duration.ofSeconds(60));
      // Its changes were made below a directory that is now a symlink: a conflict, or a commit
      // that does not follow it; never a write through it.
      assertOutsideIntact();
      assertTrue(r.status() != 0 || !Files.isSymbolicLink(ws.resolve("sub")), r::toString);
    }
  }

  @Test
  void aDirectoryMovedAwayFromUnderTheCwdDoesNotLeadOut() throws Exception {
    CliProcess.Result r =
        run(
            POLICY,
            "mkdir -p out/d/deeper && cd out/d/deeper && mv ../../d ../../e && echo x > f;"
                + " echo y > ../../../outside/victim; echo z > ../../../outside/new; true");
    assertDenied(r, "write " + victim());
    assertTrue(r.stderr().contains("write " + daemon.dir().resolve("outside/new")), r::toString);
    // The record names where the write really went: the directory's new place.
    assertTrue(
        r.stdout().contains("\"path\": \"" + daemon.dir().resolve("out/e/deeper/f") + "\""),
        r::toString);
    assertFalse(
        r.stdout().contains(daemon.dir().resolve("out/d/deeper/f").toString()), r::toString);
    assertFalse(Files.exists(daemon.dir().resolve("out/e")), "a denied action commits nothing");
  }

  private static void assertDaemonServes() throws Exception {
    CliProcess.Result status = airlock("status");
    assertEquals(0, status.status(), status::toString);
    CliProcess.Result again = run(POLICY, "echo still-serving");
    assertEquals(0, again.status(), again::toString);
    assertTrue(again.stdout().startsWith("still-serving\n"), again::toString);
  }
}
