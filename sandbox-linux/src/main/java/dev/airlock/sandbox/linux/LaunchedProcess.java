package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import dev.airlock.protocol.Signals;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * A command started by the launcher: its pid (also its process group id), its output pipes, its
 * stdin pipe when asked for, and the launcher's failure report. Closing it closes every fd it owns;
 * it does not kill the process.
 */
public final class LaunchedProcess implements AutoCloseable {
  private static final int PIPE_BUFFER_BYTES = 64 * 1024;

  private final int pid;
  private final FdInputStream stdout;
  private final FdInputStream stderr;
  private final FdOutputStream stdin;
  private final int reportFd;
  private final int stdoutFd;
  private final int stderrFd;
  private OutputReader outputReader;
  private int syncFd;
  private final String command;
  private final String cwd;
  private final int helperProcesses;
  private boolean reportClosed;
  private boolean reaped;

  LaunchedProcess(
      int pid,
      int stdoutFd,
      int stderrFd,
      int stdinFd,
      int reportFd,
      int syncFd,
      String command,
      String cwd,
      int helperProcesses) {
    this.pid = pid;
    this.helperProcesses = helperProcesses;
    this.syncFd = syncFd;
    this.stdoutFd = stdoutFd;
    this.stderrFd = stderrFd;
    this.stdout = new FdInputStream(stdoutFd, PIPE_BUFFER_BYTES);
    this.stderr = new FdInputStream(stderrFd, PIPE_BUFFER_BYTES);
    this.stdin = stdinFd >= 0 ? new FdOutputStream(stdinFd, PIPE_BUFFER_BYTES) : null;
    this.reportFd = reportFd;
    this.command = command;
    this.cwd = cwd;
  }

  /**
   * How many of the action's processes are the launcher's own and never run the command: 0, or 2 in
   * a pid namespace (the launcher relaying the status and the namespace's init).
   */
  public int helperProcesses() {
    return helperProcesses;
  }

  /** The process id, which is also the id of the process group the command runs in. */
  public long pid() {
    return pid;
  }

  public InputStream stdout() {
    return stdout;
  }

  public InputStream stderr() {
    return stderr;
  }

  /** The write end of the command's stdin, when the spec asked for a pipe. */
  public Optional<OutputStream> stdin() {
    return Optional.ofNullable(stdin);
  }

  /**
   * Lets a process started with {@link Launcher#launchTraced} go on to exec; call once the tracer
   * has seized it.
   */
  public synchronized void releaseToExec() throws ErrnoException {
    if (syncFd < 0) {
      throw new IllegalStateException("not started stopped, or already released");
    }
    try (FdOutputStream sync = new FdOutputStream(syncFd, 1)) {
      syncFd = -1;
      sync.write(1);
    } catch (BrokenPipeException e) {
      // The launcher already failed (e.g. a missing working directory) and exited; its report
      // and exit status say why.
    } catch (ErrnoException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A reader of both output pipes at once (use it, or {@link #stdout()} and {@link #stderr()}, not
   * both). The pipes stay owned by this process object.
   */
  public synchronized OutputReader outputReader(int chunkBytes) {
    if (outputReader == null) {
      outputReader = new OutputReader(stdoutFd, stderrFd, chunkBytes);
    }
    return outputReader;
  }

  /** Makes pending and later reads of stdout and stderr return end-of-file. */
  public void abandonOutput() {
    stdout.abandon();
    stderr.abandon();
    synchronized (this) {
      if (outputReader != null) {
        outputReader.abandon();
      }
    }
  }

  /**
   * Sends a signal to the command's whole process group.
   *
   * @return false when no process of the group was left to signal
   */
  public synchronized boolean signalGroup(int signal) throws ErrnoException {
    if (reaped) {
      // The group id may belong to someone else by now.
      return false;
    }
    if (LinuxLibc.kill(-pid, signal) == 0) {
      return true;
    }
    int errno = LinuxLibc.errno();
    if (errno == Errno.ESRCH) {
      return false;
    }
    throw ErrnoException.of("kill(-" + pid + ", " + signal + ")", errno);
  }

  /**
   * Tells the process that its main process is ending or ended under a tracer that reaps it, so
   * that later group signals (a late cancel) are dropped rather than risk a reused group id.
   */
  public synchronized void markExiting() {
    reaped = true;
  }

  /**
   * Blocks until the command's main process ends, kills whatever is left of its process group (an
   * action ends with its main process), and reaps it.
   */
  public ExitStatus awaitExit() throws ErrnoException {
    // Wait without reaping first: while the main process is an unreaped zombie its pid, and so
    // the group id, cannot be reused, so the group kill below cannot hit an unrelated process.
    Memory siginfo = LinuxLibc.allocate(LinuxLibc.SIGINFO_BYTES);
    while (LinuxLibc.waitid(
            LinuxLibc.P_PID, pid, siginfo, LinuxLibc.WEXITED | LinuxLibc.WNOWAIT | LinuxLibc.WALL)
        != 0) {
      int errno = LinuxLibc.errno();
      if (errno != Errno.EINTR) {
        throw ErrnoException.of("waitid(" + pid + ")", errno);
      }
    }
    signalGroup(Signals.SIGKILL);
    int[] status = new int[1];
    Memory rusage = LinuxLibc.allocate(LinuxLibc.RUSAGE_BYTES);
    while (true) {
      int r;
      synchronized (this) {
        r = LinuxLibc.wait4(pid, status, LinuxLibc.WALL, rusage);
        if (r == pid) {
          reaped = true;
        }
      }
      if (r == pid) {
        long user = rusage.getLong(0) * 1_000_000 + rusage.getLong(8);
        long sys = rusage.getLong(16) * 1_000_000 + rusage.getLong(24);
        return new ExitStatus(status[0], user, sys, rusage.getLong(32));
      }
      int errno = LinuxLibc.errno();
      if (errno != Errno.EINTR) {
        throw ErrnoException.of("wait4(" + pid + ")", errno);
      }
    }
  }

  /**
   * What the launcher reported before exiting, if it failed to exec. Call only after {@link
   * #awaitExit()}: the report pipe reaches end-of-file at exec or exit, never earlier.
   */
  public Optional<LaunchFailure> launchFailure() throws ErrnoException {
    if (reportClosed) {
      return Optional.empty();
    }
    try (FdInputStream report = new FdInputStream(reportFd, 8)) {
      reportClosed = true;
      byte[] msg = report.readNBytes(8);
      if (msg.length < 8) {
        return Optional.empty();
      }
      ByteBuffer buf = ByteBuffer.wrap(msg).order(ByteOrder.nativeOrder());
      return Optional.of(
          new LaunchFailure(
              LaunchFailure.Stage.fromWire(buf.getInt()), buf.getInt(), command, cwd));
    } catch (ErrnoException e) {
      throw e;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    stdout.close();
    stderr.close();
    if (stdin != null) {
      stdin.close();
    }
    if (!reportClosed) {
      reportClosed = true;
      LinuxLibc.close(reportFd);
    }
    synchronized (this) {
      if (syncFd >= 0) {
        // Closing without a byte makes a waiting launcher fail (STAGE_SYNC) instead of hang.
        LinuxLibc.close(syncFd);
        syncFd = -1;
      }
    }
  }
}
