package dev.airlock.sandbox.linux.seccomp;

import static dev.airlock.sandbox.linux.Errno.ENOSYS;
import static dev.airlock.sandbox.linux.Errno.EPERM;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds the classic-BPF program the launcher installs with seccomp(2): a syscall of another
 * architecture or ABI kills the process (an {@code int 0x80} on x86_64 would otherwise pass a
 * filter written for 64-bit numbers); listed syscalls stop for the tracer ({@code
 * SECCOMP_RET_TRACE}, with the syscall number in the return data) or fail with an errno; the rest
 * run untouched. Decisions depend only on arch and number, so the kernel's per-syscall action cache
 * skips the program for every allowed syscall.
 */
public final class SeccompFilter {
  // <linux/filter.h> classic BPF opcodes
  static final short BPF_LD_W_ABS = 0x20;
  static final short BPF_JMP_JEQ_K = 0x15;
  static final short BPF_JMP_JGE_K = 0x35;
  static final short BPF_JMP_JSET_K = 0x45;
  static final short BPF_RET_K = 0x06;

  // <linux/seccomp.h>
  static final int SECCOMP_RET_KILL_PROCESS = 0x80000000;
  static final int SECCOMP_RET_TRAP = 0x00030000;
  static final int SECCOMP_RET_ERRNO = 0x00050000;
  static final int SECCOMP_RET_TRACE = 0x7ff00000;
  static final int SECCOMP_RET_ALLOW = 0x7fff0000;
  static final int SECCOMP_RET_DATA = 0x0000ffff;

  // offsets in struct seccomp_data
  static final int OFFSET_NR = 0;
  static final int OFFSET_ARCH = 4;

  /** Low 32 bits of args[0] (little-endian machines). */
  static final int OFFSET_ARG0_LOW = 16;

  /** sendto(2)'s destination address pointer, args[4]: low and high 32 bits. */
  static final int OFFSET_ARG4_LOW = 16 + 4 * 8;

  static final int OFFSET_ARG4_HIGH = OFFSET_ARG4_LOW + 4;

  /** clone(2) flags that create namespaces (CLONE_NEWTIME is only reachable through clone3). */
  static final int CLONE_NEW_MASK =
      0x00020000 // CLONE_NEWNS
          | 0x02000000 // CLONE_NEWCGROUP
          | 0x04000000 // CLONE_NEWUTS
          | 0x08000000 // CLONE_NEWIPC
          | 0x10000000 // CLONE_NEWUSER
          | 0x20000000 // CLONE_NEWPID
          | 0x40000000; // CLONE_NEWNET

  /** One classic BPF instruction (struct sock_filter). */
  record Instruction(short code, int jt, int jf, int k) {}

  private final List<Instruction> instructions;

  private SeccompFilter(List<Instruction> instructions) {
    this.instructions = Collections.unmodifiableList(instructions);
  }

  /**
   * A filter that traces {@code traced} and fails {@code denied} with the given errno.
   *
   * @throws IllegalArgumentException when a syscall is both traced and denied
   */
  public static SeccompFilter build(
      SyscallTable table, Set<Syscall> traced, Map<Syscall, Integer> denied) {
    return build(table, traced, denied, false);
  }

