package dev.airlock.sandbox.linux.trace;

import static dev.airlock.sandbox.linux.Errno.*;
import static dev.airlock.sandbox.linux.trace.AccessKind.*;

import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.Ptrace;
import dev.airlock.sandbox.linux.UnixConnector;
import dev.airlock.sandbox.linux.seccomp.SeccompFilter;
import dev.airlock.sandbox.linux.seccomp.Syscall;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns one traced syscall into accesses: at its seccomp stop it reads and resolves the path
 * arguments; at its exit stop (when the result decides what happened) it records the accesses.
 */
final class SyscallDecoder {

  // <fcntl.h>
  static final int O_ACCMODE = 3;
  static final int O_WRONLY = 1;
  static final int O_RDWR = 2;
  static final int O_CREAT = 0100;
  static final int O_EXCL = 0200;
  static final int O_TRUNC = 01000;
  static final int O_NOFOLLOW = 0400000;
  static final int O_PATH = 010000000;
  static final int O_TMPFILE_BIT = 020000000;
  static final int AT_SYMLINK_NOFOLLOW = 0x100;
  static final int AT_REMOVEDIR = 0x200;
  static final int AT_SYMLINK_FOLLOW = 0x400;
  static final int AT_EMPTY_PATH = 0x1000;
  static final int RENAME_EXCHANGE = 2;
  static final int IN_DONT_FOLLOW = 0x02000000;
  static final long RESOLVE_IN_ROOT = 0x10;
  private static final int PATH_MAX = 4096;

  /** sizeof(struct mmsghdr) on 64-bit Linux: a struct msghdr (56 bytes), msg_len, padding. */
  private static final int MMSGHDR_BYTES = 64;

  /** The kernel's limit on a sendmmsg(2) vector (UIO_MAXIOV). */
  private static final int MAX_MMSG = 1024;

  /** What to do with the tracee after its seccomp stop. */
  enum Next {
    CONTINUE,
    TO_EXIT,
    /** Skip the syscall; it returns -{@link #denyErrno()}. */
    DENY
  }

  /** A syscall seen at entry whose accesses depend on its result. */
  static final class Pending {
    final Syscall syscall;
    String path;
    String path2;
    int flags;
    long resolve;
    boolean existed;

    /** The further destinations of a sendmmsg(2), after the first in {@link #path}. */
    List<String> moreAddresses = List.of();

    /** An access outside the policy in audit mode: recorded at exit, if the call succeeds. */
    AccessKind reportKind;

    /**
     * For an open the shim made: what it opened (its path argument, resolved) and whether that is a
     * directory, known from the record since the fd may be closed by now.
     */
    String opened;

    boolean openedDirectory;

    String reportPath;

    Pending(Syscall syscall) {
      this.syscall = syscall;
    }

    boolean isExec() {
      return syscall == Syscall.EXECVE || syscall == Syscall.EXECVEAT;
    }
  }

  private final Syscall[] byNumber = new Syscall[1024];
  private final Ptrace ptrace;
  private final PathResolver paths;
  private final AccessLog log;
  private final List<String> gaps;
  private final AccessGuard guard;
  private final java.util.function.IntSupplier liveTasks;
  private int denyErrno;
  private final List<String> links = new ArrayList<>();

  /** PT_INTERP of each binary exec'd so far, until the binary changes. */
  private final Map<String, Optional<String>> interpreters = new HashMap<>();

  /** The fast path's syscall page (0 without a fast path) and the scope its shim serves. */
  private long shimPage;

  private FastPathScope shimScope = FastPathScope.NONE;

  /** What the loader's open of the shim library resolves to; never a build input. */
  private java.util.Set<String> shimLibrary = java.util.Set.of();

  private static final int MAP_FIXED = 0x10;
  private static final int MREMAP_FIXED = 2;
  private static final int SHM_REMAP = 040000;
  private static final long PAGE = 4096;

  SyscallDecoder(
      SyscallTable table,
      Ptrace ptrace,
      PathResolver paths,
      AccessLog log,
      List<String> gaps,
      AccessGuard guard,
      java.util.function.IntSupplier liveTasks) {
    this.guard = guard;
    this.liveTasks = liveTasks;
    for (Map.Entry<Syscall, Integer> e : table.numbers().entrySet()) {
      byNumber[e.getValue()] = e.getKey();
    }
    this.ptrace = ptrace;
    this.paths = paths;
    this.log = log;
    this.gaps = gaps;
  }

  /** Decodes for an action with a fast path: its page and the scope its shim serves. */
  void useFastPath(long page, FastPathScope scope, java.util.Set<String> library) {
    this.shimPage = page;
    this.shimScope = scope;
    this.shimLibrary = library;
  }

