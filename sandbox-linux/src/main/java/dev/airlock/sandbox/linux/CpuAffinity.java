package dev.airlock.sandbox.linux;

import com.sun.jna.Memory;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps a tracer thread and the processes it traces on one CPU. Every traced syscall is a round
 * trip between the two; when they run on different CPUs each stop costs a cross-CPU wake-up, which
 * on a virtual machine is several times the cost of the stop itself (measured: a stat-heavy action
 * ran 4x faster pinned). A process spawned by a pinned thread inherits its CPU.
 */
public final class CpuAffinity {
  private CpuAffinity() {}

  /** The CPUs the calling thread may run on. */
  public static List<Integer> allowedCpus() throws ErrnoException {
    Memory mask = LinuxLibc.allocate(LinuxLibc.CPU_SET_BYTES);
    if (LinuxLibc.sched_getaffinity(0, LinuxLibc.CPU_SET_BYTES, mask) != 0) {
      throw ErrnoException.of("sched_getaffinity()", LinuxLibc.errno());
    }
    List<Integer> cpus = new ArrayList<>();
    for (int cpu = 0; cpu < LinuxLibc.CPU_SET_BYTES * 8; cpu++) {
      if ((mask.getByte(cpu / 8) & (1 << (cpu % 8))) != 0) {
        cpus.add(cpu);
      }
    }
    return cpus;
  }

  /** Restricts the calling thread (and what it spawns from now on) to the given CPUs. */
  public static void restrictCurrentThread(List<Integer> cpus) throws ErrnoException {
    if (LinuxLibc.sched_setaffinity(0, LinuxLibc.CPU_SET_BYTES, mask(cpus)) != 0) {
      throw ErrnoException.of("sched_setaffinity()", LinuxLibc.errno());
    }
  }

  /** Restricts another thread to the given CPUs; false if it is gone. */
  public static boolean restrict(int tid, List<Integer> cpus) throws ErrnoException {
    if (LinuxLibc.sched_setaffinity(tid, LinuxLibc.CPU_SET_BYTES, mask(cpus)) == 0) {
      return true;
    }
    int errno = LinuxLibc.errno();
    if (errno == Errno.ESRCH) {
      return false;
    }
    throw ErrnoException.of("sched_setaffinity(" + tid + ")", errno);
  }

  /** The CPU the calling thread runs on right now. */
  public static int currentCpu() {
    return LinuxLibc.sched_getcpu();
  }

  /** The cpu_set_t (CPU_SET_BYTES bytes) holding {@code cpus}. */
  public static byte[] cpuSet(List<Integer> cpus) {
    return mask(cpus).getByteArray(0, LinuxLibc.CPU_SET_BYTES);
  }

  private static Memory mask(List<Integer> cpus) {
    Memory mask = LinuxLibc.allocate(LinuxLibc.CPU_SET_BYTES);
    for (int cpu : cpus) {
      mask.setByte(cpu / 8, (byte) (mask.getByte(cpu / 8) | (1 << (cpu % 8))));
    }
    return mask;
  }
}