  /**
   * As {@link #build(SyscallTable, Set, Map)}; with {@code denyNewNamespaces}, clone(2) with a
   * CLONE_NEW* flag fails with EPERM and clone3(2) with ENOSYS (its flags are in memory, out of
   * BPF's reach; glibc then falls back to clone).
   */
  public static SeccompFilter build(
      SyscallTable table,
      Set<Syscall> traced,
      Map<Syscall, Integer> denied,
      boolean denyNewNamespaces) {
    Map<Syscall, Integer> errnos = new EnumMap<>(Syscall.class);
    errnos.putAll(denied);
    for (Syscall s : traced) {
      if (errnos.containsKey(s)) {
        throw new IllegalArgumentException(s + " cannot be both traced and denied");
      }
    }
    List<Instruction> code = new ArrayList<>();
    // Jump offsets are 8-bit, so every test skips at most one instruction, however long the
    // list: "jeq nr, 0, 1; ret ACTION" per syscall.
    code.add(new Instruction(BPF_LD_W_ABS, 0, 0, OFFSET_ARCH));
    code.add(new Instruction(BPF_JMP_JEQ_K, 1, 0, table.auditArch()));
    code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS));
    code.add(new Instruction(BPF_LD_W_ABS, 0, 0, OFFSET_NR));
    if (table.foreignAbiBit() != 0) {
      code.add(new Instruction(BPF_JMP_JGE_K, 0, 1, table.foreignAbiBit()));
      code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_KILL_PROCESS));
    }
    if (denyNewNamespaces) {
      code.add(new Instruction(BPF_JMP_JEQ_K, 0, 4, table.cloneNumber()));
      code.add(new Instruction(BPF_LD_W_ABS, 0, 0, OFFSET_ARG0_LOW));
      code.add(new Instruction(BPF_JMP_JSET_K, 0, 1, CLONE_NEW_MASK));
      code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ERRNO | EPERM));
      // A clone that passes: traced when the caller traces CLONE (process limits), else run.
      code.add(
          new Instruction(
              BPF_RET_K,
              0,
              0,
              traced.contains(Syscall.CLONE)
                  ? SECCOMP_RET_TRACE | table.cloneNumber()
                  : SECCOMP_RET_ALLOW));
      addCase(code, table.clone3Number(), SECCOMP_RET_ERRNO | ENOSYS);
    }
    for (Syscall s : errnos.keySet()) {
      int errno = errnos.get(s);
      if (errno <= 0 || errno > 4095) {
        throw new IllegalArgumentException("bad errno " + errno + " for " + s);
      }
      table.number(s).ifPresent(nr -> addCase(code, nr, SECCOMP_RET_ERRNO | errno));
    }
    for (Syscall s : traced) {
      if (s == Syscall.SENDTO) {
        continue; // decided by its argument, below
      }
      table
          .number(s)
          .ifPresent(nr -> addCase(code, nr, SECCOMP_RET_TRACE | (nr & SECCOMP_RET_DATA)));
    }
    if (traced.contains(Syscall.SENDTO) && table.number(Syscall.SENDTO).isPresent()) {
      // Last, so every jump stays short: only a sendto that names a destination stops; on a
      // connected socket (a NULL address, the common case) the destination was checked at
      // connect.
      int nr = table.number(Syscall.SENDTO).get();
      int trace = SECCOMP_RET_TRACE | (nr & SECCOMP_RET_DATA);
      code.add(new Instruction(BPF_JMP_JEQ_K, 1, 0, nr));
      code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW));
      code.add(new Instruction(BPF_LD_W_ABS, 0, 0, OFFSET_ARG4_LOW));
      code.add(new Instruction(BPF_JMP_JEQ_K, 1, 0, 0));
      code.add(new Instruction(BPF_RET_K, 0, 0, trace));
      code.add(new Instruction(BPF_LD_W_ABS, 0, 0, OFFSET_ARG4_HIGH));
      code.add(new Instruction(BPF_JMP_JEQ_K, 1, 0, 0));
      code.add(new Instruction(BPF_RET_K, 0, 0, trace));
    }
    code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW));
    return new SeccompFilter(code);
  }

  private static void addCase(List<Instruction> code, int nr, int action) {
    code.add(new Instruction(BPF_JMP_JEQ_K, 0, 1, nr));
    code.add(new Instruction(BPF_RET_K, 0, 0, action));
  }

  List<Instruction> instructions() {
    return instructions;
  }

  /** The program as an array of struct sock_filter in native byte order, ready for the launcher. */
  public byte[] toBytes() {
    ByteBuffer buffer = ByteBuffer.allocate(instructions.size() * 8).order(ByteOrder.nativeOrder());
    for (Instruction i : instructions) {
      buffer.putShort(i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
    }
    return buffer.array();
  }
}
