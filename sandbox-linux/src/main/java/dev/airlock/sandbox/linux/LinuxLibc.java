package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc functions Airlock calls, bound with JNA direct mapping (C names verbatim, constants
 * beside them). This is the only class that touches JNA's native calls; errno is read with {@link
 * #errno()} right after a failing call and turned into an {@link ErrnoException} by the caller.
 */
final class LinuxLibc {
  static {
    Native.register("c");
  }

  private LinuxLibc() {}

  // <fcntl.h>, <unistd.h>
  static final int O_RDONLY = 0;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_CLOEXEC = 0x80000;
  static final int O_NONBLOCK = 0x800;
  static final int O_DIRECTORY = 0x10000;
  static final int O_PATH = 0x200000;

  // <signal.h>

  // <sys/wait.h> and <linux/wait.h>
  static final int WNOHANG = 1;
  static final int WNOTHREAD = 0x20000000;
  static final int WALL = 0x40000000;
  static final int WEXITED = 4;
  static final int WNOWAIT = 0x01000000;
  static final int P_PID = 1;
  static final int SIGINFO_BYTES = 128;

  // <spawn.h> (glibc)
  static final short POSIX_SPAWN_SETPGROUP = 0x02;
  static final short POSIX_SPAWN_SETSIGDEF = 0x04;
  static final short POSIX_SPAWN_SETSIGMASK = 0x08;

  /**
   * sizeof(posix_spawn_file_actions_t) is 80 and sizeof(posix_spawnattr_t) 336 on glibc x86_64 and
   * aarch64; the buffers are larger so a future glibc cannot overrun them.
   */
  static final int SPAWN_FILE_ACTIONS_BYTES = 256;

  static final int SPAWN_ATTR_BYTES = 1024;
  static final int SIGSET_BYTES = 128;

  // <poll.h>
  static final short POLLIN = 0x001;
  static final short POLLOUT = 0x004;
  static final short POLLHUP = 0x010;
  static final short POLLRDHUP = 0x2000;
  static final int POLLFD_BYTES = 8;

  // <sys/prctl.h>
  static final int PR_GET_SECCOMP = 21;

  // errno values the callers branch on

  /** struct rusage: two timevals (16 bytes each) then 14 longs; ru_maxrss is the first long. */
  static final int RUSAGE_BYTES = 144;

  static native int posix_spawn(
      int[] pid, String path, Pointer fileActions, Pointer attr, Pointer argv, Pointer envp);

  static native int posix_spawn_file_actions_init(Pointer fileActions);

  static native int posix_spawn_file_actions_destroy(Pointer fileActions);

  static native int posix_spawn_file_actions_adddup2(Pointer fileActions, int fd, int newFd);

  static native int posix_spawn_file_actions_addopen(
      Pointer fileActions, int fd, String path, int oflag, int mode);

  static native int posix_spawnattr_init(Pointer attr);

  static native int posix_spawnattr_destroy(Pointer attr);

  static native int posix_spawnattr_setflags(Pointer attr, short flags);

  static native int posix_spawnattr_setpgroup(Pointer attr, int pgroup);

  static native int posix_spawnattr_setsigmask(Pointer attr, Pointer sigmask);

  static native int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigdefault);

  static native int sigemptyset(Pointer set);

  static native int sigfillset(Pointer set);

  static native int pipe2(int[] fds, int flags);

  static final int F_DUPFD_CLOEXEC = 1030;

  // <fcntl.h> file seals, <sys/mman.h> memfd_create(2)
  static final int F_ADD_SEALS = 1033;
  static final int F_SEAL_SEAL = 0x1;
  static final int F_SEAL_SHRINK = 0x2;
  static final int F_SEAL_GROW = 0x4;
  static final int F_SEAL_WRITE = 0x8;
  static final int MFD_CLOEXEC = 0x1;
  static final int MFD_ALLOW_SEALING = 0x2;

  static native int memfd_create(String name, int flags);

  static native int ftruncate(int fd, long length);

  static native int fcntl(int fd, int cmd, long arg);

  static native int close(int fd);

  /** open(2); {@code path} is a NUL-terminated byte string (see {@link #path}). */
  static native int open(byte[] path, int flags);

  static native int openat(int dirfd, byte[] path, int flags);

  static native int connect(int sockfd, Pointer addr, int addrlen);

  static native long sendto(
      int sockfd, Pointer buf, long len, int flags, Pointer destAddr, int addrlen);

  /** statx(2) into a struct statx of 256 bytes; {@code path} as for {@link #open}. */
  static native int statx(int dirfd, byte[] path, int flags, int mask, Pointer statxbuf);

  /** syncfs(2): commits the whole filesystem holding {@code fd} to disk. */
  static native int syncfs(int fd);

  static native long read(int fd, Pointer buf, long count);

  static native long write(int fd, Pointer buf, long count);

  static native int poll(Pointer fds, long nfds, int timeoutMs);

  static native int kill(int pid, int sig);

  static native int waitid(int idtype, int id, Pointer siginfo, int options);

  static native int wait4(int pid, int[] status, int options, Pointer rusage);

  static native int getpid();

  static native int getuid();

  static native int setsid();

  static native int prctl(int option, long arg2, long arg3, long arg4, long arg5);

  static native String strerror(int errnum);

  // <sys/ptrace.h>; glibc declares ptrace variadic, which direct mapping cannot bind, but the
  // fixed four-argument form has the same calling convention on x86_64 and aarch64.
  static native long ptrace(long request, int pid, Pointer addr, Pointer data);

  static native long process_vm_readv(
      int pid, Pointer localIov, long localCount, Pointer remoteIov, long remoteCount, long flags);

  static native int tgkill(int tgid, int tid, int sig);

  // <sched.h>; pid 0 is the calling thread. Masks are cpu_set_t (1024 bits).
  static final int CPU_SET_BYTES = 128;

  static native int sched_setaffinity(int pid, long size, Pointer mask);

  static native int sched_getaffinity(int pid, long size, Pointer mask);

  static native int sched_getcpu();

  /** syscall(2) with three arguments (fixed arity: JNA direct mapping has no varargs). */
  static native long syscall(long number, long a1, long a2, long a3);

  static final int SYS_LANDLOCK_CREATE_RULESET = 444;
  static final int LANDLOCK_CREATE_RULESET_VERSION = 1;

  /**
   * A path as the kernel takes it: its exact bytes (not the JDK's lossy string of it), NUL
   * terminated.
   */
  static byte[] path(java.nio.file.Path path) {
    byte[] name = dev.airlock.protocol.PathBytes.encode(dev.airlock.protocol.PathBytes.of(path));
    return java.util.Arrays.copyOf(name, name.length + 1);
  }

  /** The errno of the last failed call on this thread (JNA saves it right after the call). */
  static int errno() {
    return Native.getLastError();
  }

  /** A zeroed native buffer; callers keep it for the life of the object that owns it. */
  static Memory allocate(long bytes) {
    Memory memory = new Memory(bytes);
    memory.clear();
    return memory;
  }
}
