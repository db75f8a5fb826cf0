package dev.airlock.sandbox.linux.trace;

import static dev.airlock.protocol.Signals.*;

import dev.airlock.protocol.PathBytes;
import dev.airlock.sandbox.linux.CpuAffinity;
import dev.airlock.sandbox.linux.ErrnoException;
import dev.airlock.sandbox.linux.ExitStatus;
import dev.airlock.sandbox.linux.LaunchedProcess;
import dev.airlock.sandbox.linux.PathHandle;
import dev.airlock.sandbox.linux.Ptrace;
import dev.airlock.sandbox.linux.seccomp.SeccompFilter;
import dev.airlock.sandbox.linux.seccomp.Syscall;
import dev.airlock.sandbox.linux.seccomp.SyscallTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Follows an action's whole process tree with ptrace, from the launcher's exec until the last
 * tracee is gone, and records every file access its traced syscalls make. One instance per action,
 * used only by the thread that launched the action (ptrace requests must come from the attaching
 * thread, and only that thread's wait sees its tracees).
 */
public final class Tracer {
  private static final int SYSCALL_STOP = SIGTRAP | 0x80;

  private static final int EVENT_FORK = 1;
  private static final int EVENT_VFORK = 2;
  private static final int EVENT_CLONE = 3;
  private static final int EVENT_EXEC = 4;
  private static final int EVENT_SECCOMP = 7;
  private static final int EVENT_STOP = 128;

  /** Every syscall of the table is traced: all of them name paths or escape tracing. */
  public static SeccompFilter filter(SyscallTable table) {
    return filter(table, false);
  }

  /**
   * The filter for an action; without {@code allowNamespaces}, clone(2) with CLONE_NEW* flags is
   * refused in the kernel (the tracer refuses unshare and setns).
   */
  public static SeccompFilter filter(SyscallTable table, boolean allowNamespaces) {
    return filter(table, allowNamespaces, false);
  }

  /**
   * The filter for an action; with {@code limitProcesses}, fork, vfork and clone stop for the
   * tracer too, which refuses them with EAGAIN beyond the guard's process limit.
   */
  public static SeccompFilter filter(
      SyscallTable table, boolean allowNamespaces, boolean limitProcesses) {
    return filter(table, allowNamespaces, limitProcesses, Optional.empty());
  }

  /**
   * The filter for an action, with the exceptions of its fast path when it has one (built per
   * action: its page's address is part of the program).
   */
  public static SeccompFilter filter(
      SyscallTable table,
      boolean allowNamespaces,
      boolean limitProcesses,
      Optional<FastPath> fastPath) {
    EnumSet<Syscall> traced = EnumSet.allOf(Syscall.class);
    if (!limitProcesses) {
      traced.removeAll(Syscall.PROCESS_CREATION);
    }
    traced.removeAll(Syscall.MEMORY_MAPPINGS);
    return SeccompFilter.build(
        table, traced, Map.of(), !allowNamespaces, fastPath.map(FastPath::filterRule).orElse(null));
  }

  /** Per-thread state: which process it belongs to, and a syscall awaiting its exit stop. */
  private static final class Task {
    final int tid;

    /** The thread group (process) id; 0 until known (from the fork event or /proc). */
    int pid;

    SyscallDecoder.Pending pending;

    Task(int tid, int pid) {
      this.tid = tid;
      this.pid = pid;
    }
  }

  /** Per-process record for the tree. */
  private static final class Proc {
    final int pid;
    int parent;
    List<String> argv = List.of();
    int exitStatus = -1;

    Proc(int pid) {
      this.pid = pid;
    }
  }

  private final SyscallTable table;
  private final Ptrace ptrace = new Ptrace();
  private final Ptrace.SyscallInfo info = new Ptrace.SyscallInfo();
  private final AccessLog log = new AccessLog();
  private final List<String> gaps = new ArrayList<>();
  private final PathResolver paths = new PathResolver();
  private final SyscallDecoder decoder;
  private final Map<Integer, Task> tasks = new HashMap<>();
  private final Map<Integer, Proc> processes = new LinkedHashMap<>();
  private final SyscallDecoder.Pending[] pendingOut = new SyscallDecoder.Pending[1];
  private int rootPid;
  private int helpers;
  private int fileSizeSignals;
  private ExitStatus rootStatus;

  // The fast path (null in strict mode) and what draining its ring needs.
  private final FastPath fastPath;
  private final ShimRecord record = new ShimRecord();
  private final RecordRing.Sink onRecord = this::onRecord;

  /** The action's root, held open once its command has exec'd: records outlive processes. */
  private PathHandle actionRoot;

  private String recordRoot;

  /** Host tid of each thread by the id its pid namespace gives it (fast path, pid namespace). */
  private final Map<Integer, Integer> hostTids = new HashMap<>();

  /** Process of each thread seen, kept after it exits: its records may be drained later. */
  private final Map<Integer, Integer> processOf = new HashMap<>();

  private final long[] stopsByNumber = new long[1024];

  /** The tracer's CPU, when new programs are kept on it until their shim is up. */
  private List<Integer> tracerCpu;

  private long exitStops;
  private long records;

  /** A tracer that records everything and refuses only escapes. */
  public Tracer(SyscallTable table) {
    this(table, AccessGuard.ALLOW_ALL);
  }

  /** A tracer that also asks {@code guard} about every access before it happens. */
  public Tracer(SyscallTable table, AccessGuard guard) {
    this(table, guard, Optional.empty());
  }

  /**
   * A tracer that also drains the records of {@code fastPath}'s shim (empty: strict mode). The
   * action must be launched with its injection and the filter built for it.
   */
  public Tracer(SyscallTable table, AccessGuard guard, Optional<FastPath> fastPathOrStrict) {
    FastPath fastPath = fastPathOrStrict.orElse(null);
    // The launcher's helpers (pid namespace) do not count against the action's process limit.
    this.decoder =
        new SyscallDecoder(
            table, ptrace, paths, log, gaps, guard, () -> Math.max(0, tasks.size() - helpers));
    this.table = table;
    this.fastPath = fastPath;
    if (fastPath != null) {
      decoder.useFastPath(fastPath.page(), fastPath.scope(), fastPath.libraryPaths());
    }
  }

  /**
   * Attaches to a process started by {@code Launcher.launchTraced}, which waits before exec. Do
   * this before anything else may signal the process: a launcher killed first cannot be seized.
   */
  public void seize(LaunchedProcess process) throws ErrnoException {
    rootPid = (int) process.pid();
    helpers = process.helperProcesses();
    ptrace.seize(rootPid);
  }

  /**
   * Lets the seized process exec, and traces it and everything it starts until all of it has ended.
   * When the main process ends, whatever it left running is killed (an action ends with its main
   * process).
   */
  public TraceResult run(LaunchedProcess process) throws ErrnoException {
    if (rootPid != process.pid()) {
      throw new IllegalStateException("seize the process first");
    }
    // This thread stays on one CPU (the daemon's placement, or the one it runs on) and each new
    // program joins it until its shim is up; the launcher's tree itself starts unpinned.
    List<Integer> ownCpus = null;
    if (fastPath != null && fastPath.pinsUntilShimIsUp()) {
      ownCpus = CpuAffinity.allowedCpus();
      tracerCpu = ownCpus.size() == 1 ? ownCpus : List.of(CpuAffinity.currentCpu());
      CpuAffinity.restrictCurrentThread(tracerCpu);
      CpuAffinity.restrict(rootPid, fastPath.unpinnedCpus());
    }
    process.releaseToExec();
    Proc root = proc(rootPid);
    root.argv = List.of();
    tasks.put(rootPid, new Task(rootPid, rootPid));
    try {
      for (Optional<Ptrace.Wait> wait = ptrace.waitAny();
          wait.isPresent();
          wait = ptrace.waitAny()) {
        // Records first: every call the shim logged happened before this stop, and every change
        // to the namespace stops, so each record is resolved in the namespace its call saw.
        drainRecords(wait.get().pid());
        handle(wait.get(), process);
      }
      drainRecords(rootPid);
    } finally {
      if (actionRoot != null) {
        actionRoot.close();
      }
      if (ownCpus != null) {
        CpuAffinity.restrictCurrentThread(ownCpus);
      }
    }
    if (rootStatus == null) {
      throw new IllegalStateException("the action's main process ended without an exit status");
    }
    List<TracedProcess> tree = new ArrayList<>();
    // The launcher's helpers never exec, so they keep the empty command line; the report shows
    // the action's own processes, the command at the top.
    for (Proc p : processes.values()) {
      if (helpers > 0 && p.argv.isEmpty()) {
        continue;
      }
      Proc parent = processes.get(p.parent);
      int parentPid = parent == null || (helpers > 0 && parent.argv.isEmpty()) ? 0 : p.parent;
      tree.add(new TracedProcess(p.pid, parentPid, p.argv, p.exitStatus));
    }
    return new TraceResult(
        rootStatus, log.accesses(), tree, gaps, log.violations(), fileSizeSignals);
  }

  private void handle(Ptrace.Wait wait, LaunchedProcess process) throws ErrnoException {
    int tid = wait.pid();
    int status = wait.status();
    if ((status & 0x7f) == 0 || ((status & 0x7f) != 0x7f)) {
      exited(tid, status, wait, process);
      return;
    }
    Task task = tasks.get(tid);
    if (task == null) {
      // A new tracee: auto-attached children can report before their parent's fork event.
      task = new Task(tid, 0);
      tasks.put(tid, task);
      knowTask(tid);
    }
    int signal = (status >> 8) & 0xff;
    int event = (status >> 16) & 0xff;
    if (signal == SYSCALL_STOP) {
      onSyscallExit(task);
    } else if (signal == SIGTRAP && event != 0 && event != EVENT_STOP) {
      onEvent(task, event, process);
    } else if (event == EVENT_STOP) {
      if (signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU) {
        // Group-stop: stay stopped (as without a tracer) until SIGCONT arrives.
        ptrace.listen(tid);
      } else {
        ptrace.cont(tid, 0); // a new tracee's first stop, or the end of a group-stop
      }
    } else {
      if (signal == SIGXFSZ) {
        fileSizeSignals++; // a write went past RLIMIT_FSIZE: the action's disk quota
      }
      ptrace.cont(tid, signal); // signal-delivery stop: deliver it unchanged
    }
  }

  private void onEvent(Task task, int event, LaunchedProcess process) throws ErrnoException {
    int tid = task.tid;
    switch (event) {
      case EVENT_SECCOMP -> {
        if (!ptrace.syscallInfo(tid, info)) {
          return;
        }
        if (info.nr >= 0 && info.nr < stopsByNumber.length) {
          stopsByNumber[(int) info.nr]++;
        }
        pendingOut[0] = null;
        switch (decoder.onEntry(tid, pidOf(task), info, pendingOut)) {
          case TO_EXIT -> {
            task.pending = pendingOut[0];
            exitStops++;
            if (tracerCpu != null && task.pending.isExec()) {
              // From here the new program's first stops (the exec, the loader's calls) are
              // wake-ups on this CPU, until its shim is up and moves it.
              CpuAffinity.restrict(tid, tracerCpu);
            }
            ptrace.toSyscallExit(tid);
          }
          case DENY -> {
            ptrace.deny(tid, decoder.denyErrno());
            ptrace.cont(tid, 0);
          }
          case CONTINUE -> ptrace.cont(tid, 0);
        }
      }
      case EVENT_FORK, EVENT_VFORK, EVENT_CLONE -> {
        long child = ptrace.eventMessage(tid).orElse(0);
        if (child > 0) {
          int parent = pidOf(task);
          Task childTask = tasks.get((int) child);
          if (childTask == null) {
            childTask = new Task((int) child, 0);
            tasks.put((int) child, childTask);
            knowTask((int) child);
          }
          // fork and vfork make processes; clone makes a thread or a process (CLONE_THREAD).
          boolean thread = event == EVENT_CLONE && tgidOf((int) child) == parent;
          childTask.pid = thread ? parent : (int) child;
          processOf.put((int) child, childTask.pid);
          if (!thread) {
            Proc p = proc((int) child);
            p.parent = parent;
            p.argv = proc(parent).argv;
          }
        }
        ptrace.cont(tid, 0);
      }
      case EVENT_EXEC -> {
        // A non-leader thread that execs takes over the leader's tid; its state moves along.
        long former = ptrace.eventMessage(tid).orElse(0);
        if (former > 0 && former != tid) {
          Task old = tasks.remove((int) former);
          if (old != null && old.pending != null) {
            task.pending = old.pending;
          }
        }
        if (task.pending != null && task.pending.isExec()) {
          if (fastPath != null && actionRoot == null) {
            holdActionRoot(pidOf(task));
          }
          if (tracerCpu != null) {
            CpuAffinity.restrict(tid, tracerCpu);
          }
          decoder.onExec(pidOf(task), task.pending);
          decoder.onExit(tid, pidOf(task), task.pending, 0);
          proc(task.pid).argv = commandLine(task.pid);
        }
        // else: the launcher's own exec (before the filter existed), seen when the seize came
        // before its exec event was reported. Every exec under the filter stops at entry first.
        // Resumed with CONT, the execve's exit stop (requested at its seccomp stop) is dropped;
        // the exec event already said everything it would.
        task.pending = null;
        ptrace.cont(tid, 0);
      }
      default -> ptrace.cont(tid, 0);
    }
  }

  private void onSyscallExit(Task task) throws ErrnoException {
    SyscallDecoder.Pending pending = task.pending;
    task.pending = null;
    if (tracerCpu != null && pending != null && pending.isExec()) {
      CpuAffinity.restrict(task.tid, fastPath.unpinnedCpus()); // the exec failed
    }
    if (pending != null && ptrace.syscallInfo(task.tid, info)) {
      decoder.onExit(task.tid, pidOf(task), pending, info.returnValue);
    }
    ptrace.cont(task.tid, 0);
  }

  private void exited(int tid, int status, Ptrace.Wait wait, LaunchedProcess process) {
    Task task = tasks.remove(tid);
    paths.forget(tid);
    int pid = task == null || task.pid == 0 ? tid : task.pid;
    if (tid == pid) {
      int code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f);
      Proc p = processes.get(pid);
      if (p != null) {
        p.exitStatus = code;
      }
    }
    if (tid == rootPid) {
      // The whole main process ended (not just its main thread: that reports no wait status
      // while other threads live). Everything it left behind is a tracee whose pid stays
      // reserved until this thread has seen its exit, so killing by pid is safe; no group kill
      // is needed since every process of the action is traced. A cancel arriving from another
      // thread from now on is dropped (the group id may soon be free).
      process.markExiting();
      rootStatus =
          new ExitStatus(status, wait.userCpuMicros(), wait.systemCpuMicros(), wait.maxRssKib());
      for (Task other : tasks.values()) {
        ptrace.kill(other.tid, SIGKILL);
      }
    }
  }

  /** What tracing cost so far (complete once {@link #run} returned). */
  public TraceStats stats() {
    Map<String, Long> byName = new java.util.TreeMap<>();
    long stops = 0;
    Map<Integer, Syscall> names = new HashMap<>();
    table.numbers().forEach((syscall, nr) -> names.put(nr, syscall));
    for (int nr = 0; nr < stopsByNumber.length; nr++) {
      if (stopsByNumber[nr] > 0) {
        stops += stopsByNumber[nr];
        Syscall s = names.get(nr);
        byName.put(
            s == null ? "#" + nr : s.name().toLowerCase(java.util.Locale.ROOT), stopsByNumber[nr]);
      }
    }
    List<String> unpatched = new ArrayList<>();
    long shimProcesses = 0;
    long full = 0;
    long ineligible = 0;
    int stuck = 0;
    if (fastPath != null) {
      RecordRing ring = fastPath.ring();
      long mask = ring.unpatched();
      for (int i = 0; i < FastPath.PATCHED_FUNCTIONS.size(); i++) {
        if ((mask & (1L << i)) != 0) {
          unpatched.add(FastPath.PATCHED_FUNCTIONS.get(i));
        }
      }
      shimProcesses = ring.shimProcesses();
      full = ring.full();
      ineligible = ring.ineligible();
      stuck = ring.stuck();
    }
    return new TraceStats(
        stops, exitStops, byName, records, shimProcesses, full, ineligible, unpatched, stuck);
  }

  /** Drains the fast path's ring before the stop of {@code stoppedTid} is handled. */
  private void drainRecords(int stoppedTid) {
    if (fastPath == null) {
      return;
    }
    // Through the held root when there is one; before the first exec there are no records.
    recordRoot = actionRoot != null ? actionRoot.procPath() : "/proc/" + stoppedTid + "/root";
    records += fastPath.ring().drain(record, onRecord);
  }

  private void onRecord(ShimRecord r) {
    int tid = helpers > 0 ? hostTids.getOrDefault(r.tid, -1) : r.tid;
    Task task = tasks.get(tid);
    int pid = task != null ? pidOf(task) : processOf.getOrDefault(tid, tid);
    decoder.onRecord(pid, r, recordRoot);
  }

  /**
   * Remembers what a new thread's pid namespace calls it, so its records (which carry that id) are
   * attributed to it even after it exited; only a fast path in a pid namespace needs it.
   */
  private void knowTask(int tid) {
    if (fastPath != null && helpers > 0) {
      hostTids.put(paths.namespaceId(tid), tid);
    }
  }

  /**
   * Holds the action's root open from the first exec of its command on: its mount namespace is
   * complete then, and the shim's records are resolved through it whatever process made them.
   */
  private void holdActionRoot(int pid) {
    try {
      actionRoot = PathHandle.open(Path.of("/proc/" + pid + "/root"));
    } catch (ErrnoException e) {
      // The process vanished; the next exec tries again.
    }
  }

  /**
   * The task's process id, looked up in /proc the first time it is needed before its fork event.
   */
  private int pidOf(Task task) {
    if (task.pid == 0) {
      int tgid = tgidOf(task.tid);
      task.pid = tgid > 0 ? tgid : task.tid;
      if (task.pid == task.tid) {
        proc(task.tid);
      }
      processOf.put(task.tid, task.pid);
    }
    return task.pid;
  }

  private Proc proc(int pid) {
    return processes.computeIfAbsent(pid, Proc::new);
  }

  private static int tgidOf(int tid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/status"))) {
        if (line.startsWith("Tgid:")) {
          return Integer.parseInt(line.substring(5).trim());
        }
      }
    } catch (IOException | RuntimeException e) {
      // vanished
    }
    return -1;
  }

  private static List<String> commandLine(int pid) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
      if (raw.length == 0) {
        return List.of();
      }
      String all = PathBytes.decode(raw, 0, raw[raw.length - 1] == 0 ? raw.length - 1 : raw.length);
      return Arrays.asList(all.split("\0", -1));
    } catch (IOException e) {
      return List.of();
    }
  }
}
