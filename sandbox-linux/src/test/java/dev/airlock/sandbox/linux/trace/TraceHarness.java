package dev.airlock.sandbox.linux.trace;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.sun.jna.Native;
import dev.airlock.sandbox.linux.Confinement;
import dev.airlock.sandbox.linux.LaunchSpec;
import dev.airlock.sandbox.linux.LaunchedProcess;
import dev.airlock.sandbox.linux.Launcher;
import dev.airlock.sandbox.linux.LauncherBinary;
import dev.airlock.sandbox.linux.ShimLibrary;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Runs real programs under the real launcher and {@link Tracer}, the way the daemon does: launch
 * and trace on the calling thread, output drained on other threads, plus a watchdog that kills the
 * action (so a hanging tracer fails the test instead of wedging the build) and an optional
 * interaction that runs on another thread while the action is traced.
 */
final class TraceHarness {
  static final SyscallTable TABLE = SyscallTable.X86_64;
  static final Map<String, String> ENV = Map.of("PATH", "/usr/bin:/bin");
  static final int SIGKILL = 9;
  static final int SIGUSR1 = 10;
  static final int SIGCONT = 18;
  static final int SIGSYS = 31;

  private static final byte[] FILTER = Tracer.filter(TABLE).toBytes();
  private static Launcher launcher;
  private static ShimLibrary shim;

  /**
   * How the next actions are traced; set per invocation by {@link BothTraceModes} (tests run one at
   * a time in this JVM).
   */
  static volatile TraceMode mode = TraceMode.STRICT;

  /** Ring size of fast-path actions (a test may shrink it to force overflows). */
  static volatile int ringSlots = FastPath.DEFAULT_SLOTS;

  /** What each action of the current invocation recorded, as comparable lines, in order. */
  static final List<java.util.SortedSet<String>> recorded = new ArrayList<>();

  private TraceHarness() {}

  /** libc's kill(2), to signal tracees from the test (LinuxLibc is not visible here). */
  static final class Libc {
    static {
      Native.register(Libc.class, "c");
    }

    static native int kill(int pid, int sig);

    static native int getpid();

    static native int getuid();
  }

  /** The shim of this build, in its memfd, once per JVM. */
  static synchronized ShimLibrary shim() throws Exception {
    if (shim == null) {
      Path dir = Files.createTempDirectory("airlock-trace-test-shim");
      dir.toFile().deleteOnExit();
      shim = ShimLibrary.load(dir);
      shim.file().toFile().deleteOnExit();
    }
    return shim;
  }

  /** The launcher binary of this build, extracted once per JVM. */
  static synchronized Launcher launcher() throws IOException {
    if (launcher == null) {
      Path dir = Files.createTempDirectory("airlock-trace-test-libexec");
      dir.toFile().deleteOnExit();
      Path binary = LauncherBinary.extractTo(dir);
      binary.toFile().deleteOnExit(); // deleted before its directory (reverse order)
      launcher = new Launcher(binary);
    }
    return launcher;
  }

  /** A traced action while it runs, as the interaction sees it. */
  interface Live {
    int pid();

    String stdoutSoFar();
  }

  @FunctionalInterface
  interface Interaction {
    void during(Live action) throws Exception;
  }

