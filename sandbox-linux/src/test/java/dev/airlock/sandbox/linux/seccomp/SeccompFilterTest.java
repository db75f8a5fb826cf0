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
    List<SeccompFilter.Instruction> code = filter.instructions();
    int acc = 0;
    int pc = 0;
    while (true) {
      SeccompFilter.Instruction i = code.get(pc);
      switch (i.code()) {
        case SeccompFilter.BPF_LD_W_ABS -> {
          acc =
              switch (i.k()) {
                case SeccompFilter.OFFSET_ARCH -> arch;
                case SeccompFilter.OFFSET_NR -> nr;
                case SeccompFilter.OFFSET_ARG0_LOW -> arg0;
                case SeccompFilter.OFFSET_ARG4_LOW -> (int) arg4;
                case SeccompFilter.OFFSET_ARG4_HIGH -> (int) (arg4 >>> 32);
                default -> throw new AssertionError("unexpected load at " + i.k());
              };
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
  void cloneCreatingANamespaceIsRefusedWhilePlainCloneRuns() {
    SeccompFilter strict = SeccompFilter.build(X86, EnumSet.of(Syscall.OPENAT), Map.of(), true);
    int clone = 56;
    int cloneNewUser = 0x10000000 | 17; // CLONE_NEWUSER | SIGCHLD
    int forkLike = 17; // SIGCHLD only
    int thread = 0x3d0f00; // glibc pthread_create's flags
    assertEquals(
        SeccompFilter.SECCOMP_RET_ERRNO | 1,
        decide(strict, SyscallTable.AUDIT_ARCH_X86_64, clone, cloneNewUser));
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

  @Test
  void everyListedSyscallHasAnX8664Number() {
    for (Syscall s : Syscall.values()) {
      assertTrue(X86.number(s).isPresent(), s.name());
    }
  }
}