  /**
   * Handles a seccomp stop. Returns what to do next; {@code pending[0]} receives the call to finish
   * at its exit stop when {@link Next#TO_EXIT}.
   */
  Next onEntry(int tid, int pid, Ptrace.SyscallInfo info, Pending[] pending) {
    Syscall s = info.nr >= 0 && info.nr < byNumber.length ? byNumber[(int) info.nr] : null;
    if (s == null) {
      return Next.CONTINUE;
    }
    long[] a = info.args;
    if (Syscall.MEMORY_MAPPINGS.contains(s)) {
      // Stopped because its range is near the fast path's page: refused if it does reach it
      // (unmapped, remapped or made writable, another instruction could be put at the one
      // address the filter lets through).
      if (shimPage != 0 && touchesShimPage(s, a)) {
        String what = "(" + s.name().toLowerCase(java.util.Locale.ROOT) + " of the shim's page)";
        log.record(ESCAPE, what, EPERM, pid);
        log.violation(ESCAPE, what, pid, true);
        return deny(EPERM);
      }
      return Next.CONTINUE;
    }
    if (s == Syscall.CLONE
        && (a[0] & SeccompFilter.CLONE_NEW_MASK) != 0
        && !guard.allowsNamespaces()) {
      // The filter stops a namespace-creating clone so that it is refused here, and recorded
      // as unshare and setns are.
      log.record(ESCAPE, "(clone)", EPERM, pid);
      log.violation(ESCAPE, "(clone)", pid, true);
      return deny(EPERM);
    }
    if (Syscall.PROCESS_CREATION.contains(s)) {
      int limit = guard.processLimit();
      if (limit > 0 && liveTasks.getAsInt() >= limit) {
        String what = "(process limit " + limit + ")";
        log.violation(ESCAPE, what, pid, true);
        return deny(EAGAIN);
      }
      return Next.CONTINUE;
    }
    int cwd = PathResolver.AT_FDCWD;
    Pending p = new Pending(s);
    pending[0] = p;
    switch (s) {
      case OPEN -> p.flags = (int) a[1];
      case CREAT -> p.flags = O_CREAT | O_WRONLY | O_TRUNC;
      case OPENAT -> p.flags = (int) a[2];
      case OPENAT2 -> {
        // struct open_how {u64 flags; u64 mode; u64 resolve;}
        byte[] how = ptrace.readBytes(tid, a[2], 24).orElse(null);
        if (how != null) {
          ByteBuffer b = ByteBuffer.wrap(how).order(ByteOrder.nativeOrder());
          p.flags = (int) b.getLong(0);
          p.resolve = b.getLong(16);
        }
      }
      default -> {}
    }
    switch (s) {
      case OPEN, CREAT -> p.path = path(tid, pid, cwd, a[0], followOpen(p.flags));
      case OPENAT -> p.path = path(tid, pid, (int) a[0], a[1], followOpen(p.flags));
      case OPENAT2 ->
          p.path =
              (p.resolve & RESOLVE_IN_ROOT) != 0
                  ? pathInRoot(tid, pid, (int) a[0], a[1], followOpen(p.flags))
                  : path(tid, pid, (int) a[0], a[1], followOpen(p.flags));
      case STAT,
          ACCESS,
          STATFS,
          GETXATTR,
          LISTXATTR,
          CHDIR,
          TRUNCATE,
          CHMOD,
          CHOWN,
          UTIME,
          UTIMES,
          SETXATTR,
          REMOVEXATTR,
          EXECVE,
          CHROOT,
          UMOUNT2 ->
          p.path = path(tid, pid, cwd, a[0], true);
      case LSTAT,
          READLINK,
          LGETXATTR,
          LLISTXATTR,
          MKDIR,
          RMDIR,
          UNLINK,
          MKNOD,
          LCHOWN,
          LSETXATTR,
          LREMOVEXATTR ->
          p.path = path(tid, pid, cwd, a[0], false);
      case NEWFSTATAT, FACCESSAT2, FCHMODAT2 -> {
        if (emptyPathFd(tid, a[1], (int) a[3])) {
          return Next.CONTINUE; // fstat of an open fd: no path access
        }
        p.path = path(tid, pid, (int) a[0], a[1], (a[3] & AT_SYMLINK_NOFOLLOW) == 0);
      }
      case STATX -> {
        if (emptyPathFd(tid, a[1], (int) a[2])) {
          return Next.CONTINUE;
        }
        p.path = path(tid, pid, (int) a[0], a[1], (a[2] & AT_SYMLINK_NOFOLLOW) == 0);
      }
      case FACCESSAT, FCHMODAT -> p.path = path(tid, pid, (int) a[0], a[1], true);
      case READLINKAT, MKDIRAT, MKNODAT -> p.path = path(tid, pid, (int) a[0], a[1], false);
      case UNLINKAT -> {
        p.flags = (int) a[2];
        p.path = path(tid, pid, (int) a[0], a[1], false);
      }
      case FCHOWNAT ->
          p.path =
              pathOrFd(tid, pid, (int) a[0], a[1], (int) a[4], (a[4] & AT_SYMLINK_NOFOLLOW) == 0);
      case UTIMENSAT ->
          p.path =
              pathOrFd(
                  tid,
                  pid,
                  (int) a[0],
                  a[1],
                  (int) a[3] | (a[1] == 0 ? AT_EMPTY_PATH : 0),
                  (a[3] & AT_SYMLINK_NOFOLLOW) == 0);
      case FUTIMESAT ->
          p.path = pathOrFd(tid, pid, (int) a[0], a[1], a[1] == 0 ? AT_EMPTY_PATH : 0, true);
      case NAME_TO_HANDLE_AT ->
          p.path =
              pathOrFd(tid, pid, (int) a[0], a[1], (int) a[4], (a[4] & AT_SYMLINK_FOLLOW) != 0);
      case EXECVEAT ->
          p.path =
              pathOrFd(tid, pid, (int) a[0], a[1], (int) a[4], (a[4] & AT_SYMLINK_NOFOLLOW) == 0);
      case INOTIFY_ADD_WATCH -> p.path = path(tid, pid, cwd, a[1], (a[2] & IN_DONT_FOLLOW) == 0);
      case RENAME -> {
        p.path = path(tid, pid, cwd, a[0], false);
        p.path2 = path(tid, pid, cwd, a[1], false);
      }
      case RENAMEAT, RENAMEAT2 -> {
        p.flags = s == Syscall.RENAMEAT2 ? (int) a[4] : 0;
        p.path = path(tid, pid, (int) a[0], a[1], false);
        p.path2 = path(tid, pid, (int) a[2], a[3], false);
      }
      case LINK -> {
        p.path = path(tid, pid, cwd, a[0], false);
        p.path2 = path(tid, pid, cwd, a[1], false);
      }
      case LINKAT -> {
        p.path = pathOrFd(tid, pid, (int) a[0], a[1], (int) a[4], (a[4] & AT_SYMLINK_FOLLOW) != 0);
        p.path2 = path(tid, pid, (int) a[2], a[3], false);
      }
      case SYMLINK -> p.path = path(tid, pid, cwd, a[1], false);
      case SYMLINKAT -> p.path = path(tid, pid, (int) a[1], a[2], false);
      case MOUNT -> p.path = path(tid, pid, cwd, a[1], true);
      case PIVOT_ROOT -> {
        p.path = path(tid, pid, cwd, a[0], true);
        p.path2 = path(tid, pid, cwd, a[1], true);
      }
      case CONNECT -> p.path = address(tid, pid, a[1], a[2]);
      case SENDTO -> p.path = address(tid, pid, a[4], a[5]);
      case SENDMSG -> p.path = messageAddress(tid, pid, a[1]);
      case SENDMMSG -> {
        List<String> addresses = new ArrayList<>();
        for (long i = 0; i < Math.min(a[2], MAX_MMSG); i++) {
          String address = messageAddress(tid, pid, a[1] + i * MMSGHDR_BYTES);
          if (address != null && !addresses.contains(address)) {
            addresses.add(address);
          }
        }
        if (!addresses.isEmpty()) {
          p.path = addresses.get(0);
          p.moreAddresses = addresses.subList(1, addresses.size());
        }
      }
      case GETDENTS, GETDENTS64 -> {
        String dir = paths.fdPath(tid, (int) a[0]);
        if (dir != null && dir.startsWith("/")) {
          log.record(ENUMERATE, dir, 0, pid);
        }
        return Next.CONTINUE;
      }
      case FCHDIR -> {
        paths.forgetWorkingDirectories();
        return Next.CONTINUE; // the new cwd is read from /proc when next needed
      }
      case OPEN_BY_HANDLE_AT -> {
        // Opens by handle, bypassing paths: refused below with the other escapes.
        String mount = paths.fdPath(tid, (int) a[0]);
        p.path = mount == null ? "(open_by_handle_at)" : mount;
      }
      case IO_URING_SETUP -> {
        // io_uring operations never pass through seccomp; refusing it makes libraries fall
        // back to plain syscalls, which the tracer does see.
        log.record(ESCAPE, "(io_uring_setup)", ENOSYS, pid);
        return deny(ENOSYS);
      }
      default -> {}
    }
    if (Syscall.ESCAPES.contains(s)
        || (Syscall.NAMESPACES.contains(s) && !guard.allowsNamespaces())) {
      String what =
          p.path != null ? p.path : "(" + s.name().toLowerCase(java.util.Locale.ROOT) + ")";
      log.record(ESCAPE, what, EPERM, pid);
      log.violation(ESCAPE, what, pid, true);
      return deny(EPERM);
    }
    if (p.path != null && isOpen(s) && shimLibrary.contains(p.path)) {
      return Next.CONTINUE; // the loader loading the shim: Airlock's own, not the action's
    }
    if (p.path == null) {
      // Unreadable pointer or a vanished cwd: the kernel will fail the call (EFAULT) too. For a
      // send or connect: no address of a family worth recording (netlink, AF_UNSPEC, none).
      return Next.CONTINUE;
    }
    if (guard != AccessGuard.ALLOW_ALL) {
      Next verdict = applyGuard(p, pid);
      if (verdict != null) {
        return verdict;
      }
    }
    if ((s == Syscall.CONNECT || s == Syscall.SENDTO || s == Syscall.SENDMSG)
        && p.reportKind == null
        && guard.restrictsUnixSockets()
        && p.path.startsWith(SocketAddresses.UNIX + "/")) {
      // The address was read from memory another thread may rewrite before the kernel reads it:
      // the tracer makes the call itself, to the path it checked, and the call returns that.
      String socketPath = p.path.substring(SocketAddresses.UNIX.length());
      if (s == Syscall.SENDMSG && carriesControlData(tid, a[1])) {
        // Its descriptors and credentials are the tracee's, which the tracer cannot send as its.
        log.violation(CONNECT, p.path, pid, true);
        return deny(EPERM);
      }
      long result =
          switch (s) {
            case CONNECT -> -UnixConnector.connect(tid, pid, (int) a[0], socketPath);
            case SENDTO ->
                UnixConnector.sendTo(tid, pid, (int) a[0], a[1], a[2], (int) a[3], socketPath);
            default ->
                UnixConnector.sendMessage(tid, pid, (int) a[0], a[1], (int) a[2], socketPath);
          };
      log.record(CONNECT, p.path, result < 0 ? (int) -result : 0, pid);
      return returns(result);
    }
    if ((s == Syscall.OPEN || s == Syscall.OPENAT || s == Syscall.OPENAT2 || s == Syscall.CREAT)
        && (p.flags & O_CREAT) != 0
        && (p.flags & O_EXCL) == 0) {
      p.existed = paths.exists(pid, p.path);
    }
    return Next.TO_EXIT;
  }

