package dev.airlock.sandbox.linux.seccomp;

/**
 * The system calls Airlock's filter singles out, by their architecture-neutral names. Numbers live
 * in {@link SyscallTable}, one per architecture; a syscall an architecture lacks (aarch64 has no
 * {@code open}, only {@code openat}) is simply absent from its table.
 */
public enum Syscall {
  // Opening files
  OPEN,
  OPENAT,
  OPENAT2,
  CREAT,
  NAME_TO_HANDLE_AT,
  OPEN_BY_HANDLE_AT,
  // Existence and metadata probes
  STAT,
  LSTAT,
  NEWFSTATAT,
  STATX,
  ACCESS,
  FACCESSAT,
  FACCESSAT2,
  READLINK,
  READLINKAT,
  STATFS,
  // Execution and the working directory
  EXECVE,
  EXECVEAT,
  CHDIR,
  FCHDIR,
  // Namespace mutations
  MKDIR,
  MKDIRAT,
  RMDIR,
  UNLINK,
  UNLINKAT,
  RENAME,
  RENAMEAT,
  RENAMEAT2,
  LINK,
  LINKAT,
  SYMLINK,
  SYMLINKAT,
  MKNOD,
  MKNODAT,
  TRUNCATE,
  // Attribute changes (ATTRIBUTE_CHANGES is this range, CHMOD to LREMOVEXATTR: keep it together)
  CHMOD,
  FCHMODAT,
  FCHMODAT2,
  CHOWN,
  LCHOWN,
  FCHOWNAT,
  UTIME,
  UTIMES,
  UTIMENSAT,
  FUTIMESAT,
  SETXATTR,
  LSETXATTR,
  REMOVEXATTR,
  LREMOVEXATTR,
  // Attribute reads
  GETXATTR,
  LGETXATTR,
  LISTXATTR,
  LLISTXATTR,
  // Directory enumeration (of an fd's directory)
  GETDENTS,
  GETDENTS64,
  INOTIFY_ADD_WATCH,
  // Escapes: recorded now, refused by policy later
  CHROOT,
  MOUNT,
  UMOUNT2,
  PIVOT_ROOT,
  // Network: where the action connects or sends (recorded; the policy's network rule applies).
  // sendto(2) stops only when it names an address (a datagram to a host socket or a far host);
  // sendmsg(2) and sendmmsg(2) carry theirs in memory, so they always stop.
  CONNECT,
  SENDTO,
  SENDMSG,
  SENDMMSG,
  // Bypasses syscall tracing entirely (io_uring operations never pass through seccomp)
  IO_URING_SETUP,
  // Escapes from the sandbox or from the tracer's view: always refused, and recorded
  PTRACE,
  PROCESS_VM_READV,
  PROCESS_VM_WRITEV,
  PIDFD_GETFD,
  BPF,
  PERF_EVENT_OPEN,
  USERFAULTFD,
  KEYCTL,
  ADD_KEY,
  REQUEST_KEY,
  KEXEC_LOAD,
  KEXEC_FILE_LOAD,
  INIT_MODULE,
  FINIT_MODULE,
  DELETE_MODULE,
  OPEN_TREE,
  MOVE_MOUNT,
  FSOPEN,
  FSCONFIG,
  FSMOUNT,
  FSPICK,
  MOUNT_SETATTR,
  // New namespaces: refused unless the policy allows them
  UNSHARE,
  SETNS,
  // New processes and threads: traced only when a policy limits how many may live at once
  CLONE,
  FORK,
  VFORK,
  // Memory mappings: with the fast path, those that could touch the shim's syscall page stop
  // (decided in the filter by address; see SeccompFilter.FastPathRule); never traced otherwise
  MMAP,
  MPROTECT,
  MUNMAP,
  MREMAP,
  MADVISE,
  PKEY_MPROTECT,
  SHMAT,
  REMAP_FILE_PAGES;

  /** Calls that change a path's attributes (mode, owner, times, extended attributes). */
  public static final java.util.Set<Syscall> ATTRIBUTE_CHANGES =
      java.util.Collections.unmodifiableSet(java.util.EnumSet.range(CHMOD, LREMOVEXATTR));

  /** Traced only under a process limit (every thread start would otherwise cost a stop). */
  public static final java.util.Set<Syscall> PROCESS_CREATION =
      java.util.Collections.unmodifiableSet(java.util.EnumSet.of(CLONE, FORK, VFORK));

  /**
   * Calls refused outright (EPERM) in every traced action: escapes and tracer bypasses. The
   * path-taking ones, then the whole escape group of this enum (PTRACE through MOUNT_SETATTR, kept
   * together in declaration order for this range).
   */
  public static final java.util.Set<Syscall> ESCAPES = escapes();

  private static java.util.Set<Syscall> escapes() {
    java.util.EnumSet<Syscall> set = java.util.EnumSet.range(PTRACE, MOUNT_SETATTR);
    set.addAll(java.util.EnumSet.of(CHROOT, MOUNT, UMOUNT2, PIVOT_ROOT, OPEN_BY_HANDLE_AT));
    return java.util.Collections.unmodifiableSet(set);
  }

  /** Memory-mapping calls, decided by the fast path's rule (never traced as a whole). */
  public static final java.util.Set<Syscall> MEMORY_MAPPINGS =
      java.util.Collections.unmodifiableSet(java.util.EnumSet.range(MMAP, REMAP_FILE_PAGES));

  /** Namespace calls, refused unless a policy allows the action its own namespaces. */
  public static final java.util.Set<Syscall> NAMESPACES =
      java.util.Collections.unmodifiableSet(java.util.EnumSet.of(UNSHARE, SETNS));
}
