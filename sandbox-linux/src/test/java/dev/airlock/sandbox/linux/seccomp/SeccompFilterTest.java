package dev.airlock.sandbox.linux.seccomp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Runs the generated program through a small classic-BPF interpreter: what the kernel decides. */
class SeccompFilterTest {
  private static final SyscallTable X86 = SyscallTable.X86_64;
  private static final int GETPID = 39;

  private static int decide(SeccompFilter filter, int arch, int nr) {
    return decide(filter, arch, nr, 0);
  }

  private static int decide(SeccompFilter filter, int arch, int nr, int arg0) {
    return decide(filter, arch, nr, arg0, 0);
  }

  private static int decide(SeccompFilter filter, int arch, int nr, int arg0, long arg4) {
    return decide(filter, arch, nr, 0, new long[] {arg0 & 0xffffffffL, 0, 0, 0, arg4, 0}, null);
  }

  /**
   * The program's verdict for a whole struct seccomp_data; {@code loads}, when not null, collects
   * the offsets the program read (a verdict that read only the number is what the kernel caches).
   */
  private static int decide(
      SeccompFilter filter, int arch, int nr, long ip, long[] args, List<Integer> loads) {
    List<SeccompFilter.Instruction> code = filter.instructions();
    int acc = 0;
    int pc = 0;
    while (true) {
      SeccompFilter.Instruction i = code.get(pc);
      switch (i.code()) {
        case SeccompFilter.BPF_LD_W_ABS -> {
          int k = i.k();
          if (loads != null) {
            loads.add(k);
          }
          if (k == SeccompFilter.OFFSET_ARCH) {
            acc = arch;
          } else if (k == SeccompFilter.OFFSET_NR) {
            acc = nr;
          } else if (k == SeccompFilter.OFFSET_IP_LOW || k == SeccompFilter.OFFSET_IP_HIGH) {
            acc = (int) (k == SeccompFilter.OFFSET_IP_LOW ? ip : ip >>> 32);
          } else if (k >= SeccompFilter.OFFSET_ARGS && k < SeccompFilter.OFFSET_ARGS + 48) {
            long arg = args[(k - SeccompFilter.OFFSET_ARGS) / 8];
            acc = (int) ((k - SeccompFilter.OFFSET_ARGS) % 8 == 0 ? arg : arg >>> 32);
          } else {
            throw new AssertionError("unexpected load at " + k);
          }
          pc++;
        }
        case SeccompFilter.BPF_JMP_JSET_K -> pc += 1 + ((acc & i.k()) != 0 ? i.jt() : i.jf());
        case SeccompFilter.BPF_JMP_JEQ_K -> pc += 1 + (acc == i.k() ? i.jt() : i.jf());
        case SeccompFilter.BPF_JMP_JGE_K ->
            pc += 1 + (Integer.compareUnsigned(acc, i.k()) >= 0 ? i.jt() : i.jf());
        case SeccompFilter.BPF_RET_K -> {
          return i.k();
        }
        default -> throw new AssertionError("unknown opcode " + i.code());
      }
    }
  }

  private static int nr(Syscall s) {
    return X86.number(s).orElseThrow();
  }

  private final SeccompFilter filter =
      SeccompFilter.build(
          X86,
          EnumSet.of(Syscall.OPENAT, Syscall.EXECVE, Syscall.IO_URING_SETUP),
          Map.of(Syscall.MOUNT, 1));

