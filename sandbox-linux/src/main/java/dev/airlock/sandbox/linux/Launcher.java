package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import dev.airlock.protocol.PathBytes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts commands through the airlock-launcher binary with posix_spawn. Never through
 * ProcessBuilder: the JDK's reaper thread waits on every child it starts and would steal the wait
 * statuses (and, later, the ptrace stops) that belong to Airlock's supervisor.
 */
public final class Launcher {
  /** The fd numbers the launcher finds its pipes on. */
  static final int REPORT_FD = 3;

  static final int SECCOMP_FD = 4;
  static final int SYNC_FD = 5;

  /** Where a fast-path command finds the record ring and the shim library (see ShimInjection). */
  public static final int SHIM_RING_FD = 6;

  public static final int SHIM_LIBRARY_FD = 7;

  /** Pipe fds are moved at least this high, so the dup2s onto 0-7 can never clobber a source. */
  private static final int MIN_SOURCE_FD = 10;

  private final Path binary;

  public Launcher(Path binary) {
    if (!Files.isExecutable(binary)) {
      throw new IllegalArgumentException("launcher binary is missing or not executable: " + binary);
    }
    this.binary = binary.toAbsolutePath();
  }

  public Path binary() {
    return binary;
  }

  /** The launcher's argv for a spec: its side of the documented contract. */
  public List<String> commandLine(LaunchSpec spec, boolean traced) {
    return commandLine(spec, traced, Confinement.NONE);
  }

  /** The launcher's argv with confinement options. */
  public List<String> commandLine(LaunchSpec spec, boolean traced, Confinement confinement) {
    return commandLine(spec, traced, confinement, Optional.empty());
  }

  /**
   * The launcher's argv with confinement options and, when {@code shim} is present, the fast-path
   * shim preloaded into the command. In a pid namespace the init holds the ring and the library for
   * the whole action, so processes that closed their copies (closefrom, Python's subprocess) still
   * load the shim and map the ring through {@code /proc/1/fd/N}; without one, only through their
   * own fds.
   */
  public List<String> commandLine(
      LaunchSpec spec, boolean traced, Confinement confinement, Optional<ShimInjection> injected) {
    ShimInjection shim = injected.orElse(null);
    List<String> line = new ArrayList<>();
    line.add(binary.toString());
    line.add("--cwd");
    line.add(PathBytes.of(spec.cwd()));
    line.add("--report-fd");
    line.add(Integer.toString(REPORT_FD));
    if (traced) {
      line.add("--seccomp-fd");
      line.add(Integer.toString(SECCOMP_FD));
      line.add("--sync-fd");
      line.add(Integer.toString(SYNC_FD));
    }
    if (shim != null) {
      // In a pid namespace the init (pid 1) holds both memfds; without one, a process that closed
      // its copy of the library's fd would make the loader of its children fail loudly, so they
      // load the file instead (and run without the ring: the slow path).
      boolean holder = confinement.pidNamespace();
      line.addAll(
          List.of(
              "--inherit-fd",
              Integer.toString(SHIM_RING_FD),
              "--inherit-fd",
              Integer.toString(SHIM_LIBRARY_FD),
              "--preload",
              holder ? "/proc/1/fd/" + SHIM_LIBRARY_FD : PathBytes.of(shim.libraryFile()),
              "--env",
              "AIRLOCK_SHIM=ring="
                  + SHIM_RING_FD
                  + ",page=0x"
                  + Long.toHexString(shim.page())
                  + (holder ? ",reopen=/proc/1/fd/" + SHIM_RING_FD : "")));
    }
    line.addAll(confinement.options());
    line.add("--");
    line.addAll(spec.argv());
    return line;
  }

  /**
   * Starts the command. Failures of the command itself (not found, not executable, missing working
   * directory) are not thrown: the process exits 127 and {@link LaunchedProcess#launchFailure()}
   * says why.
   *
   * @throws ErrnoException when the launcher itself cannot be spawned (fd or process limits)
   */
  public LaunchedProcess launch(LaunchSpec spec) throws ErrnoException {
    return launch(spec, null, Confinement.NONE, null);
  }

