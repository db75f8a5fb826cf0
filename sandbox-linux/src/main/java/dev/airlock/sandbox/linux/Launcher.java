package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.StringArray;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Starts commands through the airlock-launcher binary with posix_spawn. Never through
 * ProcessBuilder: the JDK's reaper thread waits on every child it starts and would steal the wait
 * statuses (and, later, the ptrace stops) that belong to Airlock's supervisor.
 */
public final class Launcher {
  /** The fd number the launcher finds its report pipe on. */
  static final int REPORT_FD = 3;

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
  public List<String> commandLine(LaunchSpec spec) {
    List<String> line = new ArrayList<>();
    line.add(binary.toString());
    line.add("--cwd");
    line.add(spec.cwd().toString());
    line.add("--report-fd");
    line.add(Integer.toString(REPORT_FD));
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
    int[] out = pipe();
    int[] err = null;
    int[] report = null;
    int[] in = null;
    try {
      err = pipe();
      report = pipe();
      in = spec.pipeStdin() ? pipe() : null;
      int pid = spawn(spec, in == null ? -1 : in[0], out[1], err[1], report[1]);
      closeQuietly(out[1], err[1], report[1]);
      if (in != null) {
        closeQuietly(in[0]);
      }
      return new LaunchedProcess(
          pid,
          out[0],
          err[0],
          in == null ? -1 : in[1],
          report[0],
          spec.argv().get(0),
          spec.cwd().toString());
    } catch (ErrnoException | RuntimeException e) {
      for (int[] p : new int[][] {out, err, report, in}) {
        if (p != null) {
          closeQuietly(p[0], p[1]);
        }
      }
      throw e;
    }
  }

  private int spawn(LaunchSpec spec, int stdinFd, int stdoutFd, int stderrFd, int reportFd)
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
        // Last: fd 3 may itself be one of the sources above, which are already duplicated by
        // now. glibc (>= 2.29) clears close-on-exec when source and target are equal.
        check("adddup2", LinuxLibc.posix_spawn_file_actions_adddup2(actions, reportFd, REPORT_FD));

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

        List<String> line = commandLine(spec);
        StringArray argv = new StringArray(line.toArray(new String[0]));
        StringArray envp = new StringArray(environment(spec.env()));
        int[] pid = new int[1];
        int rc = LinuxLibc.posix_spawn(pid, binary.toString(), actions, attr, argv, envp);
        if (rc != 0) {
          throw new ErrnoException("posix_spawn(" + binary + ")", rc);
        }
        return pid[0];
      } finally {
        LinuxLibc.posix_spawnattr_destroy(attr);
      }
    } finally {
      LinuxLibc.posix_spawn_file_actions_destroy(actions);
    }
  }

  private static String[] environment(Map<String, String> env) {
    return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toArray(String[]::new);
  }

  private static int[] pipe() throws ErrnoException {
    int[] fds = new int[2];
    // O_CLOEXEC from the start: a pipe of one action must never leak into another action's
    // child spawned concurrently from another thread, or its reader would never see EOF.
    if (LinuxLibc.pipe2(fds, LinuxLibc.O_CLOEXEC) != 0) {
      throw new ErrnoException("pipe2()", LinuxLibc.errno());
    }
    return fds;
  }

  private static void check(String call, int rc) throws ErrnoException {
    if (rc != 0) {
      throw new ErrnoException(call + "()", rc);
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