  /** What one traced action produced. */
  record Run(
      TraceResult trace,
      String stdout,
      String stderr,
      Duration elapsed,
      int rootPid,
      TraceStats stats,
      TraceMode mode) {
    List<Access> accesses() {
      return trace.accesses();
    }

    List<Access> all(AccessKind kind, String path) {
      return accesses().stream().filter(a -> a.kind() == kind && a.path().equals(path)).toList();
    }

    boolean has(AccessKind kind, String path) {
      return !all(kind, path).isEmpty();
    }

    boolean has(AccessKind kind, Path path) {
      return has(kind, real(path));
    }

    /** The access of that kind on that path; fails listing what was recorded. */
    Access get(AccessKind kind, String path) {
      List<Access> found = all(kind, path);
      if (found.isEmpty()) {
        fail("no " + kind + " of " + path + " recorded\n" + this);
      }
      assertEquals(1, found.size(), "deduplicated by (kind, path)\n" + this);
      return found.get(0);
    }

    Access get(AccessKind kind, Path path) {
      return get(kind, real(path));
    }

    void assertHas(AccessKind kind, Path path) {
      get(kind, path);
    }

    void assertHas(AccessKind kind, String path) {
      get(kind, path);
    }

    void assertHasNo(AccessKind kind, Path path) {
      assertHasNo(kind, real(path));
    }

    void assertHasNo(AccessKind kind, String path) {
      assertFalse(has(kind, path), "unexpected " + kind + " of " + path + "\n" + this);
    }

    /** Index of the access in the record (order of first access), or -1. */
    int indexOf(AccessKind kind, String path) {
      List<Access> list = accesses();
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i).kind() == kind && list.get(i).path().equals(path)) {
          return i;
        }
      }
      return -1;
    }

    List<TracedProcess> processes() {
      return trace.processes();
    }

    TracedProcess process(int pid) {
      return processes().stream().filter(p -> p.pid() == pid).findFirst().orElse(null);
    }

    TracedProcess root() {
      TracedProcess root = process(rootPid);
      assertNotNull(root, "the root process is in the tree\n" + this);
      assertEquals(0, root.parentPid(), "the root has no parent in the tree");
      return root;
    }

    /** The processes whose last command line is exactly {@code argv}. */
    List<TracedProcess> withArgv(List<String> argv) {
      return processes().stream().filter(p -> p.argv().equals(argv)).toList();
    }

    TracedProcess onlyWithArgv(List<String> argv) {
      List<TracedProcess> found = withArgv(argv);
      assertEquals(1, found.size(), "exactly one process ran " + argv + "\n" + this);
      return found.get(0);
    }

    /** Whether the root is {@code p} or one of its ancestors, following parent links. */
    boolean descendsFromRoot(TracedProcess p) {
      Set<Integer> seen = new HashSet<>();
      TracedProcess at = p;
      while (at != null && seen.add(at.pid())) {
        if (at.pid() == rootPid) {
          return at.parentPid() == 0;
        }
        at = process(at.parentPid());
      }
      return false;
    }

    void assertCompleteRecord() {
      assertEquals(List.of(), trace.observationGaps(), "observation gaps\n" + this);
    }

    void assertExitedWith(int code) {
      assertTrue(
          trace.rootStatus().exited(),
          "root exited normally (" + trace.rootStatus() + ")\nstderr: " + stderr + "\n" + this);
      assertEquals(
          code,
          trace.rootStatus().exitCode(),
          "root exit code; stdout: " + stdout + "\nstderr: " + stderr + "\n" + this);
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder();
      s.append("root ").append(rootPid).append(' ').append(trace.rootStatus());
      s.append(" in ").append(elapsed.toMillis()).append(" ms\n");
      s.append("processes:\n");
      for (TracedProcess p : processes()) {
        s.append("  ")
            .append(p.pid())
            .append(" <- ")
            .append(p.parentPid())
            .append(' ')
            .append(p.argv())
            .append(" = ")
            .append(p.exitStatus())
            .append('\n');
      }
      s.append("accesses (").append(accesses().size()).append("):\n");
      int shown = 0;
      for (Access a : accesses()) {
        if (++shown > 600) {
          s.append("  ...\n");
          break;
        }
        s.append("  ")
            .append(a.kind())
            .append(' ')
            .append(a.path())
            .append(a.errno() != 0 ? " errno=" + a.errno() : "")
            .append(" pid=")
            .append(a.pid())
            .append('\n');
      }
      s.append("gaps: ").append(trace.observationGaps()).append('\n');
      s.append("traced ").append(mode).append(": ").append(stats);
      return s.toString();
    }
  }

  static Run trace(Path cwd, String... argv) throws Exception {
    return trace(new LaunchSpec(List.of(argv), ENV, cwd, false), Duration.ofSeconds(20), null);
  }

  static Run sh(Path cwd, String script) throws Exception {
    return trace(cwd, "sh", "-c", script);
  }

  /**
   * Launches {@code spec} traced, runs {@code interaction} (if any) on another thread meanwhile,
   * and returns once every traced process is gone. Fails if the action needed the watchdog.
   */
  static Run trace(LaunchSpec spec, Duration limit, Interaction interaction) throws Exception {
    return trace(spec, limit, interaction, AccessGuard.ALLOW_ALL);
  }

  /** As {@link #trace(LaunchSpec, Duration, Interaction)}, with the tracer asking {@code guard}. */
  static Run trace(LaunchSpec spec, Duration limit, Interaction interaction, AccessGuard guard)
      throws Exception {
    return trace(spec, limit, interaction, guard, Confinement.NONE);
  }

  /**
   * As {@link #trace(LaunchSpec, Duration, Interaction, AccessGuard)}, confined by the launcher.
   */
  static Run trace(
      LaunchSpec spec,
      Duration limit,
      Interaction interaction,
      AccessGuard guard,
      Confinement confinement)
      throws Exception {
    Launcher launcher = launcher();
    TraceMode traceMode = mode;
    boolean fast = traceMode == TraceMode.FAST && !guard.fastPathScope().entries().isEmpty();
    try (FastPath fastPath =
            fast
                ? FastPath.open(
                    shim(), guard.fastPathScope(), ringSlots, FastPath.DEFAULT_SLOT_BYTES)
                : null;
        LaunchedProcess process =
            launcher.launchTraced(
                spec,
                fast ? Tracer.filter(TABLE, false, false, Optional.of(fastPath)).toBytes() : FILTER,
                confinement,
                fast ? Optional.of(fastPath.injection()) : Optional.empty())) {
      Tracer tracer = new Tracer(TABLE, guard, Optional.ofNullable(fastPath));
      tracer.seize(process);
      int pid = (int) process.pid();
      StringBuffer out = new StringBuffer();
      StringBuffer err = new StringBuffer();
      Thread outPump = pump(process.stdout(), out, "stdout-" + pid);
      Thread errPump = pump(process.stderr(), err, "stderr-" + pid);
      AtomicBoolean finished = new AtomicBoolean();
      AtomicBoolean watchdogFired = new AtomicBoolean();
      Set<Integer> tracerTids = new HashSet<>();
      Thread watchdog =
          new Thread(
              () -> {
                long deadline = System.nanoTime() + limit.toNanos();
                while (!finished.get()) {
                  long left = deadline - System.nanoTime();
                  if (left <= 0) {
                    watchdogFired.set(true);
                    killEverything(pid, tracerTids);
                    deadline = System.nanoTime() + 1_000_000_000L; // keep at it
                    continue;
                  }
                  try {
                    Thread.sleep(Math.min(50, TimeUnit.NANOSECONDS.toMillis(left) + 1));
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "watchdog-" + pid);
      watchdog.setDaemon(true);
      tracerTids.addAll(ourThreadIds());
      watchdog.start();

      Live live =
          new Live() {
            @Override
            public int pid() {
              return pid;
            }

            @Override
            public String stdoutSoFar() {
              return out.toString();
            }
          };
      CompletableFuture<Void> interacting = new CompletableFuture<>();
      if (interaction == null) {
        interacting.complete(null);
      } else {
        Thread t =
            new Thread(
                () -> {
                  try {
                    interaction.during(live);
                    interacting.complete(null);
                  } catch (Throwable e) {
                    interacting.completeExceptionally(e);
                  }
                },
                "interaction-" + pid);
        t.setDaemon(true);
        t.start();
      }

      long start = System.nanoTime();
      TraceResult result;
      try {
        result = tracer.run(process);
      } finally {
        finished.set(true);
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      outPump.join(5_000);
      errPump.join(5_000);
      if (outPump.isAlive() || errPump.isAlive()) {
        process.abandonOutput();
        outPump.join();
        errPump.join();
      }
      Run run =
          new Run(result, out.toString(), err.toString(), elapsed, pid, tracer.stats(), traceMode);
      synchronized (recorded) {
        recorded.add(comparable(result));
      }
      if (Boolean.getBoolean("airlock.trace.stats")) {
        System.err.println("STATS " + spec.argv() + " " + traceMode + " " + run.stats());
      }
      try {
        interacting.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof AssertionError a) {
          a.addSuppressed(new AssertionError("trace:\n" + run));
          throw a;
        }
        throw new AssertionError("the interaction failed\n" + run, e.getCause());
      } catch (TimeoutException e) {
        fail("the interaction did not finish\n" + run);
      }
      assertFalse(
          watchdogFired.get(),
          "the action did not finish within " + limit + " and was killed\n" + run);
      return run;
    }
  }

  /**
   * The record as the two modes must agree on it: (kind, path, errno) lines, with what differs from
   * run to run whatever the mode (temporary directories, pids) masked.
   */
  static java.util.SortedSet<String> comparable(TraceResult result) {
    java.util.SortedSet<String> lines = new java.util.TreeSet<>();
    for (Access a : result.accesses()) {
      lines.add(a.kind() + " " + normalize(a.path()) + " " + a.errno());
    }
    for (Violation v : result.violations()) {
      lines.add("violation " + v.kind() + " " + normalize(v.path()) + " " + v.denied());
    }
    return lines;
  }

  static String normalize(String path) {
    return path.replaceAll("/junit-?\\d+", "/junit*")
        .replaceAll("^/proc/\\d+", "/proc/*")
        .replaceAll("/task/\\d+", "/task/*")
        .replaceAll("/tmp/cc[A-Za-z0-9]{6}\\.", "/tmp/cc*.");
  }

  private static Thread pump(InputStream in, StringBuffer into, String name) {
    Thread t =
        new Thread(
            () -> {
              byte[] buffer = new byte[8192];
              try {
                int n;
                while ((n = in.read(buffer)) > 0) {
                  into.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                }
              } catch (IOException e) {
                into.append("\n[read failed: ").append(e).append("]\n");
              }
            },
            name);
    t.setDaemon(true);
    t.start();
    return t;
  }

  private static Set<Integer> ourThreadIds() {
    try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
      return tasks
          .map(p -> Integer.parseInt(p.getFileName().toString()))
          .collect(Collectors.toSet());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** SIGKILLs the action's group and every process traced by one of this JVM's threads. */
  private static void killEverything(int pid, Set<Integer> tracerTids) {
    Libc.kill(-pid, SIGKILL);
    Libc.kill(pid, SIGKILL);
    Set<Integer> ours = new HashSet<>(tracerTids);
    ours.addAll(ourThreadIds());
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.toList()) {
        String name = p.getFileName().toString();
        if (!name.chars().allMatch(Character::isDigit)) {
          continue;
        }
        try {
          for (String line : Files.readAllLines(p.resolve("status"))) {
            if (line.startsWith("TracerPid:")
                && ours.contains(Integer.parseInt(line.substring(10).trim()))) {
              Libc.kill(Integer.parseInt(name), SIGKILL);
            }
          }
        } catch (IOException | RuntimeException e) {
          // gone
        }
      }
    } catch (IOException e) {
      // best effort
    }
  }

  /** The canonical path, symlinks resolved, as the tracer reports it. */
  static String real(Path path) {
    try {
      return path.toRealPath().toString();
    } catch (IOException e) {
      // A path that no longer exists: resolve its parent.
      Path parent = path.toAbsolutePath().getParent();
      if (parent == null || parent.equals(path)) {
        throw new UncheckedIOException(e);
      }
      return Path.of(real(parent)).resolve(path.getFileName()).toString();
    }
  }

  /** Where a command is found on ENV's PATH, symlinks resolved. */
  static String which(String command) {
    for (String dir : ENV.get("PATH").split(":")) {
      Path candidate = Path.of(dir, command);
      if (Files.isExecutable(candidate)) {
        return real(candidate);
      }
    }
    throw new AssertionError(command + " is not on " + ENV.get("PATH"));
  }

  /** Writes {@code source} to DIR/NAME.c and compiles it to DIR/NAME with gcc. */
  static Path compile(Path dir, String name, String source, String... flags) throws Exception {
    Path c = dir.resolve(name + ".c");
    Files.writeString(c, source);
    Path binary = dir.resolve(name);
    List<String> command = new ArrayList<>(List.of("gcc", "-O0", "-Wall", "-pthread"));
    command.addAll(List.of(flags));
    command.addAll(List.of("-o", binary.toString(), c.toString()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("LC_ALL", "C");
    Process gcc = builder.start();
    String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(gcc.waitFor(60, TimeUnit.SECONDS), "gcc timed out");
    assertEquals(0, gcc.exitValue(), "gcc " + command + " failed:\n" + output);
    return binary;
  }

  /** Waits until {@code condition} holds, polling; fails with {@code what} after the timeout. */
  static void await(Duration timeout, String what, Predicate<Void> condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.test(null)) {
      if (System.nanoTime() > deadline) {
        fail("timed out waiting: " + what);
      }
      Thread.sleep(5);
    }
  }

  /** The state letter of /proc/PID/stat (R, S, T, t, Z, ...), or '?' if the process is gone. */
  static char procState(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return stat.charAt(stat.lastIndexOf(')') + 2);
    } catch (IOException | RuntimeException e) {
      return '?';
    }
  }

  /** Whether the process is blocked in one of these syscalls (from /proc/PID/syscall). */
  static boolean inSyscall(int pid, int... numbers) {
    try {
      String[] fields = Files.readString(Path.of("/proc/" + pid + "/syscall")).trim().split(" ");
      for (int nr : numbers) {
        if (fields[0].equals(Integer.toString(nr))) {
          return true;
        }
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The command line of a live process, or an empty list. */
  static List<String> cmdline(int pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
      if (raw.length == 0) {
        return List.of();
      }
      return List.of(new String(raw, 0, raw.length - 1, StandardCharsets.UTF_8).split("\0", -1));
    } catch (IOException e) {
      return List.of();
    }
  }
}
