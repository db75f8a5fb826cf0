package dev.airlock.sandbox.linux.trace;

import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.ShimInjection;
import dev.airlock.sandbox.linux.ShimLibrary;
import dev.airlock.sandbox.linux.seccomp.SeccompFilter;
import dev.airlock.sandbox.linux.seccomp.Syscall;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * One action's in-process fast path ({@link TraceMode#FAST}): the record ring the shim writes and
 * the tracer drains, the address of the syscall page (random per action, baked into the action's
 * seccomp filter) and the scope the shim may serve. Give it to the launcher ({@link #injection()}),
 * the filter ({@link #filterRule()}) and the {@link Tracer}; close it after the tracer's run.
 *
 * <p>What it guarantees, and what not: every call the shim serves is logged before its result is
 * returned, and the tracer drains the log before handling any stop, so the record of a cooperative
 * program is the one strict mode would make (tested by running every trace test both ways). It is
 * no boundary against a hostile process, which can jump to the page's syscall instruction with
 * arguments of its own, or rewrite the ring: the kernel layers (mount namespace, Landlock, seccomp)
 * enforce the policy in both modes, and strict mode is for commands whose record must hold against
 * the command itself.
 */
public final class FastPath implements AutoCloseable {
  /**
   * The glibc functions the shim takes over, in the bit order of the ring's "unpatched" mask
   * (targets[] in airlock-shim.c).
   */
  public static final List<String> PATCHED_FUNCTIONS =
      List.of(
          "readlink",
          "readlinkat",
          "__open64",
          "openat64",
          "__open64_nocancel",
          "fstatat64",
          "statx",
          "access",
          "faccessat",
          "getdents64",
          "__xstat",
          "__lxstat",
          "__fxstatat",
          "execve",
          "execveat");

  /** The syscalls the shim issues for those functions: the ones its page may make unstopped. */
  static final Set<Syscall> FAST_SYSCALLS =
      EnumSet.of(
          Syscall.OPENAT,
          Syscall.NEWFSTATAT,
          Syscall.STATX,
          Syscall.ACCESS,
          Syscall.FACCESSAT2,
          Syscall.READLINK,
          Syscall.READLINKAT,
          Syscall.GETDENTS64);

  /** Where the stub's syscall instruction ends in the page (STUB_RETURN_OFFSET in the shim). */
  static final long STUB_RETURN_OFFSET = 0x19;

  /** Default ring: 8192 slots of 512 bytes (4 MiB, touched as used). */
  public static final int DEFAULT_SLOTS = 8192;

  public static final int DEFAULT_SLOT_BYTES = 512;

  /** The shim's own limits on the scope it copies (MAX_SCOPE, SCOPE_TEXT in airlock-shim.c). */
  private static final int MAX_SCOPE_ENTRIES = 128;

  private static final int MAX_SCOPE_BYTES = 8192;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final ShimLibrary library;
  private final RecordRing ring;
  private final long page;
  private final FastPathScope scope;
  private final List<Integer> unpinTo;

  private FastPath(
      ShimLibrary library, RecordRing ring, long page, FastPathScope scope, List<Integer> unpinTo) {
    this.library = library;
    this.ring = ring;
    this.page = page;
    this.scope = scope;
    this.unpinTo = unpinTo;
  }

  /** A fast path with the default ring. */
  public static FastPath open(ShimLibrary library, FastPathScope scope)
      throws ErrnoException, IOException {
    return open(library, scope, DEFAULT_SLOTS, DEFAULT_SLOT_BYTES);
  }

  /**
   * A fast path with a ring of {@code slots} slots of {@code slotBytes} bytes (a path longer than a
   * slot holds goes the slow way).
   *
   * <p>/proc and /dev are never served: a record is resolved after the call, when the process may
   * be gone, and their paths (/proc/self, /dev/fd/N) mean something only to a live one.
   */
  public static FastPath open(ShimLibrary library, FastPathScope scope, int slots, int slotBytes)
      throws ErrnoException, IOException {
    return open(library, scope, slots, slotBytes, null);
  }

  /**
   * As above; with {@code unpinTo} (the CPUs the action may use), each new program is kept on the
   * tracer's CPU from its exec until its shim is up, then moved to those CPUs: the dynamic loader's
   * calls (which stop) avoid cross-CPU wake-ups, the program itself runs anywhere. A program
   * without the shim (static, or env -i) stays on the tracer's CPU, as every process of a strict
   * action does.
   */
  public static FastPath open(
      ShimLibrary library, FastPathScope scope, int slots, int slotBytes, List<Integer> unpinTo)
      throws ErrnoException, IOException {
    FastPathScope served = scope.withoutTrees("/proc", "/dev");
    byte[] encoded = served.encode();
    boolean enabled =
        !scope.entries().isEmpty()
            && served.entries().size() <= MAX_SCOPE_ENTRIES
            && encoded.length <= MAX_SCOPE_BYTES;
    RecordRing ring =
        RecordRing.create(
            slots,
            slotBytes,
            encoded,
            enabled,
            unpinTo == null ? null : dev.airlock.sandbox.linux.CpuAffinity.cpuSet(unpinTo));
    return new FastPath(
        library, ring, randomPage(), served, unpinTo == null ? null : List.copyOf(unpinTo));
  }

  /**
   * A page in the 16-80 TiB region of the x86_64 address space, which the kernel uses for neither
   * program images (PIE near 85 TiB, non-PIE near 4 MiB) nor mmap (top-down from near 128 TiB):
   * nothing is mapped within 4 GiB of it unless a program maps there on purpose.
   */
  private static long randomPage() {
    long high = 0x1000 + RANDOM.nextInt(0x4000);
    long low = RANDOM.nextInt(0xffffe) * 4096L; // leaves the page's end below the next 4 GiB
    return high << 32 | low;
  }

  /** What the launcher passes to the command. */
  public ShimInjection injection() {
    return new ShimInjection(library.fd(), ring.fd(), library.file(), page);
  }

  /** The filter's exceptions for this action's page. */
  public SeccompFilter.FastPathRule filterRule() {
    return new SeccompFilter.FastPathRule(page, page + STUB_RETURN_OFFSET, FAST_SYSCALLS);
  }

  /** The syscall page's address. */
  public long page() {
    return page;
  }

  FastPathScope scope() {
    return scope;
  }

  /** Whether new programs stay on the tracer's CPU until their shim is up. */
  boolean pinsUntilShimIsUp() {
    return unpinTo != null;
  }

  /** Where a program may run once its shim is up. */
  List<Integer> unpinnedCpus() {
    return unpinTo;
  }

  /** The shim library as the loader's open of it resolves: Airlock's, never the action's input. */
  Set<String> libraryPaths() {
    return Set.of(
        "/memfd:" + ShimLibrary.MEMFD_NAME + " (deleted)",
        dev.airlock.protocol.PathBytes.of(library.file()));
  }

  RecordRing ring() {
    return ring;
  }

  /** Unmaps the ring: only once the tracer that drains it has finished its run. */
  @Override
  public void close() {
    ring.close();
  }
}