  /**
   * A struct sockaddr at {@code pointer} as a CONNECT record's address, or null; a socket path is
   * resolved as the kernel resolves it (relative to the working directory, through symlinks), so
   * that the policy judges, and the tracer connects to, the socket the path really names ({@code
   * /var/run/nscd/socket} is {@code /run/nscd/socket}; a link in the workspace to a host socket is
   * that host socket).
   */
  private String address(int tid, int pid, long pointer, long length) {
    if (pointer == 0) {
      return null;
    }
    String address =
        SocketAddresses.describe(
            ptrace.readBytes(tid, pointer, (int) Math.min(Math.max(length, 0), 128)).orElse(null));
    if (address != null
        && address.startsWith(SocketAddresses.UNIX)
        && !address.startsWith(SocketAddresses.UNIX + "@")
        && !address.equals(SocketAddresses.UNIX + "(unnamed)")) {
      links.clear();
      String resolved =
          paths.resolve(
              tid,
              pid,
              PathResolver.AT_FDCWD,
              address.substring(SocketAddresses.UNIX.length()),
              true,
              links);
      recordLinks(pid);
      return resolved == null ? null : SocketAddresses.UNIX + resolved;
    }
    return address;
  }

  /**
   * Whether a struct msghdr at {@code pointer} has control data (msg_controllen); unreadable: yes.
   */
  private boolean carriesControlData(int tid, long pointer) {
    byte[] header = ptrace.readBytes(tid, pointer, 48).orElse(null);
    return header == null
        || ByteBuffer.wrap(header).order(ByteOrder.nativeOrder()).getLong(40) != 0;
  }

