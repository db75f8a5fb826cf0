package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.airlock.protocol.PathBytes;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * ptrace(2) for one tracer thread, with Airlock's options and preallocated buffers. Every request
 * must come from the thread that seized the tracee, so an instance belongs to one thread. A request
 * on a tracee that vanished (killed by a sibling's exit_group, or SIGKILL) returns false instead of
 * throwing: the tracer then waits for its exit notification.
 */
public final class Ptrace {
  static final int PTRACE_CONT = 7;
  static final int PTRACE_GETREGS = 12;
  static final int PTRACE_SETREGS = 13;
  static final int PTRACE_SYSCALL = 24;
  static final int PTRACE_GETEVENTMSG = 0x4201;
  static final int PTRACE_SEIZE = 0x4206;
  static final int PTRACE_LISTEN = 0x4208;
  static final int PTRACE_GET_SYSCALL_INFO = 0x420e;

  static final int O_TRACESYSGOOD = 0x1;
  static final int O_TRACEFORK = 0x2;
  static final int O_TRACEVFORK = 0x4;
  static final int O_TRACECLONE = 0x8;
  static final int O_TRACEEXEC = 0x10;
  static final int O_TRACESECCOMP = 0x80;
  static final int O_EXITKILL = 0x100000;

  /** Options of every Airlock tracee; auto-attached children inherit them. */
  static final int OPTIONS =
      O_TRACESYSGOOD
          | O_TRACEFORK
          | O_TRACEVFORK
          | O_TRACECLONE
          | O_TRACEEXEC
          | O_TRACESECCOMP
          | O_EXITKILL;

  // struct ptrace_syscall_info (88 bytes): op u8, arch u32 @4, ip @8, sp @16, union @24.
  static final int SYSCALL_INFO_BYTES = 88;
  public static final int SYSCALL_INFO_OP_EXIT = 2;
  public static final int SYSCALL_INFO_OP_SECCOMP = 3;

  // struct user_regs_struct on x86_64: 27 longs; rax at index 10, orig_rax at 15.
  private static final int REGS_BYTES = 27 * 8;
  private static final int RAX_OFFSET = 10 * 8;
  private static final int ORIG_RAX_OFFSET = 15 * 8;

  private static final int PAGE = 4096;

  private final Memory info = LinuxLibc.allocate(SYSCALL_INFO_BYTES);
  private final Memory regs = LinuxLibc.allocate(REGS_BYTES);
  private final Memory message = LinuxLibc.allocate(8);
  private final Memory localIov = LinuxLibc.allocate(16);
  private final Memory remoteIov = LinuxLibc.allocate(16);
  private final Memory strings = LinuxLibc.allocate(PAGE * 2);
  private final Memory rusage = LinuxLibc.allocate(LinuxLibc.RUSAGE_BYTES);
  private final int[] status = new int[1];

  /** A decoded ptrace_syscall_info, refilled by each {@link #syscallInfo} call. */
  public static final class SyscallInfo {
    public int op;
    public long nr;
    public final long[] args = new long[6];
    public int retData;
    public long returnValue;
    public boolean isError;
  }

  /** One wait result: a stop, or an exit with the process's resource usage. */
  public record Wait(
      int pid, int status, long userCpuMicros, long systemCpuMicros, long maxRssKib) {}

  /** Attaches with Airlock's options; the tracee keeps running. */
  public void seize(int pid) throws ErrnoException {
    if (LinuxLibc.ptrace(PTRACE_SEIZE, pid, Pointer.NULL, Pointer.createConstant(OPTIONS)) != 0) {
      throw ErrnoException.of("ptrace(PTRACE_SEIZE, " + pid + ")", LinuxLibc.errno());
    }
  }

  /** Resumes until the next seccomp stop or event, delivering {@code signal} (0 for none). */
  public boolean cont(int tid, int signal) throws ErrnoException {
    return restart(PTRACE_CONT, tid, signal);
  }

  /** Resumes to the syscall-exit stop of the current syscall. */
  public boolean toSyscallExit(int tid) throws ErrnoException {
    return restart(PTRACE_SYSCALL, tid, 0);
  }

  /** Keeps a tracee in group-stop while letting the tracer see it continue later. */
  public boolean listen(int tid) throws ErrnoException {
    return restart(PTRACE_LISTEN, tid, 0);
  }

  private boolean restart(int request, int tid, int signal) throws ErrnoException {
    if (LinuxLibc.ptrace(request, tid, Pointer.NULL, Pointer.createConstant(signal)) == 0) {
      return true;
    }
    return vanished("ptrace(" + request + ", " + tid + ")");
  }

  /**
   * PTRACE_GETEVENTMSG: the new pid of a fork event, the former tid of an exec, ...; empty when the
   * tracee vanished.
   */
  public OptionalLong eventMessage(int tid) throws ErrnoException {
    if (LinuxLibc.ptrace(PTRACE_GETEVENTMSG, tid, Pointer.NULL, message) == 0) {
      return OptionalLong.of(message.getLong(0));
    }
    vanished("ptrace(PTRACE_GETEVENTMSG, " + tid + ")");
    return OptionalLong.empty();
  }

  /** Fills {@code into} with the tracee's current syscall; false when it vanished. */
  public boolean syscallInfo(int tid, SyscallInfo into) throws ErrnoException {
    long n =
        LinuxLibc.ptrace(
            PTRACE_GET_SYSCALL_INFO, tid, Pointer.createConstant(SYSCALL_INFO_BYTES), info);
    if (n < 0) {
      return vanished("ptrace(PTRACE_GET_SYSCALL_INFO, " + tid + ")");
    }
    into.op = info.getByte(0) & 0xff;
    if (into.op == SYSCALL_INFO_OP_EXIT) {
      into.returnValue = info.getLong(24);
      into.isError = info.getByte(32) != 0;
    } else {
      into.nr = info.getLong(24);
      for (int i = 0; i < 6; i++) {
        into.args[i] = info.getLong(32 + 8L * i);
      }
      into.retData = info.getInt(80);
    }
    return true;
  }

  /**
   * At a seccomp stop, skips the syscall and makes it return {@code -errno} (x86_64 registers:
   * orig_rax = -1 skips it, rax carries the result).
   */
  public boolean deny(int tid, int errno) throws ErrnoException {
    if (LinuxLibc.ptrace(PTRACE_GETREGS, tid, Pointer.NULL, regs) != 0) {
      return vanished("ptrace(PTRACE_GETREGS, " + tid + ")");
    }
    regs.setLong(ORIG_RAX_OFFSET, -1);
    regs.setLong(RAX_OFFSET, -errno);
    if (LinuxLibc.ptrace(PTRACE_SETREGS, tid, Pointer.NULL, regs) != 0) {
      return vanished("ptrace(PTRACE_SETREGS, " + tid + ")");
    }
    return true;
  }

  /**
   * Reads a NUL-terminated string (a path argument) from the tracee with process_vm_readv, a page
   * at a time so that a string ending just before an unmapped page still reads. Its bytes are kept
   * exactly (see {@link PathBytes}): a file name need not be UTF-8.
   *
   * @return the string; empty when the address is unreadable or no NUL comes within maxBytes
   */
  public Optional<String> readString(int pid, long address, int maxBytes) {
    if (address == 0) {
      return Optional.empty();
    }
    byte[] collected = null;
    int total = 0;
    long at = address;
    while (total < maxBytes) {
      int chunk = (int) Math.min(PAGE - (at % PAGE), maxBytes - total);
      localIov.setPointer(0, strings);
      localIov.setLong(8, chunk);
      remoteIov.setLong(0, at);
      remoteIov.setLong(8, chunk);
      long n = LinuxLibc.process_vm_readv(pid, localIov, 1, remoteIov, 1, 0);
      if (n <= 0) {
        return Optional.empty();
      }
      int nul = -1;
      for (int i = 0; i < n; i++) {
        if (strings.getByte(i) == 0) {
          nul = i;
          break;
        }
      }
      int take = nul >= 0 ? nul : (int) n;
      if (collected == null && nul >= 0) {
        return Optional.of(PathBytes.decode(strings.getByteArray(0, take)));
      }
      byte[] grown = new byte[total + take];
      if (collected != null) {
        System.arraycopy(collected, 0, grown, 0, total);
      }
      strings.read(0, grown, total, take);
      collected = grown;
      total += take;
      if (nul >= 0) {
        return Optional.of(PathBytes.decode(collected));
      }
      at += n;
    }
    return Optional.empty();
  }

  /** Reads {@code length} bytes of tracee memory (e.g. struct open_how); empty if unreadable. */
  public Optional<byte[]> readBytes(int pid, long address, int length) {
    if (length > strings.size()) {
      throw new IllegalArgumentException("too long");
    }
    localIov.setPointer(0, strings);
    localIov.setLong(8, length);
    remoteIov.setLong(0, address);
    remoteIov.setLong(8, length);
    long n = LinuxLibc.process_vm_readv(pid, localIov, 1, remoteIov, 1, 0);
    return n == length ? Optional.of(strings.getByteArray(0, length)) : Optional.empty();
  }

  /**
   * Waits for the next stop or exit of this thread's children and tracees ({@code __WALL |
   * __WNOTHREAD}: other JVM threads' children are not ours to reap).
   *
   * @return the event; empty when no child or tracee is left (ECHILD)
   */
  public Optional<Wait> waitAny() throws ErrnoException {
    while (true) {
      int pid = LinuxLibc.wait4(-1, status, LinuxLibc.WALL | LinuxLibc.WNOTHREAD, rusage);
      if (pid > 0) {
        return Optional.of(
            new Wait(
                pid,
                status[0],
                rusage.getLong(0) * 1_000_000 + rusage.getLong(8),
                rusage.getLong(16) * 1_000_000 + rusage.getLong(24),
                rusage.getLong(32)));
      }
      int errno = LinuxLibc.errno();
      if (errno == Errno.ECHILD) {
        return Optional.empty();
      }
      if (errno != Errno.EINTR) {
        throw ErrnoException.of("wait4(-1)", errno);
      }
    }
  }

  /** Sends a signal to one process (not a group); false if it is gone. */
  public boolean kill(int pid, int signal) {
    return LinuxLibc.kill(pid, signal) == 0;
  }

  private static boolean vanished(String call) throws ErrnoException {
    int errno = LinuxLibc.errno();
    if (errno == Errno.ESRCH) {
      return false;
    }
    throw ErrnoException.of(call, errno);
  }
}