  /**
   * Starts the command under a seccomp filter, stopped just before exec until {@link
   * LaunchedProcess#releaseToExec()}: the caller seizes it with ptrace in between. Call from the
   * thread that will trace it (ptrace requests must come from the attaching thread).
   *
   * @param filterProgram struct sock_filter[] in native order (see SeccompFilter)
   */
  public LaunchedProcess launchTraced(LaunchSpec spec, byte[] filterProgram) throws ErrnoException {
    return launchTraced(spec, filterProgram, Confinement.NONE);
  }

  /** As {@link #launchTraced(LaunchSpec, byte[])}, confined by the launcher before exec. */
  public LaunchedProcess launchTraced(
      LaunchSpec spec, byte[] filterProgram, Confinement confinement) throws ErrnoException {
    return launchTraced(spec, filterProgram, confinement, Optional.empty());
  }

  /**
   * As {@link #launchTraced(LaunchSpec, byte[], Confinement)}, with the fast-path shim preloaded
   * into the command when {@code shim} is present (the filter must then be the one built for its
   * page).
   */
  public LaunchedProcess launchTraced(
      LaunchSpec spec, byte[] filterProgram, Confinement confinement, Optional<ShimInjection> shim)
      throws ErrnoException {
    if (filterProgram.length == 0 || filterProgram.length > 60_000) {
      throw new IllegalArgumentException("the filter must fit in one pipe buffer");
    }
    return launch(spec, filterProgram, confinement, shim.orElse(null));
  }

  /**
   * Whether this kernel lets the launcher create user, mount and network namespaces (some
   * containers refuse): starts {@code true} under them and checks it ran.
   */
  public boolean namespacesWork() {
    return runsTrue(Confinement.namespacesOnly(Confinement.Network.NONE));
  }

  /**
   * Whether actions can also get a pid namespace with a fresh /proc (a container whose /proc is
   * partly masked refuses the mount): starts {@code true} under one and checks it ran.
   */
  public boolean pidNamespaceWorks() {
    return runsTrue(Confinement.namespacesOnly(Confinement.Network.HOST).withPidNamespace(true));
  }

  /** Whether {@code true} runs and exits 0 under {@code confinement}. */
  private boolean runsTrue(Confinement confinement) {
    try (LaunchedProcess p =
        launch(
            new LaunchSpec(List.of("true"), Map.of("PATH", "/usr/bin:/bin"), Path.of("/"), false),
            null,
            confinement,
            null)) {
      ExitStatus status = p.awaitExit();
      return status.exited() && status.exitCode() == 0 && p.launchFailure().isEmpty();
    } catch (ErrnoException e) {
      return false;
    }
  }

  /**
   * Whether the launcher can mount a copy-on-write overlay whose layers live under {@code scratch}
   * (the filesystem the daemon keeps upper dirs on): mounts one over a scratch directory, writes
   * through it, and checks the write landed in the upper dir only.
   */
  public boolean overlaysWork(Path scratch) {
    try {
      Path lower = Files.createDirectories(scratch.resolve("lower"));
      Path layer = scratch.resolve("layer");
      Files.createDirectories(layer.resolve("upper"));
      Files.createDirectories(layer.resolve("work"));
      Confinement probe =
          Confinement.namespacesOnly(Confinement.Network.HOST)
              .withOverlays(List.of(new Confinement.Overlay(lower, layer)));
      try (LaunchedProcess p =
          launch(
              new LaunchSpec(
                  List.of("sh", "-c", ": > probe"), Map.of("PATH", "/usr/bin:/bin"), lower, false),
              null,
              probe,
              null)) {
        ExitStatus status = p.awaitExit();
        return status.exited()
            && status.exitCode() == 0
            && Files.exists(layer.resolve("upper/probe"))
            && !Files.exists(lower.resolve("probe"));
      }
    } catch (java.io.IOException e) {
      return false;
    }
  }