  /** The destination of a struct msghdr at {@code pointer} (msg_name, msg_namelen), or null. */
  private String messageAddress(int tid, int pid, long pointer) {
    byte[] header = ptrace.readBytes(tid, pointer, 16).orElse(null);
    if (header == null) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(header).order(ByteOrder.nativeOrder());
    return address(tid, pid, b.getLong(0), Integer.toUnsignedLong(b.getInt(8)));
  }

  /** The errno of the last {@link Next#DENY}. */
  int denyErrno() {
    return denyErrno;
  }

  /** Skips the call, which returns {@code result} (a count, or -errno) as if the kernel had. */
  private Next returns(long result) {
    denyErrno = (int) -result;
    return Next.DENY;
  }

  private Next deny(int errno) {
    denyErrno = errno;
    return Next.DENY;
  }

  /**
   * Asks the guard about every access the call intends; returns DENY to refuse it, or null to let
   * it run (violations in audit mode are recorded and allowed).
   */
  private Next applyGuard(Pending p, int pid) {
    // A hard link's source becomes writable through the new name: it must be writable.
    AccessKind first = p.syscall == Syscall.LINK || p.syscall == Syscall.LINKAT ? WRITE : intent(p);
    AccessGuard.Verdict verdict = guard.check(first, p.path, pid);
    AccessKind kind = first;
    String path = p.path;
    for (String address : p.moreAddresses) {
      AccessGuard.Verdict other = guard.check(CONNECT, address, pid);
      if (other.compareTo(verdict) > 0) {
        verdict = other;
        path = address;
      }
    }
    if (p.path2 != null) {
      AccessKind second =
          p.syscall == Syscall.LINK || p.syscall == Syscall.LINKAT ? LINK : RENAME_TO;
      AccessGuard.Verdict other = guard.check(second, p.path2, pid);
      if (other.compareTo(verdict) > 0) {
        verdict = other;
        kind = second;
        path = p.path2;
      }
    }
    if (intentReadsAndWrites(p) && verdict.compareTo(AccessGuard.Verdict.DENY) < 0) {
      AccessGuard.Verdict write = guard.check(WRITE, p.path, pid);
      if (write.compareTo(verdict) > 0) {
        verdict = write;
        kind = WRITE;
      }
    }
    if (verdict == AccessGuard.Verdict.DENY && kernelFailsFirst(p, kind, path, pid)) {
      return null;
    }
    switch (verdict) {
      case HIDE -> {
        // It looks absent, as the kernel layer makes it look; a path that is absent anyway
        // (the host has no ~/.ssh) was not hidden from anything, so nothing is reported.
        if (paths.existsOnHost(path)) {
          log.hidden(kind, path, pid);
        }
        log.record(ABSENT_PROBE, path, ENOENT, pid);
        return deny(ENOENT);
      }
      case PROTECT -> {
        log.violation(kind, path, pid, true);
        return deny(ENOENT);
      }
      case DENY -> {
        log.violation(kind, path, pid, true);
        return deny(EACCES);
      }
      case REPORT -> {
        // Only what really happens is a violation: a PATH search's failed execs are not.
        p.reportKind = kind;
        p.reportPath = path;
      }
      case ALLOW -> {}
    }
    return null;
  }

