package dev.airlock.sandbox.linux.seccomp;

import static dev.airlock.sandbox.linux.Errno.ENOSYS;

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
  static final short BPF_JMP_JA = 0x05;

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

  /** seccomp_data.instruction_pointer: low and high 32 bits. */
  static final int OFFSET_IP_LOW = 8;

  static final int OFFSET_IP_HIGH = 12;

  /** args[k]: low 32 bits at 16 + 8k, high 32 bits 4 bytes later (little-endian). */
  static final int OFFSET_ARGS = 16;

  /** Low 32 bits of args[0] (little-endian machines). */
  static final int OFFSET_ARG0_LOW = 16;

  /** sendto(2)'s destination address pointer, args[4]: low and high 32 bits. */
  static final int OFFSET_ARG4_LOW = 16 + 4 * 8;

  static final int OFFSET_ARG4_HIGH = OFFSET_ARG4_LOW + 4;

  /** clone(2) flags that create namespaces (CLONE_NEWTIME is only reachable through clone3). */
  public static final int CLONE_NEW_MASK =
      0x00020000 // CLONE_NEWNS
          | 0x02000000 // CLONE_NEWCGROUP
          | 0x04000000 // CLONE_NEWUTS
          | 0x08000000 // CLONE_NEWIPC
          | 0x10000000 // CLONE_NEWUSER
          | 0x20000000 // CLONE_NEWPID
          | 0x40000000; // CLONE_NEWNET

  /** One classic BPF instruction (struct sock_filter). */
  record Instruction(short code, int jt, int jf, int k) {}

  /**
   * The exceptions the in-process fast path needs (see the shim, airlock-shim.c): the {@code fast}
   * syscalls run without a stop when issued from the instruction before {@code stubReturn} (the
   * address the kernel reports as the syscall's instruction pointer) and stop like any traced
   * syscall from anywhere else; memory-mapping calls whose range could touch the syscall page at
   * {@code page} stop for the tracer, which refuses those that do; the rest run. The page lives in
   * a region nothing else uses, so "could touch" is decided on 32-bit halves: an address whose high
   * word is within one of the page's, or a length of 4 GiB or more. Exactly two calls near the page
   * run without a stop, the shim's own start-up: mmap of it without MAP_FIXED (it cannot replace a
   * mapping) and mprotect(page, 4096, PROT_READ|PROT_EXEC) (it only takes rights away).
   */
  public record FastPathRule(long page, long stubReturn, Set<Syscall> fast) {
    public FastPathRule {
      fast = Set.copyOf(fast);
      if (page % PAGE != 0 || stubReturn < page || stubReturn >= page + PAGE) {
        throw new IllegalArgumentException("the stub must lie in the page");
      }
      long high = page >>> 32;
      if (high < 2 || high > 0x7ffe || (page & 0xffffffffL) > 0xffffffffL - PAGE) {
        throw new IllegalArgumentException(
            "the page must leave a 4 GiB margin: 0x" + Long.toHexString(page));
      }
      for (Syscall s : fast) {
        if (MEMORY.containsKey(s)) {
          throw new IllegalArgumentException(s + " cannot take the fast path");
        }
      }
    }
  }

  static final long PAGE = 4096;
  static final int MAP_FIXED = 0x10;
  static final int PROT_READ_EXEC = 0x1 | 0x4;

  /** For each memory-mapping call: which arguments are addresses, which are lengths. */
  private record Ranges(int[] addresses, int[] lengths) {}

  private static final Map<Syscall, Ranges> MEMORY =
      Map.of(
          Syscall.MMAP, new Ranges(new int[] {0}, new int[] {1}),
          Syscall.MPROTECT, new Ranges(new int[] {0}, new int[] {1}),
          Syscall.MUNMAP, new Ranges(new int[] {0}, new int[] {1}),
          Syscall.MREMAP, new Ranges(new int[] {0, 4}, new int[] {1, 2}),
          Syscall.MADVISE, new Ranges(new int[] {0}, new int[] {1}),
          Syscall.PKEY_MPROTECT, new Ranges(new int[] {0}, new int[] {1}),
          Syscall.SHMAT, new Ranges(new int[] {1}, new int[] {}),
          Syscall.REMAP_FILE_PAGES, new Ranges(new int[] {0}, new int[] {1}));

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
   * CLONE_NEW* flag stops for the tracer (which refuses it with EPERM) and clone3(2) fails with
   * ENOSYS (its flags are in memory, out of BPF's reach; glibc then falls back to clone).
   */
  public static SeccompFilter build(
      SyscallTable table,
      Set<Syscall> traced,
      Map<Syscall, Integer> denied,
      boolean denyNewNamespaces) {
    return build(table, traced, denied, denyNewNamespaces, null);
  }

  /**
   * As {@link #build(SyscallTable, Set, Map, boolean)}, with the fast path's exceptions when {@code
   * fastPath} is not null. Its syscalls are tested by number first, like every other case, so each
   * syscall outside them keeps a decision that depends on its number alone, which the kernel
   * caches.
   */
  public static SeccompFilter build(
      SyscallTable table,
      Set<Syscall> traced,
      Map<Syscall, Integer> denied,
      boolean denyNewNamespaces,
      FastPathRule fastPath) {
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
      // Stops so the tracer refuses it (EPERM) and records the attempt as an escape; the flags
      // are in a register, so no thread can change them after the tracer's look.
      code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_TRACE | table.cloneNumber()));
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
    if (fastPath != null) {
      for (Syscall s : fastPath.fast()) {
        if (errnos.containsKey(s)) {
          throw new IllegalArgumentException(s + " cannot be both fast and denied");
        }
        table.number(s).ifPresent(nr -> code.addAll(fastCase(nr, fastPath.stubReturn())));
      }
      for (Map.Entry<Syscall, Ranges> m : MEMORY.entrySet()) {
        Syscall s = m.getKey();
        table
            .number(s)
            .ifPresent(nr -> code.addAll(memoryCase(s, nr, m.getValue(), fastPath.page())));
      }
    }
    for (Syscall s : traced) {
      if (s == Syscall.SENDTO) {
        continue; // decided by its argument, below
      }
      if (fastPath != null && (fastPath.fast().contains(s) || MEMORY.containsKey(s))) {
        continue; // decided above
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

  /** "nr from the stub: run; from anywhere else: stop". */
  private static List<Instruction> fastCase(int nr, long stubReturn) {
    int trace = SECCOMP_RET_TRACE | (nr & SECCOMP_RET_DATA);
    return List.of(
        new Instruction(BPF_JMP_JEQ_K, 0, 6, nr),
        new Instruction(BPF_LD_W_ABS, 0, 0, OFFSET_IP_LOW),
        new Instruction(BPF_JMP_JEQ_K, 0, 3, (int) stubReturn),
        new Instruction(BPF_LD_W_ABS, 0, 0, OFFSET_IP_HIGH),
        new Instruction(BPF_JMP_JEQ_K, 0, 1, (int) (stubReturn >>> 32)),
        new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
        new Instruction(BPF_RET_K, 0, 0, trace));
  }

  /** "a memory-mapping call that could touch the page: stop; any other: run". */
  private static List<Instruction> memoryCase(Syscall s, int nr, Ranges ranges, long page) {
    int high = (int) (page >>> 32);
    // Jumps name labels until the block's end is known: ALLOW, TRACE, or the next instruction.
    List<int[]> body = new ArrayList<>(); // {code, jt label or offset, jf label, k}
    final int next = 0;
    final int allow = -1;
    final int trace = -2;
    final int checks = -3;
    if (s == Syscall.MMAP) {
      // Without MAP_FIXED (MAP_FIXED_NOREPLACE included) no mapping is ever replaced.
      body.add(new int[] {BPF_LD_W_ABS, next, next, arg(3)});
      body.add(new int[] {BPF_JMP_JSET_K, next, allow, MAP_FIXED});
    }
    if (s == Syscall.MPROTECT) {
      // The shim's own mprotect(page, 4096, PROT_READ|PROT_EXEC): it only takes rights away.
      int[][] exact = {
        {arg(0), (int) page},
        {arg(0) + 4, high},
        {arg(1), (int) PAGE},
        {arg(1) + 4, 0},
        {arg(2), PROT_READ_EXEC}
      };
      for (int i = 0; i < exact.length; i++) {
        body.add(new int[] {BPF_LD_W_ABS, next, next, exact[i][0]});
        body.add(
            new int[] {BPF_JMP_JEQ_K, i == exact.length - 1 ? allow : next, checks, exact[i][1]});
      }
    }
    int checksAt = body.size();
    for (int a : ranges.addresses()) {
      body.add(new int[] {BPF_LD_W_ABS, next, next, arg(a) + 4});
      for (int h = high - 1; h <= high + 1; h++) {
        body.add(new int[] {BPF_JMP_JEQ_K, trace, next, h});
      }
    }
    for (int l : ranges.lengths()) {
      body.add(new int[] {BPF_LD_W_ABS, next, next, arg(l) + 4});
      body.add(new int[] {BPF_JMP_JEQ_K, next, trace, 0});
    }
    int allowAt = body.size();
    int traceAt = allowAt + 1;
    List<Instruction> code = new ArrayList<>();
    code.add(new Instruction(BPF_JMP_JEQ_K, 0, body.size() + 2, nr));
    for (int i = 0; i < body.size(); i++) {
      int[] b = body.get(i);
      code.add(
          new Instruction(
              (short) b[0],
              target(b[1], i, allowAt, traceAt, checksAt),
              target(b[2], i, allowAt, traceAt, checksAt),
              b[3]));
    }
    code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW));
    code.add(new Instruction(BPF_RET_K, 0, 0, SECCOMP_RET_TRACE | (nr & SECCOMP_RET_DATA)));
    return code;
  }

  private static int target(int label, int at, int allowAt, int traceAt, int checksAt) {
    int to =
        switch (label) {
          case 0 -> at + 1;
          case -1 -> allowAt;
          case -2 -> traceAt;
          case -3 -> checksAt;
          default -> throw new IllegalStateException("label " + label);
        };
    int offset = to - at - 1;
    if (offset < 0 || offset > 255) {
      throw new IllegalStateException("jump out of range: " + offset);
    }
    return offset;
  }

  /** Offset of the low 32 bits of args[k] in struct seccomp_data. */
  private static int arg(int k) {
    return OFFSET_ARGS + 8 * k;
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