  private LaunchedProcess launch(
      LaunchSpec spec, byte[] filterProgram, Confinement confinement, ShimInjection shim)
      throws ErrnoException {
    List<int[]> pipes = new ArrayList<>();
    try {
      int[] out = pipe(pipes);
      int[] err = pipe(pipes);
      int[] report = pipe(pipes);
      int[] in = spec.pipeStdin() ? pipe(pipes) : null;
      int[] filter = filterProgram != null ? pipe(pipes) : null;
      int[] sync = filterProgram != null ? pipe(pipes) : null;
      // Copies of the shim's memfds as high as the pipes, so no dup2 onto 6 or 7 clobbers them.
      int[] shimFds = null;
      if (shim != null) {
        shimFds = new int[] {-1, -1};
        pipes.add(shimFds);
        shimFds[0] = highCopy(shim.ringFd());
        shimFds[1] = highCopy(shim.libraryFd());
      }
      if (filter != null) {
        // Fits the pipe buffer (checked above), so this cannot block.
        writeAll(filter[1], filterProgram);
        LinuxLibc.close(filter[1]);
        filter[1] = -1;
      }
      int pid =
          spawn(
              spec,
              in == null ? -1 : in[0],
              out[1],
              err[1],
              report[1],
              filter == null ? -1 : filter[0],
              sync == null ? -1 : sync[0],
              shimFds == null ? -1 : shimFds[0],
              shimFds == null ? -1 : shimFds[1],
              confinement,
              shim);
      LaunchedProcess process =
          new LaunchedProcess(
              pid,
              out[0],
              err[0],
              in == null ? -1 : in[1],
              report[0],
              sync == null ? -1 : sync[1],
              spec.argv().get(0),
              PathBytes.of(spec.cwd()),
              confinement.pidNamespace() ? 2 : 0);
      // The child has its copies; the parent keeps only its own ends.
      closeQuietly(out[1], err[1], report[1]);
      if (in != null) {
        closeQuietly(in[0]);
      }
      if (filter != null) {
        closeQuietly(filter[0], sync[0]);
      }
      if (shimFds != null) {
        closeQuietly(shimFds[0], shimFds[1]);
      }
      return process;
    } catch (ErrnoException | RuntimeException e) {
      for (int[] p : pipes) {
        closeQuietly(p[0], p[1]);
      }
      throw e;
    }
  }

  private int spawn(
      LaunchSpec spec,
      int stdinFd,
      int stdoutFd,
      int stderrFd,
      int reportFd,
      int seccompFd,
      int syncFd,
      int shimRingFd,
      int shimLibraryFd,
      Confinement confinement,
      ShimInjection shim)
      throws ErrnoException {
    Memory actions = LinuxLibc.allocate(LinuxLibc.SPAWN_FILE_ACTIONS_BYTES);
    Memory attr = LinuxLibc.allocate(LinuxLibc.SPAWN_ATTR_BYTES);
    Memory noSignals = LinuxLibc.allocate(LinuxLibc.SIGSET_BYTES);
    Memory allSignals = LinuxLibc.allocate(LinuxLibc.SIGSET_BYTES);
    check("posix_spawn_file_actions_init", LinuxLibc.posix_spawn_file_actions_init(actions));
    try {
      check("posix_spawnattr_init", LinuxLibc.posix_spawnattr_init(attr));
      try {
        if (stdinFd >= 0) {
          check("adddup2", LinuxLibc.posix_spawn_file_actions_adddup2(actions, stdinFd, 0));
        } else {
          check(
              "addopen",
              LinuxLibc.posix_spawn_file_actions_addopen(
                  actions, 0, "/dev/null", LinuxLibc.O_RDONLY, 0));
        }
        check("adddup2", LinuxLibc.posix_spawn_file_actions_adddup2(actions, stdoutFd, 1));
        check("adddup2", LinuxLibc.posix_spawn_file_actions_adddup2(actions, stderrFd, 2));
        // Every source is above MIN_SOURCE_FD (see pipe()), so no dup2 below overwrites a
        // source that a later one still needs.
        check("adddup2", LinuxLibc.posix_spawn_file_actions_adddup2(actions, reportFd, REPORT_FD));
        if (seccompFd >= 0) {
          check(
              "adddup2",
              LinuxLibc.posix_spawn_file_actions_adddup2(actions, seccompFd, SECCOMP_FD));
          check("adddup2", LinuxLibc.posix_spawn_file_actions_adddup2(actions, syncFd, SYNC_FD));
        }
        if (shimRingFd >= 0) {
          check(
              "adddup2",
              LinuxLibc.posix_spawn_file_actions_adddup2(actions, shimRingFd, SHIM_RING_FD));
          check(
              "adddup2",
              LinuxLibc.posix_spawn_file_actions_adddup2(actions, shimLibraryFd, SHIM_LIBRARY_FD));
        }

        // The child starts in its own process group, so a cancel that races with startup
        // still reaches the whole group; signal state is reset before the launcher's first
        // instruction (the launcher resets it again as part of its contract).
        LinuxLibc.sigemptyset(noSignals);
        LinuxLibc.sigfillset(allSignals);
        check(
            "posix_spawnattr_setflags",
            LinuxLibc.posix_spawnattr_setflags(
                attr,
                (short)
                    (LinuxLibc.POSIX_SPAWN_SETPGROUP
                        | LinuxLibc.POSIX_SPAWN_SETSIGMASK
                        | LinuxLibc.POSIX_SPAWN_SETSIGDEF)));
        check("posix_spawnattr_setpgroup", LinuxLibc.posix_spawnattr_setpgroup(attr, 0));
        check("posix_spawnattr_setsigmask", LinuxLibc.posix_spawnattr_setsigmask(attr, noSignals));
        check(
            "posix_spawnattr_setsigdefault",
            LinuxLibc.posix_spawnattr_setsigdefault(attr, allSignals));

        List<String> line =
            commandLine(spec, seccompFd >= 0, confinement, Optional.ofNullable(shim));
        // Arguments and the environment go to the kernel as the exact bytes they stand for.
        CStringArray argv = new CStringArray(line);
        CStringArray envp = new CStringArray(environment(spec.env()));
        int[] pid = new int[1];
        int rc = LinuxLibc.posix_spawn(pid, binary.toString(), actions, attr, argv, envp);
        if (rc != 0) {
          throw ErrnoException.of("posix_spawn(" + binary + ")", rc);
        }
        return pid[0];
      } finally {
        LinuxLibc.posix_spawnattr_destroy(attr);
      }
    } finally {
      LinuxLibc.posix_spawn_file_actions_destroy(actions);
    }
  }

