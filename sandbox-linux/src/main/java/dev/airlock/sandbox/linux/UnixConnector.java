package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import dev.airlock.protocol.PathBytes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Connects a tracee's unix socket to a socket path, or sends its datagram to one, on the tracee's
 * behalf. The address of a connect(2) or sendto(2) lies in the tracee's memory, which another of
 * its threads can rewrite between the tracer's check and the kernel's read of it, and no kernel
 * layer here refuses a connect by path; so where a policy allows some socket paths and not others,
 * the tracer makes the call itself to the path it checked, on the same socket (pidfd_getfd), and
 * the tracee's call returns that result.
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
  private static final int MSG_DONTWAIT = 0x40;
  private static final int EFAULT = 14;
  private static final int EMSGSIZE = 90;

  /** Larger than a unix datagram can be with the default socket buffers (212,992 bytes). */
  private static final long MAX_DATAGRAM = 256 * 1024;

  /** UIO_MAXIOV: the kernel's own limit on a message's iovecs. */
  private static final long MAX_IOVECS = 1024;

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
    return (int) -onSocket(tid, pid, fd, path, (socket, address) -> -connectTo(socket, address));
  }

  /**
   * Sends the {@code length} bytes at {@code buffer} in the tracee's memory from its socket {@code
   * fd} to {@code path}, as {@link #connect} connects (so that the data is read once, by the
   * tracer, too), without blocking: a full receiver gives EAGAIN.
   *
   * @return the number of bytes sent, or -errno
   */
  public static long sendTo(
      int tid, int pid, int fd, long buffer, long length, int flags, String path) {
    if (length < 0 || length > MAX_DATAGRAM) {
      return -EMSGSIZE;
    }
    Memory iovec = LinuxLibc.allocate(16);
    iovec.setLong(0, buffer);
    iovec.setLong(8, length);
    return send(tid, pid, fd, iovec, 1, length, flags, path);
  }

  /**
   * As {@link #sendTo}, for a sendmsg(2) whose struct msghdr is at {@code message} and carries no
   * control data (the caller refuses that: its descriptors are numbers in the tracee's table).
   *
   * @return the number of bytes sent, or -errno
   */
  public static long sendMessage(int tid, int pid, int fd, long message, int flags, String path) {
    // struct msghdr: name, namelen, iov at 16, iovlen at 24, control at 32, controllen at 40
    Memory header = LinuxLibc.allocate(56);
    if (!readTracee(tid, message, header, 56)) {
      return -EFAULT;
    }
    long count = header.getLong(24);
    if (count < 0 || count > MAX_IOVECS) {
      return -EMSGSIZE;
    }
    Memory iovecs = LinuxLibc.allocate(Math.max(count, 1) * 16);
    if (count > 0 && !readTracee(tid, header.getLong(16), iovecs, count * 16)) {
      return -EFAULT;
    }
    long total = 0;
    for (int i = 0; i < count; i++) {
      long length = iovecs.getLong(i * 16L + 8);
      if (length < 0 || length > MAX_DATAGRAM - total) {
        return -EMSGSIZE;
      }
      total += length;
    }
    return send(tid, pid, fd, iovecs, (int) count, total, flags, path);
  }

  /** Gathers {@code total} bytes from the tracee's iovecs, once, and sends them to {@code path}. */
  private static long send(
      int tid, int pid, int fd, Memory iovecs, int count, long total, int flags, String path) {
    Memory data = LinuxLibc.allocate(Math.max(total, 1));
    long at = 0;
    for (int i = 0; i < count; i++) {
      long length = iovecs.getLong(i * 16L + 8);
      if (length > 0 && !readTracee(tid, iovecs.getLong(i * 16L), data.share(at), length)) {
        return -EFAULT;
      }
      at += length;
    }
    return onSocket(
        tid,
        pid,
        fd,
        path,
        (socket, address) -> {
          long n =
              LinuxLibc.sendto(
                  socket, data, total, flags | MSG_DONTWAIT, address, SOCKADDR_UN_BYTES);
          return n >= 0 ? n : -LinuxLibc.errno();
        });
  }

  private static boolean readTracee(int tid, long address, com.sun.jna.Pointer into, long length) {
    Memory local = LinuxLibc.allocate(16);
    Memory remote = LinuxLibc.allocate(16);
    local.setPointer(0, into);
    local.setLong(8, length);
    remote.setLong(0, address);
    remote.setLong(8, length);
    return LinuxLibc.process_vm_readv(tid, local, 1, remote, 1, 0) == length;
  }

  /** A call on the tracee's socket with the address of {@code path}'s inode; or -errno. */
  private interface SocketCall {
    long call(int socket, Memory address);
  }

  private static long onSocket(int tid, int pid, int fd, String path, SocketCall call) {
    // The thread's own descriptor table (a thread may be cloned without CLONE_FILES).
    int pidfd = (int) LinuxLibc.syscall(SYS_PIDFD_OPEN, tid, PIDFD_THREAD, 0);
    if (pidfd < 0 && LinuxLibc.errno() == EINVAL) {
      pidfd = (int) LinuxLibc.syscall(SYS_PIDFD_OPEN, pid, 0, 0);
    }
    if (pidfd < 0) {
      return -LinuxLibc.errno();
    }
    int socket = (int) LinuxLibc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0);
    int getfdErrno = LinuxLibc.errno();
    LinuxLibc.close(pidfd);
    if (socket < 0) {
      return -getfdErrno;
    }
    try {
      int target = openNoFollow(tid, path);
      if (target < 0) {
        return target;
      }
      try {
        return call.call(socket, address("/proc/self/fd/" + target));
      } finally {
        LinuxLibc.close(target);
      }
    } finally {
      LinuxLibc.close(socket);
    }
  }

  private static Memory address(String path) {
    byte[] name = path.getBytes(StandardCharsets.US_ASCII);
    Memory address = LinuxLibc.allocate(SOCKADDR_UN_BYTES);
    address.setShort(0, AF_UNIX);
    address.write(2, name, 0, name.length);
    return address;
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

  private static int connectTo(int socket, Memory address) {
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
    int rc = LinuxLibc.connect(socket, address, SOCKADDR_UN_BYTES);
    int errno = rc == 0 ? 0 : LinuxLibc.errno();
    if (blocking) {
      LinuxLibc.fcntl(socket, F_SETFL, flags);
    }
    return errno;
  }
}
