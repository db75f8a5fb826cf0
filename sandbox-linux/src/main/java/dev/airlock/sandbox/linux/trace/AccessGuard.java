package dev.airlock.sandbox.linux.trace;

/**
 * The policy as the tracer asks it, at the entry of each traced syscall: may this process do this
 * to this path? The tracer's answer is a clean errno and a record; the kernel layers (mount
 * namespace, Landlock, seccomp) are what hold against a racing thread.
 */
public interface AccessGuard {
  /** What the tracer does with an attempted access. */
  enum Verdict {
    ALLOW,
    /** Allow it, but record it as a violation (audit mode). */
    REPORT,
    /** Refuse it with EACCES and record it as a violation (enforce mode). */
    DENY,
    /**
     * Refuse it with ENOENT: the path is not visible at all. Reported when it exists, but the
     * action does not fail for it (tools probe ~/.ssh and the like on their own).
     */
    HIDE,
    /**
     * Refuse it with ENOENT, as HIDE, and fail the action: the sandbox's own state (the daemon's
     * socket and directory), which no action has a reason to look for.
     */
    PROTECT
  }

  /**
   * @param intent what the call would do (READ, WRITE, CREATE, EXEC, STAT_PROBE, ...)
   * @param path absolute, resolved path ({@code /proc/self} already replaced by {@code /proc/PID})
   * @param pid the process making the call
   */
  Verdict check(AccessKind intent, String path, int pid);

  /**
   * Whether connects to unix sockets by path are allowed for some paths and refused for others;
   * then the tracer connects an allowed one itself, to the path it checked (see {@link
   * dev.airlock.sandbox.linux.UnixConnector}), since no kernel layer refuses a connect by path.
   */
  default boolean restrictsUnixSockets() {
    return false;
  }

  /** Whether the action may create namespaces of its own (unshare, setns). */
  default boolean allowsNamespaces() {
    return false;
  }

  /**
   * How many processes and threads the action may have alive at once; 0 for no limit. The tracer
   * enforces it (RLIMIT_NPROC does not bind a real uid 0, which is what root's actions run as).
   */
  default int processLimit() {
    return 0;
  }

  /**
   * Where the fast path's shim may serve reads and probes without the tracer asking this guard
   * first: where the answer would be ALLOW for every path below (see {@link FastPathScope}). A
   * guard that says nothing gets no fast path.
   */
  default FastPathScope fastPathScope() {
    return FastPathScope.NONE;
  }

  /** Everything allowed, namespaces excepted. */
  AccessGuard ALLOW_ALL =
      new AccessGuard() {
        @Override
        public Verdict check(AccessKind intent, String path, int pid) {
          return Verdict.ALLOW;
        }

        @Override
        public FastPathScope fastPathScope() {
          return FastPathScope.EVERYWHERE;
        }
      };
}