  private static List<String> environment(Map<String, String> env) {
    return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
  }

  /** A close-on-exec pipe with both fds at or above MIN_SOURCE_FD, remembered in {@code all}. */
  private static int[] pipe(List<int[]> all) throws ErrnoException {
    int[] fds = new int[2];
    // O_CLOEXEC from the start: a pipe of one action must never leak into another action's
    // child spawned concurrently from another thread, or its reader would never see EOF.
    if (LinuxLibc.pipe2(fds, LinuxLibc.O_CLOEXEC) != 0) {
      throw ErrnoException.of("pipe2()", LinuxLibc.errno());
    }
    all.add(fds);
    fds[0] = raise(fds[0]);
    fds[1] = raise(fds[1]);
    return fds;
  }

  /** A close-on-exec duplicate of {@code fd} at or above MIN_SOURCE_FD. */
  private static int highCopy(int fd) throws ErrnoException {
    int high = LinuxLibc.fcntl(fd, LinuxLibc.F_DUPFD_CLOEXEC, MIN_SOURCE_FD);
    if (high < 0) {
      throw ErrnoException.of("fcntl(F_DUPFD_CLOEXEC)", LinuxLibc.errno());
    }
    return high;
  }

  private static int raise(int fd) throws ErrnoException {
    if (fd >= MIN_SOURCE_FD) {
      return fd;
    }
    int high = LinuxLibc.fcntl(fd, LinuxLibc.F_DUPFD_CLOEXEC, MIN_SOURCE_FD);
    int errno = LinuxLibc.errno();
    LinuxLibc.close(fd);
    if (high < 0) {
      throw ErrnoException.of("fcntl(F_DUPFD_CLOEXEC)", errno);
    }
    return high;
  }

  private static void writeAll(int fd, byte[] bytes) throws ErrnoException {
    com.sun.jna.Memory buffer = LinuxLibc.allocate(bytes.length);
    buffer.write(0, bytes, 0, bytes.length);
    long done = 0;
    while (done < bytes.length) {
      long n = LinuxLibc.write(fd, buffer.share(done), bytes.length - done);
      if (n < 0) {
        int errno = LinuxLibc.errno();
        if (errno == Errno.EINTR) {
          continue;
        }
        throw ErrnoException.of("write(filter pipe)", errno);
      }
      done += n;
    }
  }

  private static void check(String call, int rc) throws ErrnoException {
    if (rc != 0) {
      throw ErrnoException.of(call + "()", rc);
    }
  }

  private static void closeQuietly(int... fds) {
    for (int fd : fds) {
      if (fd >= 0) {
        LinuxLibc.close(fd);
      }
    }
  }
}