  /**
   * Whether the kernel fails this call before any permission check, so that refusing it would turn
   * an ordinary failure into a violation: a lookup of a missing path fails with ENOENT (a PATH
   * search's misses are not refusals, nor is {@code rm -f} of nothing), and creating something that
   * exists fails with EEXIST ({@code mkdir -p} of an existing parent).
   */
  private boolean kernelFailsFirst(Pending p, AccessKind kind, String path, int pid) {
    if (kind == CONNECT) {
      // An address; a local socket's path that is not there fails with ENOENT (glibc tries
      // nscd's socket before every user lookup).
      return path.startsWith("unix:/") && !paths.exists(pid, path.substring("unix:".length()));
    }
    boolean exists = paths.exists(pid, path);
    boolean createsOnly =
        kind == CREATE
            || kind == SYMLINK
            || kind == LINK
            || (isOpen(p.syscall) && (p.flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL));
    if (createsOnly) {
      return exists;
    }
    boolean mayCreate = isOpen(p.syscall) && (p.flags & O_CREAT) != 0 || kind == RENAME_TO;
    return !exists && !mayCreate;
  }

  private static boolean intentReadsAndWrites(Pending p) {
    return isOpen(p.syscall) && (p.flags & O_ACCMODE) == O_RDWR && (p.flags & O_PATH) == 0;
  }

  private static boolean isOpen(Syscall s) {
    return s == Syscall.OPEN || s == Syscall.OPENAT || s == Syscall.OPENAT2 || s == Syscall.CREAT;
  }

  /** What the call would do to its (first) path. */
  private static AccessKind intent(Pending p) {
    if (isOpen(p.syscall)) {
      if ((p.flags & O_PATH) != 0) {
        return STAT_PROBE;
      }
      int mode = p.flags & O_ACCMODE;
      boolean writes = mode == O_WRONLY || mode == O_RDWR || (p.flags & (O_CREAT | O_TRUNC)) != 0;
      return writes ? WRITE : READ;
    }
    return switch (p.syscall) {
      case CONNECT, SENDTO, SENDMSG, SENDMMSG -> CONNECT;
      case EXECVE, EXECVEAT -> EXEC;
      case MKDIR, MKDIRAT, MKNOD, MKNODAT -> CREATE;
      case RMDIR, UNLINK, UNLINKAT -> DELETE;
      case RENAME, RENAMEAT, RENAMEAT2 -> RENAME_FROM;
      case LINK, LINKAT -> STAT_PROBE;
      case SYMLINK, SYMLINKAT -> SYMLINK;
      case TRUNCATE -> TRUNCATE;
      default -> Syscall.ATTRIBUTE_CHANGES.contains(p.syscall) ? ATTRIBUTE_CHANGE : STAT_PROBE;
    };
  }

