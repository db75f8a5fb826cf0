package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import dev.airlock.protocol.PathBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Connects a tracee's unix socket to a socket path on the tracee's behalf. The address of a
 * connect(2) lies in the tracee's memory, which another of its threads can rewrite between the
 * tracer's check and the kernel's read of it, and no kernel layer here refuses a connect by path;
 * so where a policy allows some socket paths and not others, the tracer makes the connection itself
 * to the path it checked, on the same socket (pidfd_getfd), and the call returns that result.
 */
public final class UnixConnector {
  private static final int SYS_PIDFD_OPEN = 434;
  private static final int SYS_PIDFD_GETFD = 438;
  private static final int PIDFD_THREAD = 0x80; // O_EXCL: a pidfd on one thread (Linux 6.9)
  private static final int EINVAL = 22;
  private static final int F_GETFL = 3;
  private static final int F_SETFL = 4;
  private static final int O_NOFOLLOW = 0x20000;
  private static final short AF_UNIX = 1;
  private static final int SOCKADDR_UN_BYTES = 110;

  private UnixConnector() {}

  /**
   * Connects socket {@code fd} of thread {@code tid} to {@code path} as the thread's mount
   * namespace shows it, following no symlink (the tracer resolved them already; one swapped in
   * since fails with ELOOP or ENOTDIR instead of leading elsewhere). The socket is connected
   * without blocking: a listener whose backlog is full gives EAGAIN, as a non-blocking socket's
   * connect does.
   *
   * @param pid the thread's process, for kernels without pidfds on threads
   * @return 0, or the errno the call fails with (what the tracee's connect returns)
   */
  public static int connect(int tid, int pid, int fd, String path) {
    // The thread's own descriptor table (a thread may be cloned without CLONE_FILES).
    int pidfd = (int) LinuxLibc.syscall(SYS_PIDFD_OPEN, tid, PIDFD_THREAD, 0);
    if (pidfd < 0 && LinuxLibc.errno() == EINVAL) {
      pidfd = (int) LinuxLibc.syscall(SYS_PIDFD_OPEN, pid, 0, 0);
    }
    if (pidfd < 0) {
      return LinuxLibc.errno();
    }
    int socket = (int) LinuxLibc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
    int getfdErrno = LinuxLibc.errno();
    LinuxLibc.close(pidfd);
    if (socket < 0) {
      return getfdErrno;
    }
    try {
      int target = openNoFollow(tid, path);
      if (target < 0) {
        return -target;
      }
      try {
        return connectTo(socket, "/proc/self/fd/" + target);
      } finally {
        LinuxLibc.close(target);
      }
    } finally {
      LinuxLibc.close(socket);
    }
  }

  /** An O_PATH fd on {@code path} below the process's root, one component at a time; or -errno. */
  private static int openNoFollow(int tid, String path) {
    int dir =
        LinuxLibc.open(
            LinuxLibc.path(Path.of("/proc/" + tid + "/root")),
            LinuxLibc.O_PATH | LinuxLibc.O_DIRECTORY | LinuxLibc.O_CLOEXEC);
    if (dir < 0) {
      return -LinuxLibc.errno();
    }
    String[] names = path.split("/");
    for (String name : names) {
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      byte[] bytes = PathBytes.encode(name);
      int next =
          LinuxLibc.openat(
              dir,
              Arrays.copyOf(bytes, bytes.length + 1),
              LinuxLibc.O_PATH | O_NOFOLLOW | LinuxLibc.O_CLOEXEC);
      int errno = LinuxLibc.errno();
      LinuxLibc.close(dir);
      if (next < 0) {
        return -errno;
      }
      dir = next;
    }
    return dir;
  }

  private static int connectTo(int socket, String path) {
    byte[] name = path.getBytes(StandardCharsets.US_ASCII);
    Memory address = LinuxLibc.allocate(SOCKADDR_UN_BYTES);
    address.setShort(0, AF_UNIX);
    address.write(2, name, 0, name.length);
    int flags = LinuxLibc.fcntl(socket, F_GETFL, 0);
    if (flags < 0) {
      return LinuxLibc.errno();
    }
    boolean blocking = (flags & LinuxLibc.O_NONBLOCK) == 0;
    // The file description is the tracee's: made non-blocking only for this call, so that a
    // full backlog cannot hold the tracer (the listener may be a tracee waiting for it).
    if (blocking && LinuxLibc.fcntl(socket, F_SETFL, flags | LinuxLibc.O_NONBLOCK) < 0) {
      return LinuxLibc.errno();
    }
    int rc = LinuxLibc.connect(socket, address, 2 + name.length + 1);
    int errno = rc == 0 ? 0 : LinuxLibc.errno();
    if (blocking) {
      LinuxLibc.fcntl(socket, F_SETFL, flags);
    }
    return errno;
  }
}
