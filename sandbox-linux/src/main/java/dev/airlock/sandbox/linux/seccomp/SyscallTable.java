package dev.airlock.sandbox.linux.seccomp;

import static dev.airlock.sandbox.linux.seccomp.Syscall.*;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/**
 * System call numbers of one architecture, with the audit architecture value the kernel puts in
 * {@code seccomp_data.arch}. Numbers from the kernel's syscall tables
 * (arch/x86/entry/syscalls/syscall_64.tbl).
 */
public final class SyscallTable {
  /** AUDIT_ARCH_X86_64 = EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE. */
  static final int AUDIT_ARCH_X86_64 = 0xc000003e;

  /** x32 syscalls arrive on the x86_64 arch with this bit set in the number. */
  static final int X32_SYSCALL_BIT = 0x40000000;

  public static final SyscallTable X86_64 =
      new SyscallTable(
          "x86_64",
          AUDIT_ARCH_X86_64,
          X32_SYSCALL_BIT,
          Map.ofEntries(
              Map.entry(OPEN, 2),
              Map.entry(STAT, 4),
              Map.entry(LSTAT, 6),
              Map.entry(ACCESS, 21),
              Map.entry(EXECVE, 59),
              Map.entry(TRUNCATE, 76),
              Map.entry(GETDENTS, 78),
              Map.entry(CHDIR, 80),
              Map.entry(FCHDIR, 81),
              Map.entry(RENAME, 82),
              Map.entry(MKDIR, 83),
              Map.entry(RMDIR, 84),
              Map.entry(CREAT, 85),
              Map.entry(LINK, 86),
              Map.entry(UNLINK, 87),
              Map.entry(SYMLINK, 88),
              Map.entry(READLINK, 89),
              Map.entry(CHMOD, 90),
              Map.entry(CHOWN, 92),
              Map.entry(LCHOWN, 94),
              Map.entry(UTIME, 132),
              Map.entry(MKNOD, 133),
              Map.entry(STATFS, 137),
              Map.entry(PIVOT_ROOT, 155),
              Map.entry(CHROOT, 161),
              Map.entry(MOUNT, 165),
              Map.entry(UMOUNT2, 166),
              Map.entry(SETXATTR, 188),
              Map.entry(LSETXATTR, 189),
              Map.entry(GETXATTR, 191),
              Map.entry(LGETXATTR, 192),
              Map.entry(LISTXATTR, 194),
              Map.entry(LLISTXATTR, 195),
              Map.entry(REMOVEXATTR, 197),
              Map.entry(LREMOVEXATTR, 198),
              Map.entry(GETDENTS64, 217),
              Map.entry(UTIMES, 235),
              Map.entry(INOTIFY_ADD_WATCH, 254),
              Map.entry(OPENAT, 257),
              Map.entry(MKDIRAT, 258),
              Map.entry(MKNODAT, 259),
              Map.entry(FCHOWNAT, 260),
              Map.entry(FUTIMESAT, 261),
              Map.entry(NEWFSTATAT, 262),
              Map.entry(UNLINKAT, 263),
              Map.entry(RENAMEAT, 264),
              Map.entry(LINKAT, 265),
              Map.entry(SYMLINKAT, 266),
              Map.entry(READLINKAT, 267),
              Map.entry(FCHMODAT, 268),
              Map.entry(FACCESSAT, 269),
              Map.entry(UTIMENSAT, 280),
              Map.entry(NAME_TO_HANDLE_AT, 303),
              Map.entry(OPEN_BY_HANDLE_AT, 304),
              Map.entry(RENAMEAT2, 316),
              Map.entry(EXECVEAT, 322),
              Map.entry(STATX, 332),
              Map.entry(IO_URING_SETUP, 425),
              Map.entry(OPENAT2, 437),
              Map.entry(FACCESSAT2, 439),
              Map.entry(FCHMODAT2, 452),
              Map.entry(CONNECT, 42),
              Map.entry(SENDTO, 44),
              Map.entry(SENDMSG, 46),
              Map.entry(SENDMMSG, 307),
              Map.entry(CLONE, 56),
              Map.entry(FORK, 57),
              Map.entry(VFORK, 58),
              Map.entry(PTRACE, 101),
              Map.entry(PROCESS_VM_READV, 310),
              Map.entry(PROCESS_VM_WRITEV, 311),
              Map.entry(PIDFD_GETFD, 438),
              Map.entry(BPF, 321),
              Map.entry(PERF_EVENT_OPEN, 298),
              Map.entry(USERFAULTFD, 323),
              Map.entry(KEYCTL, 250),
              Map.entry(ADD_KEY, 248),
              Map.entry(REQUEST_KEY, 249),
              Map.entry(KEXEC_LOAD, 246),
              Map.entry(KEXEC_FILE_LOAD, 320),
              Map.entry(INIT_MODULE, 175),
              Map.entry(FINIT_MODULE, 313),
              Map.entry(DELETE_MODULE, 176),
              Map.entry(OPEN_TREE, 428),
              Map.entry(MOVE_MOUNT, 429),
              Map.entry(FSOPEN, 430),
              Map.entry(FSCONFIG, 431),
              Map.entry(FSMOUNT, 432),
              Map.entry(FSPICK, 433),
              Map.entry(MOUNT_SETATTR, 442),
              Map.entry(UNSHARE, 272),
              Map.entry(SETNS, 308),
              Map.entry(MMAP, 9),
              Map.entry(MPROTECT, 10),
              Map.entry(MUNMAP, 11),
              Map.entry(MREMAP, 25),
              Map.entry(MADVISE, 28),
              Map.entry(SHMAT, 30),
              Map.entry(REMAP_FILE_PAGES, 216),
              Map.entry(PKEY_MPROTECT, 329)),
          56,
          435);

  private final String name;
  private final int auditArch;
  private final int foreignAbiBit;
  private final Map<Syscall, Integer> numbers;

  private final int clone;
  private final int clone3;

  private SyscallTable(
      String name,
      int auditArch,
      int foreignAbiBit,
      Map<Syscall, Integer> numbers,
      int clone,
      int clone3) {
    this.name = name;
    this.auditArch = auditArch;
    this.foreignAbiBit = foreignAbiBit;
    this.numbers = Collections.unmodifiableMap(new EnumMap<>(numbers));
    this.clone = clone;
    this.clone3 = clone3;
  }

  /** clone(2): its flags are in the first argument, where BPF can test them. */
  int cloneNumber() {
    return clone;
  }

  /** clone3(2): its flags are in memory, out of BPF's reach. */
  int clone3Number() {
    return clone3;
  }

  /** The table of the JVM's architecture. */
  public static SyscallTable current() {
    String arch = System.getProperty("os.arch");
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      return X86_64;
    }
    throw new UnsupportedOperationException(
        "Airlock's tracer has no syscall table for " + arch + " yet (x86_64 only)");
  }

  public String name() {
    return name;
  }

  int auditArch() {
    return auditArch;
  }

  /** A bit that marks syscalls of another ABI on this architecture (x32), or 0. */
  int foreignAbiBit() {
    return foreignAbiBit;
  }

  /** The number of a syscall here, if this architecture has it. */
  public Optional<Integer> number(Syscall syscall) {
    return Optional.ofNullable(numbers.get(syscall));
  }

  /** Every syscall of this table with its number. */
  public Map<Syscall, Integer> numbers() {
    return numbers;
  }
}