  /** Records the accesses of a call from its result (negative: -errno). */
  void onExit(int tid, int pid, Pending p, long result) {
    int errno = result < 0 && result > -4096 ? (int) -result : 0;
    if (p.reportKind != null && errno == 0) {
      log.violation(p.reportKind, p.reportPath, pid, false);
    }
    if (p.syscall == Syscall.CHDIR) {
      paths.forgetWorkingDirectories();
    }
    switch (p.syscall) {
      case OPEN, OPENAT, OPENAT2, CREAT -> onOpenExit(tid, pid, p, result, errno);
      case STAT,
          LSTAT,
          NEWFSTATAT,
          STATX,
          ACCESS,
          FACCESSAT,
          FACCESSAT2,
          STATFS,
          GETXATTR,
          LGETXATTR,
          LISTXATTR,
          LLISTXATTR,
          CHDIR,
          NAME_TO_HANDLE_AT,
          INOTIFY_ADD_WATCH ->
          probe(p.path, errno, pid);
      case READLINK, READLINKAT -> {
        if (errno == 0) {
          log.record(READ, p.path, 0, pid);
        } else if (errno == EINVAL) {
          log.record(STAT_PROBE, p.path, 0, pid); // exists, not a symlink
        } else {
          probe(p.path, errno, pid);
        }
      }
      case EXECVE, EXECVEAT -> {
        if (errno != 0) {
          probe(p.path, errno, pid); // e.g. the ENOENT probes of a PATH search
        }
      }
      case MKDIR, MKDIRAT, MKNOD, MKNODAT -> mutation(CREATE, p.path, errno, pid);
      case RMDIR, UNLINK, UNLINKAT -> mutation(DELETE, p.path, errno, pid);
      case RENAME, RENAMEAT, RENAMEAT2 -> {
        if (errno == 0) {
          log.record(RENAME_FROM, p.path, 0, pid);
          log.record(RENAME_TO, p.path2, 0, pid);
          if ((p.flags & RENAME_EXCHANGE) != 0) {
            log.record(RENAME_FROM, p.path2, 0, pid);
            log.record(RENAME_TO, p.path, 0, pid);
          }
          changed(p.path);
          changed(p.path2);
        } else {
          probe(p.path, errno, pid);
        }
      }
      case LINK, LINKAT -> {
        if (errno == 0) {
          log.record(STAT_PROBE, p.path, 0, pid);
          log.record(LINK, p.path2, 0, pid);
          changed(p.path2);
        } else {
          probe(p.path, errno, pid);
        }
      }
      case SYMLINK, SYMLINKAT -> mutation(SYMLINK, p.path, errno, pid);
      case TRUNCATE -> mutation(TRUNCATE, p.path, errno, pid);
      case CONNECT, SENDTO, SENDMSG, SENDMMSG -> {
        int outcome = errno == EINPROGRESS ? 0 : errno;
        log.record(CONNECT, p.path, outcome, pid);
        p.moreAddresses.forEach(address -> log.record(CONNECT, address, outcome, pid));
      }
      case CHROOT, MOUNT, UMOUNT2, PIVOT_ROOT, OPEN_BY_HANDLE_AT -> {
        log.record(ESCAPE, p.path, errno, pid);
        if (p.path2 != null) {
          log.record(ESCAPE, p.path2, errno, pid);
        }
      }
      default -> {
        if (Syscall.ATTRIBUTE_CHANGES.contains(p.syscall)) {
          mutation(ATTRIBUTE_CHANGE, p.path, errno, pid);
        }
      }
    }
  }

  /** Records a successful exec: the program, and the interpreters the kernel loaded for it. */
  void onExec(int pid, Pending p) {
    String exe = paths.fdPathOf("/proc/" + pid + "/exe");
    String program = p != null && p.path != null ? p.path : exe;
    if (program == null) {
      return;
    }
    log.record(EXEC, program, 0, pid);
    Path root = Path.of("/proc/" + pid + "/root");
    if (exe != null && !exe.equals(program)) {
      // The running image is not the file exec'd: a script, run by the interpreter on its #!
      // line (which may itself be reached through env or a symlink).
      ExecInputs.shebangInterpreter(PathBytes.resolve(root, program.substring(1)))
          .ifPresent(interpreter -> recordInput(pid, interpreter));
      log.record(READ, exe, 0, pid);
    }
    if (exe != null) {
      Optional<String> loader =
          interpreters.computeIfAbsent(
              exe, e -> ExecInputs.elfInterpreter(PathBytes.resolve(root, e.substring(1))));
      loader.ifPresent(l -> recordInput(pid, l));
    }
  }