  @Test
  void tracedSyscallsStopForTheTracerWithTheirNumberAsData() {
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.OPENAT),
        decide(filter, SyscallTable.AUDIT_ARCH_X86_64, nr(Syscall.OPENAT)));
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.EXECVE),
        decide(filter, SyscallTable.AUDIT_ARCH_X86_64, nr(Syscall.EXECVE)));
  }

  @Test
  void sendtoStopsOnlyWhenItNamesADestination() {
    SeccompFilter sends =
        SeccompFilter.build(X86, EnumSet.of(Syscall.SENDTO, Syscall.CONNECT), Map.of());
    int arch = SyscallTable.AUDIT_ARCH_X86_64;
    int trace = SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.SENDTO);
    assertEquals(SeccompFilter.SECCOMP_RET_ALLOW, decide(sends, arch, nr(Syscall.SENDTO), 3, 0));
    assertEquals(trace, decide(sends, arch, nr(Syscall.SENDTO), 3, 0x7ffc_1234_5678L));
    assertEquals(trace, decide(sends, arch, nr(Syscall.SENDTO), 3, 0x5678L));
    assertEquals(trace, decide(sends, arch, nr(Syscall.SENDTO), 3, 0x7ffc_0000_0000L));
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.CONNECT),
        decide(sends, arch, nr(Syscall.CONNECT)),
        "the syscalls after it are still decided");
  }

  @Test
  void deniedSyscallsFailWithTheirErrno() {
    assertEquals(
        SeccompFilter.SECCOMP_RET_ERRNO | 1,
        decide(filter, SyscallTable.AUDIT_ARCH_X86_64, nr(Syscall.MOUNT)));
  }

  @Test
  void everythingElseIsAllowed() {
    assertEquals(
        SeccompFilter.SECCOMP_RET_ALLOW, decide(filter, SyscallTable.AUDIT_ARCH_X86_64, GETPID));
    assertEquals(
        SeccompFilter.SECCOMP_RET_ALLOW,
        decide(filter, SyscallTable.AUDIT_ARCH_X86_64, nr(Syscall.STAT)),
        "not listed, so not traced");
  }

  @Test
  void anotherArchitectureIsKilledEvenForAnAllowedNumber() {
    int auditArchI386 = 0x40000003;
    // i386 open is 5, which is fstat on x86_64: without the arch check it would pass untraced.
    assertEquals(SeccompFilter.SECCOMP_RET_KILL_PROCESS, decide(filter, auditArchI386, 5));
  }

  @Test
  void x32SyscallsAreKilled() {
    assertEquals(
        SeccompFilter.SECCOMP_RET_KILL_PROCESS,
        decide(
            filter,
            SyscallTable.AUDIT_ARCH_X86_64,
            SyscallTable.X32_SYSCALL_BIT | nr(Syscall.OPENAT)));
  }

  @Test
  void aFilterOverEveryListedSyscallStaysWithinShortJumps() {
    SeccompFilter all = SeccompFilter.build(X86, EnumSet.allOf(Syscall.class), Map.of());
    for (Syscall s : Syscall.values()) {
      assertEquals(
          SeccompFilter.SECCOMP_RET_TRACE | nr(s),
          // A destination address: sendto stops only with one.
          decide(all, SyscallTable.AUDIT_ARCH_X86_64, nr(s), 0, 0x1000),
          s.name());
    }
    assertTrue(all.instructions().stream().allMatch(i -> i.jt() <= 1 && i.jf() <= 1));
    assertEquals(all.instructions().size() * 8, all.toBytes().length);
  }

  @Test
  void serialisesAsStructSockFilterInNativeOrder() {
    ByteBuffer bytes = ByteBuffer.wrap(filter.toBytes()).order(ByteOrder.nativeOrder());
    assertEquals(SeccompFilter.BPF_LD_W_ABS, bytes.getShort(0));
    assertEquals(SeccompFilter.OFFSET_ARCH, bytes.getInt(4));
    assertEquals(SeccompFilter.BPF_JMP_JEQ_K, bytes.getShort(8));
    assertEquals(1, bytes.get(10));
    assertEquals(SyscallTable.AUDIT_ARCH_X86_64, bytes.getInt(12));
  }

  @Test
  void cloneCreatingANamespaceStopsWhilePlainCloneRuns() {
    SeccompFilter strict = SeccompFilter.build(X86, EnumSet.of(Syscall.OPENAT), Map.of(), true);
    int clone = 56;
    int cloneNewUser = 0x10000000 | 17; // CLONE_NEWUSER | SIGCHLD
    int forkLike = 17; // SIGCHLD only
    int thread = 0x3d0f00; // glibc pthread_create's flags
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | clone,
        decide(strict, SyscallTable.AUDIT_ARCH_X86_64, clone, cloneNewUser),
        "stops, for the tracer to refuse and record");
    assertEquals(
        SeccompFilter.SECCOMP_RET_ALLOW,
        decide(strict, SyscallTable.AUDIT_ARCH_X86_64, clone, forkLike));
    assertEquals(
        SeccompFilter.SECCOMP_RET_ALLOW,
        decide(strict, SyscallTable.AUDIT_ARCH_X86_64, clone, thread));
    assertEquals(
        SeccompFilter.SECCOMP_RET_ERRNO | 38,
        decide(strict, SyscallTable.AUDIT_ARCH_X86_64, 435, 0));
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.OPENAT),
        decide(strict, SyscallTable.AUDIT_ARCH_X86_64, nr(Syscall.OPENAT)),
        "the rest of the program still runs after the clone check");
    SeccompFilter lenient = SeccompFilter.build(X86, EnumSet.of(Syscall.OPENAT), Map.of(), false);
    assertEquals(
        SeccompFilter.SECCOMP_RET_ALLOW,
        decide(lenient, SyscallTable.AUDIT_ARCH_X86_64, clone, cloneNewUser));
  }

  @Test
  void theEscapeSetHoldsExactlyTheEscapeCalls() {
    assertEquals(
        EnumSet.of(
            Syscall.CHROOT,
            Syscall.MOUNT,
            Syscall.UMOUNT2,
            Syscall.PIVOT_ROOT,
            Syscall.OPEN_BY_HANDLE_AT,
            Syscall.PTRACE,
            Syscall.PROCESS_VM_READV,
            Syscall.PROCESS_VM_WRITEV,
            Syscall.PIDFD_GETFD,
            Syscall.BPF,
            Syscall.PERF_EVENT_OPEN,
            Syscall.USERFAULTFD,
            Syscall.KEYCTL,
            Syscall.ADD_KEY,
            Syscall.REQUEST_KEY,
            Syscall.KEXEC_LOAD,
            Syscall.KEXEC_FILE_LOAD,
            Syscall.INIT_MODULE,
            Syscall.FINIT_MODULE,
            Syscall.DELETE_MODULE,
            Syscall.OPEN_TREE,
            Syscall.MOVE_MOUNT,
            Syscall.FSOPEN,
            Syscall.FSCONFIG,
            Syscall.FSMOUNT,
            Syscall.FSPICK,
            Syscall.MOUNT_SETATTR),
        Syscall.ESCAPES);
  }

  @Test
  void aSyscallCannotBeBothTracedAndDenied() {
    assertThrows(
        IllegalArgumentException.class,
        () -> SeccompFilter.build(X86, EnumSet.of(Syscall.MOUNT), Map.of(Syscall.MOUNT, 1)));
  }

  // The fast path's exceptions: a page in the unused region, its stub's return address.
  private static final long PAGE = 0x2345_6789_a000L;
  private static final long STUB_RETURN = PAGE + 0x19;
  private static final int ARCH = SyscallTable.AUDIT_ARCH_X86_64;
  private static final EnumSet<Syscall> FAST =
      EnumSet.of(
          Syscall.OPENAT, Syscall.NEWFSTATAT, Syscall.READLINK, Syscall.GETDENTS64, Syscall.ACCESS);

  private static SeccompFilter withFastPath() {
    EnumSet<Syscall> traced = EnumSet.allOf(Syscall.class);
    traced.removeAll(Syscall.PROCESS_CREATION);
    traced.removeAll(Syscall.MEMORY_MAPPINGS);
    return SeccompFilter.build(
        X86, traced, Map.of(), true, new SeccompFilter.FastPathRule(PAGE, STUB_RETURN, FAST));
  }

  private static int memory(SeccompFilter f, Syscall s, long... args) {
    return decide(f, ARCH, nr(s), 0x7f00_0000_1000L, java.util.Arrays.copyOf(args, 6), null);
  }

  @Test
  void aFastSyscallRunsOnlyFromTheStubsInstruction() {
    SeccompFilter f = withFastPath();
    long[] none = new long[6];
    for (Syscall s : FAST) {
      int trace = SeccompFilter.SECCOMP_RET_TRACE | nr(s);
      assertEquals(
          SeccompFilter.SECCOMP_RET_ALLOW,
          decide(f, ARCH, nr(s), STUB_RETURN, none, null),
          s.name());
      assertEquals(trace, decide(f, ARCH, nr(s), STUB_RETURN + 2, none, null), "another address");
      assertEquals(trace, decide(f, ARCH, nr(s), STUB_RETURN - 0x19, none, null), "the page start");
      assertEquals(
          trace,
          decide(f, ARCH, nr(s), STUB_RETURN + (1L << 32), none, null),
          "the same low word in another 4 GiB");
      assertEquals(trace, decide(f, ARCH, nr(s), 0x7f12_3456_7890L, none, null), "libc's own");
    }
    // Mutations and execs stop wherever they come from, the stub included.
    for (Syscall s :
        EnumSet.of(
            Syscall.EXECVE,
            Syscall.CHDIR,
            Syscall.FCHDIR,
            Syscall.RENAMEAT2,
            Syscall.UNLINKAT,
            Syscall.MKDIRAT,
            Syscall.SYMLINKAT,
            Syscall.LINKAT,
            Syscall.OPENAT2,
            Syscall.OPEN_BY_HANDLE_AT,
            Syscall.IO_URING_SETUP)) {
      assertEquals(
          SeccompFilter.SECCOMP_RET_TRACE | nr(s),
          decide(f, ARCH, nr(s), STUB_RETURN, none, null),
          s.name());
    }
    assertEquals(
        SeccompFilter.SECCOMP_RET_KILL_PROCESS,
        decide(f, 0x40000003, nr(Syscall.OPENAT), STUB_RETURN, none, null),
        "a foreign ABI is still killed, from the stub too");
  }

  @Test
  void everyOtherSyscallIsDecidedByItsNumberAloneSoTheKernelCachesIt() {
    SeccompFilter f = withFastPath();
    java.util.Set<Integer> special = new java.util.HashSet<>();
    for (Syscall s : FAST) {
      special.add(nr(s));
    }
    for (Syscall s : Syscall.MEMORY_MAPPINGS) {
      special.add(nr(s));
    }
    special.add(nr(Syscall.SENDTO)); // by its destination, as without the fast path
    special.add(nr(Syscall.CLONE)); // by its flags (namespaces), as without the fast path
    for (int nr = 0; nr < 470; nr++) {
      if (special.contains(nr)) {
        continue;
      }
      List<Integer> loads = new java.util.ArrayList<>();
      int verdict = decide(f, ARCH, nr, STUB_RETURN, new long[] {1, 2, 3, 4, 5, 6}, loads);
      assertEquals(
          List.of(SeccompFilter.OFFSET_ARCH, SeccompFilter.OFFSET_NR),
          loads,
          "syscall " + nr + " reads nothing but its number");
      assertEquals(verdict, decide(f, ARCH, nr, 0x7fff_0000_0000L, new long[6], null));
    }
  }

  @Test
  void mappingsThatCouldTouchThePageStopAndTheRestRun() {
    SeccompFilter f = withFastPath();
    int allow = SeccompFilter.SECCOMP_RET_ALLOW;
    int rw = 0x1 | 0x2;
    int rx = 0x1 | 0x4;
    int privateAnonymous = 0x02 | 0x20;
    int fixed = 0x10;
    int noReplace = 0x100000;
    long far = 0x7f55_0000_0000L;
    // The shim's own start-up: a mapping that cannot replace anything, then rights taken away.
    assertEquals(
        allow, memory(f, Syscall.MMAP, PAGE, 4096, rw, privateAnonymous | noReplace, -1, 0));
    assertEquals(allow, memory(f, Syscall.MPROTECT, PAGE, 4096, rx));
    // What could change the page's code, or put another instruction at the allowed address.
    int mprotect = SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.MPROTECT);
    assertEquals(mprotect, memory(f, Syscall.MPROTECT, PAGE, 4096, rw));
    assertEquals(mprotect, memory(f, Syscall.MPROTECT, PAGE - 4096, 8192, rx));
    assertEquals(mprotect, memory(f, Syscall.MPROTECT, PAGE - (1L << 32) + 4096, 0xffff_f000L, rw));
    assertEquals(mprotect, memory(f, Syscall.MPROTECT, far, 1L << 40, rw), "a 4 GiB length");
    int mmap = SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.MMAP);
    assertEquals(mmap, memory(f, Syscall.MMAP, PAGE, 4096, rw, privateAnonymous | fixed, -1, 0));
    assertEquals(
        mmap, memory(f, Syscall.MMAP, PAGE + 8192, 4096, rw, privateAnonymous | fixed, -1, 0));
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.MUNMAP),
        memory(f, Syscall.MUNMAP, PAGE, 4096));
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.MADVISE),
        memory(f, Syscall.MADVISE, PAGE, 4096, 4));
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.MREMAP),
        memory(f, Syscall.MREMAP, far, 4096, 4096, 3, PAGE),
        "moved onto the page");
    assertEquals(
        SeccompFilter.SECCOMP_RET_TRACE | nr(Syscall.SHMAT),
        memory(f, Syscall.SHMAT, 7, PAGE, 0x4000));
    // Everything else runs at full speed.
    assertEquals(allow, memory(f, Syscall.MMAP, 0, 1 << 20, rw, privateAnonymous, -1, 0));
    assertEquals(allow, memory(f, Syscall.MMAP, far, 4096, rw, privateAnonymous | fixed, -1, 0));
    assertEquals(allow, memory(f, Syscall.MPROTECT, far, 1 << 20, rw));
    assertEquals(allow, memory(f, Syscall.MUNMAP, far, 1 << 20));
    assertEquals(allow, memory(f, Syscall.MADVISE, far, 1 << 20, 4));
    assertEquals(allow, memory(f, Syscall.MREMAP, far, 4096, 8192, 1, 0));
    assertEquals(allow, memory(f, Syscall.SHMAT, 7, 0, 0));
  }

  @Test
  void theFastPathRuleWantsItsPageInTheUnusedRegion() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new SeccompFilter.FastPathRule(0x1000, 0x1019, FAST),
        "within 4 GiB of address zero");
    assertThrows(
        IllegalArgumentException.class,
        () -> new SeccompFilter.FastPathRule(PAGE, PAGE + 4096, FAST),
        "the stub outside its page");
    assertThrows(
        IllegalArgumentException.class,
        () -> new SeccompFilter.FastPathRule(PAGE, STUB_RETURN, EnumSet.of(Syscall.MPROTECT)),
        "mappings cannot be fast");
  }

  @Test
  void everyListedSyscallHasAnX8664Number() {
    for (Syscall s : Syscall.values()) {
      assertTrue(X86.number(s).isPresent(), s.name());
    }
  }
}