  /** Records a file the kernel read for an exec, and the links on the way to it. */
  private void recordInput(int pid, String path) {
    links.clear();
    String resolved = paths.resolve(pid, pid, PathResolver.AT_FDCWD, path, true, links);
    recordLinks(pid);
    if (resolved != null) {
      log.record(READ, resolved, 0, pid);
    }
  }

  private void onOpenExit(int tid, int pid, Pending p, long fd, int errno) {
    if (errno != 0) {
      probe(p.path, errno, pid);
      return;
    }
    if ((p.flags & O_TMPFILE_BIT) != 0) {
      return; // an unnamed file; it gets a name only through linkat, which is traced
    }
    // The fd's link is the ground truth of what was opened, immune to argument races.
    String opened = p.opened != null ? p.opened : paths.fdPath(tid, (int) fd);
    if (opened == null || !opened.startsWith("/")) {
      return; // a pipe, socket or anonymous inode (e.g. /dev/stdin of a pipe): not a file
    }
    String path = opened;
    if ((p.flags & O_PATH) != 0) {
      log.record(STAT_PROBE, path, 0, pid);
      return;
    }
    int mode = p.flags & O_ACCMODE;
    boolean created = (p.flags & O_CREAT) != 0 && ((p.flags & O_EXCL) != 0 || !p.existed);
    if (mode == O_WRONLY || mode == O_RDWR) {
      if (created) {
        log.record(CREATE, path, 0, pid);
        changed(path);
      } else if ((p.flags & O_TRUNC) != 0) {
        log.record(TRUNCATE, path, 0, pid);
      }
      // O_TRUNC empties the file before the process can read any of it.
      if (mode == O_RDWR && !created && (p.flags & O_TRUNC) == 0) {
        log.record(READ, path, 0, pid);
      }
      log.record(WRITE, path, 0, pid);
    } else if (p.opened != null ? p.openedDirectory : paths.isDirectoryFd(tid, (int) fd)) {
      log.record(STAT_PROBE, path, 0, pid); // listing it shows up as getdents
    } else {
      log.record(READ, path, 0, pid);
    }
  }

  /**
   * Records the accesses of a call the shim served without a stop, drained from the ring, as its
   * exit stop would have: the path is resolved through {@code root} (a view of the action's root
   * that outlives the process), an open's result is its resolved path argument, and a path the
   * resolution took out of the shim's scope is checked against the policy now, after the fact (the
   * kernel layers already decided what the call could do).
   */
  void onRecord(int pid, ShimRecord r, String root) {
    Syscall s = r.syscall > 0 && r.syscall < byNumber.length ? byNumber[r.syscall] : null;
    if (s == null || !FastPath.FAST_SYSCALLS.contains(s)) {
      return;
    }
    int errno = r.result < 0 && r.result > -4096 ? (int) -r.result : 0;
    if (s == Syscall.GETDENTS64) {
      String dir = r.path.endsWith(DELETED) ? r.path.substring(0, r.path.length() - 8) : r.path;
      if (dir.startsWith("/")) {
        log.record(ENUMERATE, dir, 0, pid);
      }
      return;
    }
    boolean follow =
        switch (s) {
          case OPENAT -> followOpen(r.flags);
          case NEWFSTATAT, STATX, FACCESSAT2 -> (r.flags & AT_SYMLINK_NOFOLLOW) == 0;
          case READLINK, READLINKAT -> false;
          default -> true;
        };
    links.clear();
    String path = paths.resolveAt(root, r.pid, r.tid, r.path, follow, links);
    recordLinks(pid);
    if (path == null) {
      return;
    }
    Pending p = new Pending(s);
    p.path = path;
    p.flags = r.flags;
    if (s == Syscall.OPENAT && errno == 0) {
      p.opened = path;
      p.openedDirectory = r.isDirectory();
    }
    if (guard != AccessGuard.ALLOW_ALL) {
      AccessKind intent = intent(p);
      FastPathScope.Reach needed =
          intent == READ ? FastPathScope.Reach.ALL : FastPathScope.Reach.PROBES;
      if (shimScope.reach(path).compareTo(needed) < 0) {
        checkAfterTheFact(intent, path, pid, errno);
      }
    }
    onExit(r.tid, pid, p, r.result);
  }

  private static final String DELETED = " (deleted)";

  /** The policy's verdict on a call that already ran, as a record of what happened. */
  private void checkAfterTheFact(AccessKind intent, String path, int pid, int errno) {
    switch (guard.check(intent, path, pid)) {
      case REPORT -> {
        if (errno == 0) {
          log.violation(intent, path, pid, false);
        }
      }
      case DENY -> {
        // A missing path is never refused (the kernel answers ENOENT first).
        if (errno != ENOENT && errno != ENOTDIR) {
          log.violation(intent, path, pid, true);
        }
      }
      case HIDE -> {
        if (paths.existsOnHost(path)) {
          log.hidden(intent, path, pid);
        }
      }
      case ALLOW -> {}
    }
  }

  /** Whether a memory-mapping call's range reaches the fast path's page. */
  private boolean touchesShimPage(Syscall s, long[] a) {
    return switch (s) {
      case MMAP -> (a[3] & MAP_FIXED) != 0 && overlaps(a[0], a[1]);
      case MREMAP -> overlaps(a[0], a[1]) || ((a[3] & MREMAP_FIXED) != 0 && overlaps(a[4], a[2]));
      // The segment's size is not in the call; with SHM_REMAP anything within 4 GiB below may
      // replace the page (without it, an overlapping attach just fails).
      case SHMAT -> (a[2] & SHM_REMAP) != 0 && overlaps(a[1], 1L << 32);
      default -> overlaps(a[0], a[1]);
    };
  }

  private boolean overlaps(long address, long length) {
    if (length == 0) {
      return false;
    }
    long end = address + ((length + PAGE - 1) & -PAGE);
    boolean wraps = Long.compareUnsigned(end, address) < 0 || length < 0;
    return Long.compareUnsigned(address, shimPage + PAGE) < 0
        && (wraps || Long.compareUnsigned(end, shimPage) > 0);
  }

  /** Something at {@code path} appeared, vanished or moved: cached facts about it are stale. */
  private void changed(String path) {
    paths.invalidate(path);
    interpreters.remove(path);
  }

  private void probe(String path, int errno, int pid) {
    log.record(errno == ENOENT || errno == ENOTDIR ? ABSENT_PROBE : STAT_PROBE, path, errno, pid);
  }

  private void mutation(AccessKind kind, String path, int errno, int pid) {
    if (errno == 0) {
      log.record(kind, path, 0, pid);
      if (kind != ATTRIBUTE_CHANGE && kind != TRUNCATE) {
        changed(path);
      }
    } else {
      probe(path, errno, pid);
    }
  }

  private static boolean followOpen(int flags) {
    return (flags & O_NOFOLLOW) == 0 && !((flags & O_CREAT) != 0 && (flags & O_EXCL) != 0);
  }

  private boolean emptyPathFd(int tid, long pathPointer, int flags) {
    if ((flags & AT_EMPTY_PATH) == 0) {
      return false;
    }
    if (pathPointer == 0) {
      return true;
    }
    String path = ptrace.readString(tid, pathPointer, PATH_MAX).orElse(null);
    return path != null && path.isEmpty();
  }

  /** Reads and resolves a path argument; followed symlinks are recorded as reads. */
  private String path(int tid, int pid, int dirfd, long pointer, boolean followLast) {
    String raw = ptrace.readString(tid, pointer, PATH_MAX).orElse("");
    if (raw.isEmpty()) {
      return null;
    }
    links.clear();
    String resolved = paths.resolve(tid, pid, dirfd, raw, followLast, links);
    recordLinks(pid);
    return resolved;
  }

  /** Symlinks crossed are inputs, except /proc's per-process magic links. */
  private void recordLinks(int pid) {
    for (String link : links) {
      if (!link.startsWith("/proc/")) {
        log.record(READ, link, 0, pid);
      }
    }
  }

  /** A path argument resolved with the dirfd as the root (openat2 RESOLVE_IN_ROOT). */
  private String pathInRoot(int tid, int pid, int dirfd, long pointer, boolean followLast) {
    String raw = ptrace.readString(tid, pointer, PATH_MAX).orElse("");
    if (raw.isEmpty()) {
      return null;
    }
    links.clear();
    String resolved = paths.resolveInRoot(tid, pid, dirfd, raw, followLast, links);
    recordLinks(pid);
    return resolved;
  }

  /** A path argument, or the dirfd itself with AT_EMPTY_PATH and an empty (or NULL) path. */
  private String pathOrFd(
      int tid, int pid, int dirfd, long pointer, int flags, boolean followLast) {
    if ((flags & AT_EMPTY_PATH) != 0) {
      String raw = pointer == 0 ? "" : ptrace.readString(tid, pointer, PATH_MAX).orElse(null);
      if (raw != null && raw.isEmpty()) {
        String target = dirfd == PathResolver.AT_FDCWD ? paths.cwd(tid) : paths.fdPath(tid, dirfd);
        return target != null && target.startsWith("/") ? target : null;
      }
    }
    return path(tid, pid, dirfd, pointer, followLast);
  }
}
